"""The transactional outbox: events commit with the change that caused them.

The relay claims pending events in short write transactions (``FOR UPDATE SKIP LOCKED`` on
PostgreSQL; SQLite's single writer serialises the claim) and leases them, renewing the lease
while it works; an event whose handler died is claimed again when its lease runs out.
Handlers dedupe on the event id. Attempts are counted at the claim, so an event whose handler
kills the process every time is counted too: when they run out it is parked as ``failed``
for an admin, who retries it after a fix.
"""

import uuid
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from typing import Any

from sqlmodel import Session, col, func, or_, select, update

from models.enums import HistoryAction
from models.outbox import EventStatus, OutboxEvent
from workflow.cases import case_reference, lock_case_by_id, with_case_records
from workflow.clock import utcnow
from workflow.config import get_settings
from workflow.db import write_session
from workflow.errors import NotFound, RuleViolation
from workflow.history import record_history

PARKER = "flow:deliver-events"
MAX_RETRY_WAIT_SECONDS = 3600.0


@dataclass(frozen=True)
class ClaimedEvent:
    id: str
    kind: str
    case_id: int
    reference: str


def emit_event(
    session: Session, *, case_id: int, kind: StrEnum, payload: dict[str, Any] | None = None
) -> OutboxEvent:
    now = utcnow()
    event = OutboxEvent(
        id=str(uuid.uuid4()),
        case_id=case_id,
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


def claim_events(limit: int, lease_seconds: int) -> list[ClaimedEvent]:
    """Lease up to ``limit`` events, oldest first, to the caller; park those out of attempts."""
    now = utcnow()
    max_attempts = get_settings().event_max_attempts
    with write_session() as session:
        rows = session.exec(
            with_case_records(select(OutboxEvent, case_reference()), OutboxEvent.case_id)
            .where(_claimable())
            .order_by(col(OutboxEvent.created_at), col(OutboxEvent.id))
            .limit(limit)
            .with_for_update(skip_locked=True, of=OutboxEvent)
        ).all()
        if not rows:
            return []
        for event, _ in rows:
            if event.attempts >= max_attempts:
                park_event(session, event, event.last_error or "its handler never finished")
        claimed = [(e, ref) for e, ref in rows if e.status != EventStatus.failed]
        if claimed:
            session.execute(
                update(OutboxEvent)
                .where(col(OutboxEvent.id).in_([e.id for e, _ in claimed]))
                .values(
                    status=EventStatus.processing,
                    attempts=OutboxEvent.attempts + 1,
                    available_at=now + timedelta(seconds=lease_seconds),
                )
            )
        result = [
            ClaimedEvent(id=e.id, kind=e.kind, case_id=e.case_id, reference=ref)
            for e, ref in claimed
        ]
        session.commit()
    return result


def renew_leases(event_ids: list[str], lease_seconds: int) -> int:
    """Extend the leases of the events still being worked on; how many were renewed."""
    if not event_ids:
        return 0
    with write_session() as session:
        renewed = session.exec(
            update(OutboxEvent)
            .where(
                col(OutboxEvent.id).in_(event_ids),
                col(OutboxEvent.status) == EventStatus.processing,
            )
            .values(available_at=utcnow() + timedelta(seconds=lease_seconds))
        )
        session.commit()
        return renewed.rowcount


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


def retry_wait_seconds(attempts: int) -> float:
    """Exponential backoff after the ``attempts``-th failed attempt."""
    base = get_settings().event_retry_base_seconds
    return min(base * 2 ** max(attempts - 1, 0), MAX_RETRY_WAIT_SECONDS)


def record_failure(event_id: str, error: str) -> EventStatus | None:
    """Leave the event for a later attempt after a backoff, or park it if its attempts ran
    out; the error is kept for the operator. None if the event is no longer in hand."""
    with write_session() as session:
        event = session.exec(
            select(OutboxEvent).where(OutboxEvent.id == event_id).with_for_update()
        ).first()
        if event is None or event.status in (EventStatus.done, EventStatus.failed):
            return None
        if event.attempts >= get_settings().event_max_attempts:
            park_event(session, event, error)
        else:
            event.status = EventStatus.pending
            event.last_error = error[:2000]
            event.available_at = utcnow() + timedelta(seconds=retry_wait_seconds(event.attempts))
            session.add(event)
        session.commit()
        return event.status


def park_event(session: Session, event: OutboxEvent, error: str) -> None:
    """No more automatic attempts: the event waits for an admin (``retry_event``)."""
    event.status = EventStatus.failed
    event.failed_at = utcnow()
    event.last_error = error[:2000]
    session.add(event)
    lock_case_by_id(session, event.case_id)
    record_history(
        session,
        case_id=event.case_id,
        actor=PARKER,
        action=HistoryAction.event_parked,
        changes={"event_id": event.id, "kind": event.kind, "attempts": event.attempts},
        reason=f"gave up after {event.attempts} attempts: {event.last_error}",
    )


def count_failed_events(session: Session) -> int:
    parked = select(func.count()).select_from(OutboxEvent)
    return session.exec(parked.where(OutboxEvent.status == EventStatus.failed)).one()


def failed_events(session: Session, *, limit: int = 100) -> list[tuple[OutboxEvent, str]]:
    """Parked events with their case's reference, the longest parked first."""
    rows = session.exec(
        with_case_records(select(OutboxEvent, case_reference()), OutboxEvent.case_id)
        .where(OutboxEvent.status == EventStatus.failed)
        .order_by(col(OutboxEvent.failed_at), col(OutboxEvent.id))
        .limit(limit)
    ).all()
    return [(event, reference) for event, reference in rows]


def retry_event(event_id: str, *, by: str, reason: str) -> OutboxEvent:
    """An admin sends a parked event round again, with its attempts counted afresh."""
    with write_session() as session:
        event = session.exec(
            select(OutboxEvent).where(OutboxEvent.id == event_id).with_for_update()
        ).first()
        if event is None:
            raise NotFound(f"no event {event_id}")
        if event.status != EventStatus.failed:
            raise RuleViolation(f"event {event_id} is {event.status.value}, not parked")
        lock_case_by_id(session, event.case_id)
        record_history(
            session,
            case_id=event.case_id,
            actor=by,
            action=HistoryAction.event_retried,
            changes={"event_id": event.id, "kind": event.kind, "attempts": event.attempts},
            reason=reason,
        )
        event.status = EventStatus.pending
        event.attempts = 0
        event.failed_at = None
        event.available_at = utcnow()
        session.add(event)
        session.commit()
        session.refresh(event)
        return event


def release_events(event_ids: list[str], retry_in_seconds: float) -> None:
    """Give claimed events back (their flow could not start) so they are not stuck on a lease.
    Their handler never ran, so the claim's attempt is not counted."""
    if not event_ids:
        return
    with write_session() as session:
        session.execute(
            update(OutboxEvent)
            .where(
                col(OutboxEvent.id).in_(event_ids),
                col(OutboxEvent.status) == EventStatus.processing,
            )
            .values(
                status=EventStatus.pending,
                attempts=OutboxEvent.attempts - 1,
                available_at=utcnow() + timedelta(seconds=retry_in_seconds),
            )
        )
        session.commit()
