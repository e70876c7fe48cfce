"""The quality manager's list of praise and suggestions to read, each marked read by a
person. Read means a ``mark_feedback_read`` entry in the complaint's history: the history
is the record, so no flag of its own."""

from datetime import datetime

from sqlalchemy import exists
from sqlmodel import Session, SQLModel, col, select

from models.base import id_of
from models.complaint import Complaint
from models.enums import HistoryAction
from models.history import HistoryEntry
from workflow.history import record_history
from workflow.locking import lock_complaint
from workflow.rules import FEEDBACK_TO_READ, Action, Actor, Kind, read_refusal, require_permission


class FeedbackItem(SQLModel):
    reference: str
    kind: Kind
    product: str | None
    description: str
    received_at: datetime
    read_by: str | None = None
    read_at: datetime | None = None


def _read_entries(session: Session, complaint_ids: list[int]) -> dict[int, HistoryEntry]:
    entries = session.exec(
        select(HistoryEntry).where(
            col(HistoryEntry.case_id).in_(complaint_ids),
            HistoryEntry.action == HistoryAction.mark_feedback_read.value,
        )
    )
    return {entry.case_id: entry for entry in entries}


def _item(complaint: Complaint, read: HistoryEntry | None) -> FeedbackItem:
    return FeedbackItem(
        reference=complaint.reference,
        kind=complaint.kind,
        product=complaint.product,
        description=complaint.description,
        received_at=complaint.received_at,
        read_by=read.actor if read else None,
        read_at=read.at if read else None,
    )


def list_feedback(
    session: Session, *, actor: Actor, unread: bool | None, limit: int, offset: int
) -> list[FeedbackItem]:
    """Newest first; ``unread`` True lists only what nobody has marked read yet."""
    require_permission(actor.role, Action.read_feedback)
    query = select(Complaint).where(col(Complaint.kind).in_(FEEDBACK_TO_READ))
    is_read = exists().where(
        col(HistoryEntry.case_id) == col(Complaint.id),
        col(HistoryEntry.action) == HistoryAction.mark_feedback_read.value,
    )
    if unread is not None:
        query = query.where(~is_read if unread else is_read)
    query = query.order_by(col(Complaint.received_at).desc(), col(Complaint.id).desc())
    complaints = list(session.exec(query.offset(offset).limit(limit)))
    reads = _read_entries(session, [id_of(c) for c in complaints])
    return [_item(c, reads.get(id_of(c))) for c in complaints]


def mark_read(session: Session, *, reference: str, actor: Actor) -> FeedbackItem:
    require_permission(actor.role, Action.mark_feedback_read)
    complaint = lock_complaint(session, reference)
    already = _read_entries(session, [id_of(complaint)]).get(id_of(complaint))
    refusal = read_refusal(complaint.kind, already is not None)
    if refusal is not None:
        raise refusal
    entry = record_history(
        session,
        case_id=id_of(complaint),
        actor=actor.name,
        action=HistoryAction.mark_feedback_read,
        changes={"read_by": actor.name},
    )
    session.commit()
    return _item(complaint, entry)
