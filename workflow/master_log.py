"""The change log of the master data (products, defect and cause codes).

A change to master data is not a change to a complaint, and the history table hangs every
entry on one (its hash chain is per complaint and global): master data keeps its own log,
as deadline policies do, written in the caller's transaction by this one function.
"""

from typing import Any

from sqlmodel import Session, SQLModel, col, select

from models.catalogue import MasterDataChange
from models.enums import HistoryAction
from workflow.clock import utcnow
from workflow.rules import Actor


def apply_changes(row: SQLModel, wanted: dict[str, Any]) -> dict[str, Any]:
    """Set the fields given (not None) that differ on ``row``; the changes as
    ``{field: {"old": ..., "new": ...}}``, for the log."""
    changes = {
        name: {"old": getattr(row, name), "new": value}
        for name, value in wanted.items()
        if value is not None and getattr(row, name) != value
    }
    for name, change in changes.items():
        setattr(row, name, change["new"])
    return changes


def log_change(
    session: Session,
    *,
    actor: Actor,
    entity: str,
    entity_id: int | None,
    action: HistoryAction,
    changes: dict[str, Any],
    reason: str | None = None,
) -> MasterDataChange:
    entry = MasterDataChange(
        at=utcnow(),
        actor=actor.name,
        entity=entity,
        entity_id=entity_id,
        action=action.value,
        changes=changes,
        reason=reason,
    )
    session.add(entry)
    return entry


def list_changes(
    session: Session, *, entity: str | None, entity_id: int | None, limit: int, offset: int
) -> list[MasterDataChange]:
    query = select(MasterDataChange)
    if entity is not None:
        query = query.where(MasterDataChange.entity == entity)
    if entity_id is not None:
        query = query.where(MasterDataChange.entity_id == entity_id)
    query = query.order_by(col(MasterDataChange.id).desc()).offset(offset).limit(limit)
    return list(session.exec(query))
