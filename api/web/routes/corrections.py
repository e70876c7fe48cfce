"""The complaint page's forms that keep the record honest: correct, withdraw, duplicate."""

from typing import Annotated

from fastapi import Form, Request
from fastapi.responses import Response

from api.deps import WriteSessionDep
from api.web.forms import validate
from api.web.pages import flash
from api.web.routes import page_router
from api.web.routes.complaints import back_to_complaint
from api.web.session import page_for
from models.correction import ComplaintCorrection, DuplicateMark, Withdrawal
from workflow.corrections import correct_complaint, mark_duplicate, withdraw
from workflow.errors import InvalidInput
from workflow.rules import Action, Actor

router = page_router()


def _first_error(model: type, data: dict) -> object:
    body, errors = validate(model, data)
    if errors:
        field, message = next(iter(errors.items()))
        raise InvalidInput(field, message)
    return body


FormText = Annotated[str, Form(max_length=2_000)]


def _number(text: str) -> int | str | None:
    """A form's number as the model takes it: digits as an int, empty as none, else as typed
    (refused by the model in words)."""
    return int(text) if text.isdigit() else (text or None)


def _changed(now: dict[str, str], was: dict[str, str]) -> dict[str, object]:
    """The fields the person changed on the form: emptied optional ones become none."""
    changed: dict[str, object] = {}
    for field, value in now.items():
        if value.strip() == was[field].strip():
            continue
        if field == "quantity_affected":
            changed[field] = _number(value.strip())
        else:
            changed[field] = value.strip() or (None if field != "product" else "")
    return changed


@router.post("/complaints/{reference}/correct")
def correct(
    request: Request,
    reference: str,
    session: WriteSessionDep,
    actor: Annotated[Actor, page_for(Action.correct_complaint)],
    version: FormText,
    reason: FormText,
    product: FormText = "",
    product_was: FormText = "",
    lot_number: FormText = "",
    lot_number_was: FormText = "",
    serial_number: FormText = "",
    serial_number_was: FormText = "",
    order_reference: FormText = "",
    order_reference_was: FormText = "",
    quantity_affected: FormText = "",
    quantity_affected_was: FormText = "",
) -> Response:
    changed = _changed(
        {
            "product": product,
            "lot_number": lot_number,
            "serial_number": serial_number,
            "order_reference": order_reference,
            "quantity_affected": quantity_affected,
        },
        {
            "product": product_was,
            "lot_number": lot_number_was,
            "serial_number": serial_number_was,
            "order_reference": order_reference_was,
            "quantity_affected": quantity_affected_was,
        },
    )
    data = {**changed, "version": _number(version), "reason": reason}
    correction = _first_error(ComplaintCorrection, data)
    assert isinstance(correction, ComplaintCorrection)
    correct_complaint(session, reference=reference, correction=correction, actor=actor)
    flash(request, "Corrected; the history keeps the old values and your reason.")
    return back_to_complaint(reference)


@router.post("/complaints/{reference}/withdraw")
def withdraw_page(
    request: Request,
    reference: str,
    session: WriteSessionDep,
    actor: Annotated[Actor, page_for(Action.withdraw)],
    reason: Annotated[str, Form(min_length=3, max_length=2_000)],
) -> Response:
    withdraw(session, reference=reference, withdrawal=Withdrawal(reason=reason), actor=actor)
    flash(request, f"{reference} is withdrawn: its tasks are cancelled and its clocks stopped.")
    return back_to_complaint(reference)


@router.post("/complaints/{reference}/duplicate")
def duplicate_page(
    request: Request,
    reference: str,
    session: WriteSessionDep,
    actor: Annotated[Actor, page_for(Action.mark_duplicate)],
    original: Annotated[str, Form(min_length=1, max_length=32)],
    reason: Annotated[str, Form(min_length=3, max_length=2_000)],
) -> Response:
    mark = DuplicateMark(original=original.strip(), reason=reason)
    mark_duplicate(session, reference=reference, mark=mark, actor=actor)
    flash(request, f"{reference} is closed as a duplicate of {mark.original}.")
    return back_to_complaint(reference)
