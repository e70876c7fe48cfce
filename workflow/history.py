"""The append-only history of each complaint, written by this one function.

Every entry of every complaint is a link in one chain (``chain_seq`` 1, 2, 3, ... with no
gap), so removing the last entry or a complaint's whole history shows. Each entry carries two
HMAC-SHA256 values under a key kept outside the database (``CW_HISTORY_KEY``):
``content_mac`` over its own fields, and ``hash`` over its position, the previous entry's
hash and ``content_mac``. Someone who can write the table cannot recompute either, and the
two tell a changed entry from a genuine one moved or re-linked (``workflow.history_verify``).

The chain position is taken at commit (``before_commit`` below), not when the entry is
recorded: the chain head is one row every writer locks, so it is held only for the last
inserts and the commit, never while a use case does its work.
"""

import hashlib
import hmac
import json
from collections.abc import Mapping
from datetime import UTC, date, datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import event, insert, select
from sqlalchemy.orm import SessionTransaction
from sqlmodel import Session, col
from sqlmodel import select as sqlmodel_select

from models.base import table_of
from models.enums import HistoryAction
from models.history import HistoryEntry, HistoryHead
from models.personal import PersonalValue
from workflow import personal_data
from workflow.clock import utcnow
from workflow.config import get_settings

GENESIS = "0" * 64
HEAD_ROW = 1
_PENDING = "history_pending"

CONTENT_FIELDS = (
    "case_id",
    "seq",
    "at",
    "actor",
    "action",
    "from_status",
    "to_status",
    "changes",
    "reason",
    "key_id",
)


def key_id_of(key: str) -> str:
    """A key's id: a fingerprint, so the same id can never name two different keys."""
    return hashlib.sha256(b"complaint-history-key:" + key.encode()).hexdigest()[:16]


@lru_cache(maxsize=8)
def _keys_for(current: str, retired: tuple[str, ...]) -> dict[str, bytes]:
    return {key_id_of(k): k.encode() for k in (*retired, current)}


def history_keys() -> dict[str, bytes]:
    """Every key an entry may have been sealed with, by id: the current one and the retired."""
    settings = get_settings()
    return _keys_for(settings.history_key, tuple(settings.history_retired_keys))


def current_key() -> tuple[str, bytes]:
    return _current_key_for(get_settings().history_key)


@lru_cache(maxsize=8)
def _current_key_for(key: str) -> tuple[str, bytes]:
    return key_id_of(key), key.encode()


def _json_default(value: Any) -> str:
    return value.isoformat() if isinstance(value, datetime | date) else str(value)


# The case's id is sealed under the name it had when every case was a complaint, so the
# entries sealed before the contract review joined the engine still verify.
SEALED_NAMES = {"case_id": "complaint_id"}


def content_mac(key: bytes, fields: Mapping[str, Any]) -> str:
    """HMAC of an entry's own fields, read from a model or a database row alike."""
    content = {SEALED_NAMES.get(name, name): _sealed(fields, name) for name in CONTENT_FIELDS}
    content["at"] = fields["at"].astimezone(UTC).isoformat()
    canonical = json.dumps(content, sort_keys=True, default=str, separators=(",", ":"))
    return hmac.new(key, canonical.encode(), hashlib.sha256).hexdigest()


def _sealed(fields: Mapping[str, Any], name: str) -> Any:
    """A field by its name, or by its old name in a row read before the rename (migrations)."""
    return fields[name] if name in fields else fields[SEALED_NAMES[name]]


def link_mac(key: bytes, chain_seq: int, prev_hash: str, entry_mac: str) -> str:
    """HMAC of an entry's place in the chain: what ``hash`` holds."""
    message = f"{chain_seq}:{prev_hash}:{entry_mac}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def _entry_fields(entry: HistoryEntry) -> dict[str, Any]:
    return {name: getattr(entry, name) for name in CONTENT_FIELDS}


def _next_seq(session: Session, case_id: int, pending: list[HistoryEntry]) -> int:
    for entry in reversed(pending):
        if entry.case_id == case_id:
            return entry.seq + 1
    last = session.exec(
        sqlmodel_select(HistoryEntry.seq)
        .where(HistoryEntry.case_id == case_id)
        .order_by(col(HistoryEntry.seq).desc())
        .limit(1)
    ).first()
    return (last or 0) + 1


# An entry's place in the chain and its seals are set when its transaction commits.
UNSEALED: dict[str, Any] = {
    "chain_seq": 0,
    "key_id": "",
    "content_mac": "",
    "prev_hash": "",
    "hash": "",
}


def record_history(
    session: Session,
    *,
    case_id: int,
    actor: str,
    action: HistoryAction,
    from_status: str | None = None,
    to_status: str | None = None,
    changes: dict[str, Any] | None = None,
    reason: str | None = None,
    first: bool = False,
    customer_wrote_reason: bool = False,
) -> HistoryEntry:
    """Record one entry; it joins the chain when the session commits.

    The caller holds the complaint's row lock, so ``seq`` cannot race. ``first``: the
    complaint was created in this transaction (no entry to look up). Personal values are
    kept outside the entry (``workflow.personal_data``): those in ``changes``, and ``reason``
    when the customer wrote it."""
    pending: list[HistoryEntry] = session.info.setdefault(_PENDING, [])
    plain = json.loads(json.dumps(changes or {}, default=_json_default))
    if customer_wrote_reason:
        reason = personal_data.seal_reason(session, case_id, reason)
    entry = HistoryEntry(
        case_id=case_id,
        seq=1 if first else _next_seq(session, case_id, pending),
        at=utcnow(),
        actor=actor,
        action=action.value,
        from_status=from_status,
        to_status=to_status,
        changes=personal_data.seal_changes(session, case_id, plain),
        reason=reason,
        **UNSEALED,
    )
    pending.append(entry)
    return entry


_HEAD = table_of(HistoryHead).c
# Built once: statement construction and the ORM's execute path cost more than the SQL here.
_LOCK_HEAD = select(_HEAD.seq, _HEAD.hash).where(_HEAD.id == HEAD_ROW).with_for_update()
_INSERT_ENTRIES = insert(table_of(HistoryEntry))


def _append_to_chain(session: Session, entries: list[HistoryEntry]) -> None:
    """Seal the entries at the next positions of the chain, holding its head's lock."""
    connection = session.connection()
    position, previous = connection.execute(_LOCK_HEAD).one()
    key_id, key = current_key()
    for entry in entries:
        position += 1
        entry.chain_seq, entry.key_id, entry.prev_hash = position, key_id, previous
        entry.content_mac = content_mac(key, _entry_fields(entry))
        entry.hash = previous = link_mac(key, position, entry.prev_hash, entry.content_mac)
    connection.execute(_INSERT_ENTRIES, [entry.model_dump(exclude={"id"}) for entry in entries])


@event.listens_for(Session, "before_commit")
def _chain_pending_entries(session: Session) -> None:
    entries = session.info.pop(_PENDING, None)
    if entries:
        # Everything else is flushed first, so the lock covers only our inserts and the commit.
        session.flush()
        _append_to_chain(session, entries)


@event.listens_for(Session, "after_transaction_end")
def _forget_pending_entries(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:
        session.info.pop(_PENDING, None)


def list_history(session: Session, case_id: int) -> list[HistoryEntry]:
    """A complaint's entries as people read them: personal values in place, or erased.
    Copies, not the sealed rows, so nothing read here can be written back."""
    sealed = list(
        session.exec(
            sqlmodel_select(HistoryEntry)
            .where(HistoryEntry.case_id == case_id)
            .order_by(col(HistoryEntry.seq))
        )
    )
    values = personal_data.load_values(
        session, (i for e in sealed for i in personal_data.referenced_ids(e.changes, e.reason))
    )
    return [_revealed(entry, values) for entry in sealed]


def _revealed(entry: HistoryEntry, values: dict[str, PersonalValue]) -> HistoryEntry:
    fields = entry.model_dump()
    fields["changes"] = personal_data.reveal_changes(entry.changes, values)
    fields["reason"] = personal_data.reveal_reason(entry.reason, values)
    return HistoryEntry(**fields)
