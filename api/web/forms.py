"""Turning submitted forms into the API's own request models, and their errors into words."""

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ValidationError

FieldErrors = dict[str, str]


def text_fields(form: Mapping[str, Any], names: tuple[str, ...]) -> dict[str, str | None]:
    """The named fields, trimmed; empty means absent."""
    values: dict[str, str | None] = {}
    for name in names:
        raw = form.get(name)
        value = raw.strip() if isinstance(raw, str) else None
        values[name] = value or None
    return values


def choice(form: Mapping[str, Any], name: str) -> bool | None:
    """A yes/no radio group: True, False, or None when nothing was chosen."""
    return {"yes": True, "no": False}.get(str(form.get(name) or ""))


def integer(value: str | None) -> int | str | None:
    """An integer, or the text as typed so validation names the field."""
    if value is None:
        return None
    try:
        return int(value)
    except ValueError:
        return value


def field_errors(
    error: ValidationError,
    prefix_map: dict[str, str] | None = None,
    messages: Mapping[str, str] | None = None,
) -> FieldErrors:
    """Per form field, the first message: ``customer.email`` becomes ``customer_email``;
    ``messages`` words an error of a given type the form's own way."""
    errors: FieldErrors = {}
    for item in error.errors():
        location = [str(part) for part in item["loc"] if not str(part).isdigit()]
        name = "_".join(location) or "form"
        name = (prefix_map or {}).get(name, name)
        message = (messages or {}).get(item["type"], item["msg"].removeprefix("Value error, "))
        errors.setdefault(name, message)
    return errors


def validate(
    model: type[BaseModel], data: dict[str, Any], messages: Mapping[str, str] | None = None
) -> tuple[Any, FieldErrors]:
    try:
        return model.model_validate(data), {}
    except ValidationError as error:
        return None, field_errors(error, messages=messages)
