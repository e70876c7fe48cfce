"""The transactional outbox: events commit with the change that caused them.

The relay claims pending events in short write transactions (``FOR UPDATE SKIP LOCKED`` on
PostgreSQL; SQLite's single writer serialises the claim) and leases them; an event whose
handler died is claimed again when its lease runs out. Handlers dedupe on the event id.
"""

import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlmodel import Session, col, or_, select, update

from models.complaint import Complaint
from models.outbox import EventStatus, OutboxEvent
from workflow.clock import utcnow
from workflow.db import read_session, write_session
from workflow.rules import EventKind


@dataclass(frozen=True)
class ClaimedEvent:
    id: str
    kind: str
    complaint_id: int
    reference: str


def emit_event(
    session: Session, *, complaint_id: int, kind: EventKind, payload: dict[str, Any] | None = None
) -> OutboxEvent:
    now = utcnow()
    event = OutboxEvent(
        id=str(uuid.uuid4()),
        complaint_id=complaint_id,
        kind=kind.value,
        payload=payload or {},
        created_at=now,
        available_at=now,
    )
    session.add(event)
    return event


def _claimable():  # noqa: ANN202 - a SQLAlchemy boolean clause
    now = utcnow()
    return or_(
        OutboxEvent.status == EventStatus.pending,
        OutboxEvent.status == EventStatus.processing,
    ) & (col(OutboxEvent.available_at) <= now)


def has_claimable_events() -> bool:
    with read_session() as session:
        return session.exec(select(OutboxEvent.id).where(_claimable()).limit(1)).first() is not None


def claim_events(limit: int, lease_seconds: int) -> list[ClaimedEvent]:
    """Lease up to ``limit`` events, oldest first, to the caller."""
    now = utcnow()
    with write_session() as session:
        rows = session.exec(
            select(OutboxEvent.id, OutboxEvent.kind, OutboxEvent.complaint_id, Complaint.reference)
            .join(Complaint, col(Complaint.id) == OutboxEvent.complaint_id)
            .where(_claimable())
            .order_by(col(OutboxEvent.created_at), col(OutboxEvent.id))
            .limit(limit)
            .with_for_update(skip_locked=True, of=OutboxEvent)
        ).all()
        if not rows:
            return []
        session.exec(
            update(OutboxEvent)
            .where(col(OutboxEvent.id).in_([r[0] for r in rows]))
            .values(
                status=EventStatus.processing,
                attempts=OutboxEvent.attempts + 1,
                available_at=now + timedelta(seconds=lease_seconds),
            )
        )
        session.commit()
    return [ClaimedEvent(id=r[0], kind=r[1], complaint_id=r[2], reference=r[3]) for r in rows]


def lock_event_for_handling(session: Session, event_id: str) -> OutboxEvent | None:
    """The event, locked, if it still needs handling; None if another run already handled it."""
    event = session.exec(
        select(OutboxEvent).where(OutboxEvent.id == event_id).with_for_update()
    ).first()
    if event is None or event.status == EventStatus.done:
        return None
    return event


def mark_handled(session: Session, event: OutboxEvent) -> None:
    event.status = EventStatus.done
    event.handled_at = utcnow()
    event.last_error = None
    session.add(event)


def record_failure(event_id: str, error: str, retry_in_seconds: float) -> None:
    """Leave the event for a later attempt; the error is kept for the operator."""
    with write_session() as session:
        session.exec(
            update(OutboxEvent)
            .where(col(OutboxEvent.id) == event_id, OutboxEvent.status != EventStatus.done)
            .values(
                status=EventStatus.pending,
                last_error=error[:2000],
                available_at=utcnow() + timedelta(seconds=retry_in_seconds),
            )
        )
        session.commit()


def release_events(event_ids: list[str], retry_in_seconds: float) -> None:
    """Give claimed events back (their flow could not start) so they are not stuck on a lease."""
    if not event_ids:
        return
    with write_session() as session:
        session.exec(
            update(OutboxEvent)
            .where(col(OutboxEvent.id).in_(event_ids), OutboxEvent.status == EventStatus.processing)
            .values(
                status=EventStatus.pending,
                available_at=utcnow() + timedelta(seconds=retry_in_seconds),
            )
        )
        session.commit()
