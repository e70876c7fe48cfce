from datetime import datetime
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Path
from sqlmodel import Field, SQLModel

from api.deps import SessionDep, allowed
from models.notification import NotificationPublic
from models.outbox import EventStatus, OutboxEvent
from notifications.ledger import held_notices
from workflow.delivery import mark_notice_done, release_notice
from workflow.history_verify import ProblemKind
from workflow.history_verify import verify_history as verify_whole_history
from workflow.outbox import failed_events, retry_event
from workflow.queries import case_references
from workflow.rules import Action
from workflow.transitions import Actor

router = APIRouter(prefix="/admin", tags=["admin"])


class HeldNotice(NotificationPublic):
    complaint_reference: str | None


class Release(SQLModel):
    reason: str = Field(
        min_length=3,
        max_length=2_000,
        schema_extra={"examples": ["Checked the mail server log: the mail never left."]},
    )


class HistoryProblem(SQLModel):
    kind: ProblemKind = Field(description="What was found.")
    first_entry: int | None = Field(description="Global position (chain_seq) where it starts.")
    last_entry: int | None = Field(description="Global position where it ends.")
    references: list[str] = Field(description="The complaints concerned, when known.")
    detail: str


class HistoryVerification(SQLModel):
    intact: bool
    entries_checked: int
    complaints_checked: int
    checkpoints_checked: int
    problems: list[HistoryProblem]
    problems_not_listed: int = Field(description="Problems beyond the first 1,000.")


@router.get(
    "/notices/held",
    summary="Notices held for a person",
    description="Notices whose delivery is unknown (the sender stopped, or the mail server "
    "timed out mid-transaction, so the mail may have gone) and notices whose retries ran "
    "out. They are never resent automatically.",
)
def list_held(
    session: SessionDep, _: Annotated[Actor, allowed(Action.release_notices)]
) -> list[HeldNotice]:
    notices = held_notices(session)
    references = case_references(session, {n.case_id for n in notices})
    return [
        HeldNotice.model_validate(
            n,
            from_attributes=True,
            update={"complaint_reference": references.get(n.case_id or -1)},
        )
        for n in notices
    ]


@router.post(
    "/notices/{notice_id}/resend",
    summary="Release a held notice for one more attempt",
    description="After checking it did not arrive (e.g. in the mail server's log). The release "
    "and its reason are in the complaint's history.",
    responses={404: {"description": "No such notice"}, 409: {"description": "Not held"}},
)
def release(
    notice_id: Annotated[int, Path(ge=1, le=2**62)],
    body: Release,
    actor: Annotated[Actor, allowed(Action.release_notices)],
) -> NotificationPublic:
    notice = release_notice(notice_id, by=actor.name, reason=body.reason)
    return NotificationPublic.model_validate(notice, from_attributes=True)


@router.post(
    "/notices/{notice_id}/done",
    summary="Mark a held notice done by hand",
    description="After finding it arrived after all (e.g. in the mail server's log) or telling "
    "the recipient by other means: it counts as sent and is never tried again. Who and why are "
    "in the complaint's history.",
    responses={404: {"description": "No such notice"}, 409: {"description": "Not held"}},
)
def mark_done(
    notice_id: Annotated[int, Path(ge=1, le=2**62)],
    body: Release,
    actor: Annotated[Actor, allowed(Action.release_notices)],
) -> NotificationPublic:
    notice = mark_notice_done(notice_id, by=actor.name, reason=body.reason)
    return NotificationPublic.model_validate(notice, from_attributes=True)


@router.get(
    "/history/verify",
    summary="Verify the tamper-evident history",
    description="Streams the one chain of all history entries and checks each entry's keyed "
    "hashes, the sequence and every checkpoint (table and file); names each problem found: "
    "rewritten or forged entries, missing entries, a truncated end, a complaint whose history "
    "was removed, an unknown key id.",
)
def verify_history(_: Annotated[Actor, allowed(Action.verify_history)]) -> HistoryVerification:
    result = verify_whole_history()
    return HistoryVerification(
        intact=result.intact,
        entries_checked=result.entries,
        complaints_checked=result.complaints,
        checkpoints_checked=result.checkpoints,
        problems=[
            HistoryProblem(
                kind=p.kind,
                first_entry=p.first_entry,
                last_entry=p.last_entry,
                references=p.references,
                detail=p.detail,
            )
            for p in result.problems
        ],
        problems_not_listed=result.problems_not_listed,
    )


class EventPublic(SQLModel):
    id: str
    complaint_reference: str
    kind: str
    status: EventStatus
    attempts: int
    last_error: str | None
    created_at: datetime
    failed_at: datetime | None = Field(description="When it was parked; null once retried")


class EventRetry(SQLModel):
    reason: str = Field(
        min_length=3,
        max_length=2_000,
        schema_extra={"examples": ["Fixed the missing policy the handler needed (ticket 412)."]},
    )


def _event_public(event: OutboxEvent, reference: str) -> EventPublic:
    return EventPublic.model_validate(
        event, from_attributes=True, update={"complaint_reference": reference}
    )


@router.get(
    "/events/failed",
    summary="Outbox events parked as failed",
    description="Events whose handler failed on every one of its attempts "
    "(CW_EVENT_MAX_ATTEMPTS, with backoff between them), or killed the process each time. "
    "They are no longer tried automatically; retry one after fixing the cause.",
)
def list_failed_events(
    session: SessionDep, _: Annotated[Actor, allowed(Action.retry_events)]
) -> list[EventPublic]:
    return [_event_public(event, reference) for event, reference in failed_events(session)]


@router.post(
    "/events/{event_id}/retry",
    summary="Retry a parked event",
    description="Sends the event round again with a fresh count of attempts, after the cause "
    "was fixed. The retry and its reason are in the complaint's history.",
    responses={404: {"description": "No such event"}, 409: {"description": "Not parked"}},
)
def retry_failed_event(
    event_id: Annotated[UUID, Path(description="The event's id, as listed")],
    body: EventRetry,
    session: SessionDep,
    actor: Annotated[Actor, allowed(Action.retry_events)],
) -> EventPublic:
    event = retry_event(str(event_id), by=actor.name, reason=body.reason)
    references = case_references(session, {event.case_id})
    return _event_public(event, references.get(event.case_id, str(event.case_id)))
