"""The append-only history of each complaint, written by this one function.

Each row's hash covers its content and the previous row's hash, so an edit made around the
database triggers breaks the chain at that row (``verify_chain`` names it).
"""

import hashlib
import json
from datetime import date, datetime
from typing import Any

from sqlmodel import Session, col, select

from models.history import HistoryEntry
from workflow.clock import utcnow

GENESIS = "0" * 64


def _json_default(value: Any) -> str:
    return value.isoformat() if isinstance(value, datetime | date) else str(value)


def _digest(entry: HistoryEntry) -> str:
    content = {
        "complaint_id": entry.complaint_id,
        "seq": entry.seq,
        "at": entry.at.isoformat(),
        "actor": entry.actor,
        "action": entry.action,
        "from_status": entry.from_status,
        "to_status": entry.to_status,
        "changes": entry.changes,
        "reason": entry.reason,
        "prev_hash": entry.prev_hash,
    }
    canonical = json.dumps(content, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def record_history(
    session: Session,
    *,
    complaint_id: int,
    actor: str,
    action: str,
    from_status: str | None = None,
    to_status: str | None = None,
    changes: dict[str, Any] | None = None,
    reason: str | None = None,
    first: bool = False,
) -> HistoryEntry:
    """Append one entry. The caller holds the complaint's row lock, so ``seq`` cannot race.

    ``first``: the complaint was created in this transaction (no entry to chain to)."""
    last = (
        None
        if first
        else session.exec(
            select(HistoryEntry)
            .where(HistoryEntry.complaint_id == complaint_id)
            .order_by(col(HistoryEntry.seq).desc())
            .limit(1)
        ).first()
    )
    entry = HistoryEntry(
        complaint_id=complaint_id,
        seq=(last.seq + 1) if last else 1,
        at=utcnow(),
        actor=actor,
        action=action,
        from_status=from_status,
        to_status=to_status,
        changes=json.loads(json.dumps(changes or {}, default=_json_default)),
        reason=reason,
        prev_hash=last.hash if last else GENESIS,
        hash="",
    )
    entry.hash = _digest(entry)
    session.add(entry)
    if not first:
        session.flush()
    return entry


def list_history(session: Session, complaint_id: int) -> list[HistoryEntry]:
    return list(
        session.exec(
            select(HistoryEntry)
            .where(HistoryEntry.complaint_id == complaint_id)
            .order_by(col(HistoryEntry.seq))
        )
    )


def verify_chain(entries: list[HistoryEntry]) -> int | None:
    """The seq of the first entry whose hash or link does not verify, or None if all do."""
    previous = GENESIS
    for entry in entries:
        if entry.prev_hash != previous or _digest(entry) != entry.hash:
            return entry.seq
        previous = entry.hash
    return None


def verify_all_chains(session: Session) -> tuple[int, list[tuple[int, int]]]:
    """Check every complaint's chain in one pass: (complaints checked, [(complaint id, seq)]
    of the first broken entry of each broken chain)."""
    checked, broken = 0, []
    current: int | None = None
    previous = GENESIS
    failed = False
    rows = session.exec(
        select(HistoryEntry).order_by(col(HistoryEntry.complaint_id), col(HistoryEntry.seq))
    )
    for entry in rows:
        if entry.complaint_id != current:
            current, previous, failed = entry.complaint_id, GENESIS, False
            checked += 1
        if failed:
            continue
        if entry.prev_hash != previous or _digest(entry) != entry.hash:
            broken.append((entry.complaint_id, entry.seq))
            failed = True
        previous = entry.hash
    return checked, broken
