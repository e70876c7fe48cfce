"""The delivery flow: handles a batch of outbox events, one task run per event.

One async flow run per batch, because a Prefect flow run costs far more than a task run
(see docs/architecture.md): at light load a batch holds one event and routes in about a
second; in a burst each run takes up to ``outbox_batch_size`` events. Each task run is named
after the complaint reference so a person can follow one complaint in the Prefect UI.
"""

import asyncio

from prefect import flow, get_run_logger, task
from prefect.runtime import flow_run
from pydantic import BaseModel, Field

from flows.stale_runs import crash_stale_runs
from notifications.ledger import due_notice_ids
from workflow.config import get_settings
from workflow.delivery import deliver_notice, hold_expired_sends
from workflow.outbox import ClaimedEvent, claim_events, record_failure
from workflow.routing import handle_event

EVENT_RETRY_SECONDS = 30.0


class EventRef(BaseModel):
    id: str
    kind: str
    reference: str


class DeliveryReport(BaseModel):
    events_handled: int = 0
    events_failed: int = 0
    notices_sent: int = 0
    notices_not_sent: int = 0
    notices_held: int = Field(default=0, description="Sends whose outcome is unknown, held")
    stale_runs_crashed: int = 0


def _run_name() -> str:
    events = flow_run.parameters.get("events") or []
    if not events:
        return "reconcile outbox and notices"
    first = events[0]["reference"] if isinstance(events[0], dict) else events[0].reference
    return first if len(events) == 1 else f"{first} +{len(events) - 1} more"


@task(task_run_name="{reference} {kind}")
async def handle_complaint_event(event_id: str, kind: str, reference: str) -> tuple[bool, int, int]:
    """Route one event and send what it queued: (handled, sent, not sent)."""
    logger = get_run_logger()
    try:
        notice_ids = await asyncio.to_thread(handle_event, event_id)
    except Exception as exc:
        logger.exception("%s: %s failed; retried later", reference, kind)
        await asyncio.to_thread(
            record_failure, event_id, f"{type(exc).__name__}: {exc}", EVENT_RETRY_SECONDS
        )
        return False, 0, 0
    sent = 0
    for notice_id in notice_ids:
        outcome = await asyncio.to_thread(deliver_notice, notice_id)
        sent += outcome == "sent"
    logger.info("%s: %s handled, %d of %d notices sent", reference, kind, sent, len(notice_ids))
    return True, sent, len(notice_ids) - sent


@task(task_run_name="notice {notice_id}")
async def retry_notice(notice_id: int) -> bool:
    outcome = await asyncio.to_thread(deliver_notice, notice_id)
    return outcome == "sent"


@flow(name="deliver-events", flow_run_name=_run_name, log_prints=False)
async def deliver_events(events: list[EventRef] | None = None) -> DeliveryReport:
    """Handle the given claimed events, or claim a batch; then retry notices that are due."""
    settings = get_settings()
    report = DeliveryReport()
    report.notices_held = await asyncio.to_thread(hold_expired_sends)
    if events is None:  # the scheduled reconciler: also clean up after killed relays
        report.stale_runs_crashed = await crash_stale_runs(exclude=str(flow_run.id))
        claimed = await asyncio.to_thread(
            claim_events, settings.outbox_batch_size, settings.outbox_lease_seconds
        )
        events = as_refs(claimed)
    outcomes = await asyncio.gather(
        *(handle_complaint_event(e.id, e.kind, e.reference) for e in events)
    )
    for handled, sent, not_sent in outcomes:
        report.events_handled += handled
        report.events_failed += not handled
        report.notices_sent += sent
        report.notices_not_sent += not_sent
    due = await asyncio.to_thread(due_notice_ids, settings.outbox_batch_size)
    retried = await asyncio.gather(*(retry_notice(n) for n in due))
    report.notices_sent += sum(retried)
    report.notices_not_sent += len(retried) - sum(retried)
    return report


def as_refs(claimed: list[ClaimedEvent]) -> list[EventRef]:
    return [EventRef(id=e.id, kind=e.kind, reference=e.reference) for e in claimed]
