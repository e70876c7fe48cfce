"""Customers' personal values, referred to by the sealed history instead of sealed in it.

A history entry is sealed for good (``workflow.history``), and a customer may ask to be
forgotten. Both hold because the values a customer gave or wrote (the description, a mail's
sender and subject, a notice's recipient, a comment) are not in the entry: it seals a
reference to a ``personal_value`` row and ``sha256(salt + value)``. Reading the history puts
the values back (``reveal``); erasure clears the value and its salt, so the entry still
verifies, and the digest it keeps can no longer be tested against a guess.
"""

import hashlib
import json
import secrets
import uuid
from collections.abc import Iterable, Iterator
from typing import Any

from sqlmodel import Session, col, select

from models.personal import PersonalValue

ERASED = "[erased]"

# History fields that hold a customer's personal values, wherever they appear in ``changes``.
# A staff comment may quote the customer: it is kept apart too, and goes with an erasure.
PERSONAL_FIELDS = frozenset(
    {
        "description",
        "sender",
        "subject",
        "recipient",
        "customer_comment",
        "customer_details",
        "comment_text",
        "spoke_to",
    }
)
REASON_FIELD = "reason"
_REFERENCE_KEY = "personal_value"
_REASON_PREFIX = "personal_value:"


def _digest(salt: str, value: Any) -> str:
    canonical = json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256((salt + canonical).encode()).hexdigest()


def _kept(session: Session, case_id: int, field: str, value: Any) -> tuple[str, str]:
    salt = secrets.token_hex(16)
    row = PersonalValue(id=uuid.uuid4().hex, case_id=case_id, field=field, value=value, salt=salt)
    session.add(row)
    return row.id, _digest(salt, value)


def seal_changes(session: Session, case_id: int, changes: Any) -> Any:
    """``changes`` with each personal field's value replaced by a reference to its row."""
    if isinstance(changes, dict):
        sealed: dict[str, Any] = {}
        for name, value in changes.items():
            if name in PERSONAL_FIELDS and value not in (None, "", [], {}):
                value_id, digest = _kept(session, case_id, name, value)
                sealed[name] = {_REFERENCE_KEY: value_id, "sha256": digest}
            else:
                sealed[name] = seal_changes(session, case_id, value)
        return sealed
    if isinstance(changes, list):
        return [seal_changes(session, case_id, item) for item in changes]
    return changes


def seal_reason(session: Session, case_id: int, reason: str | None) -> str | None:
    """A reason the customer wrote (their comment), kept as a reference like a field."""
    if not reason:
        return reason
    value_id, digest = _kept(session, case_id, REASON_FIELD, reason)
    return f"{_REASON_PREFIX}{value_id}:{digest}"


def _token_id(value: Any) -> str | None:
    if isinstance(value, dict) and set(value) == {_REFERENCE_KEY, "sha256"}:
        return str(value[_REFERENCE_KEY])
    return None


def _reason_token(reason: str | None) -> tuple[str, str] | None:
    if not reason or not reason.startswith(_REASON_PREFIX):
        return None
    value_id, _, digest = reason.removeprefix(_REASON_PREFIX).partition(":")
    return value_id, digest


def _token_ids(changes: Any) -> Iterator[str]:
    token = _token_id(changes)
    if token is not None:
        yield token
    elif isinstance(changes, dict):
        for value in changes.values():
            yield from _token_ids(value)
    elif isinstance(changes, list):
        for item in changes:
            yield from _token_ids(item)


def referenced_ids(changes: Any, reason: str | None) -> list[str]:
    found = list(_token_ids(changes))
    token = _reason_token(reason)
    return [*found, token[0]] if token else found


def load_values(session: Session, ids: Iterable[str]) -> dict[str, PersonalValue]:
    wanted = list(set(ids))
    if not wanted:
        return {}
    rows = session.exec(select(PersonalValue).where(col(PersonalValue.id).in_(wanted)))
    return {row.id: row for row in rows}


def _shown(row: PersonalValue | None) -> Any:
    if row is None or row.erased_at is not None:
        return ERASED
    return row.value


def reveal_changes(changes: Any, values: dict[str, PersonalValue]) -> Any:
    """``changes`` as recorded, each reference replaced by its value, or ERASED."""
    token = _token_id(changes)
    if token is not None:
        return _shown(values.get(token))
    if isinstance(changes, dict):
        return {name: reveal_changes(value, values) for name, value in changes.items()}
    if isinstance(changes, list):
        return [reveal_changes(item, values) for item in changes]
    return changes


def reveal_reason(reason: str | None, values: dict[str, PersonalValue]) -> str | None:
    token = _reason_token(reason)
    if token is None:
        return reason
    shown = _shown(values.get(token[0]))
    return shown if isinstance(shown, str) else ERASED


def _sealed_digests(changes: Any, reason: str | None) -> Iterator[tuple[str, str]]:
    token = _token_id(changes)
    if token is not None:
        yield token, str(changes["sha256"])
    elif isinstance(changes, dict):
        for value in changes.values():
            yield from _sealed_digests(value, None)
    elif isinstance(changes, list):
        for item in changes:
            yield from _sealed_digests(item, None)
    reason_token = _reason_token(reason)
    if reason_token is not None:
        yield reason_token


def altered_values(changes: Any, reason: str | None, values: dict[str, PersonalValue]) -> list[str]:
    """The references of an entry whose kept value no longer matches what it sealed (a value
    changed in its table, or removed without an erasure)."""
    problems = []
    for value_id, digest in _sealed_digests(changes, reason):
        row = values.get(value_id)
        if row is None:
            problems.append(f"personal value {value_id} is missing")
        elif row.erased_at is None and (row.salt is None or _digest(row.salt, row.value) != digest):
            problems.append(f"personal value {value_id} ({row.field}) was changed")
    return problems
