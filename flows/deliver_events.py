"""The delivery flow: routes a batch of outbox events, one task run per event.

One async flow run per batch, because a Prefect flow run costs far more than a task run
(see docs/architecture.md): at light load a batch holds one event and routes in well under a
second; in a burst each run takes up to ``outbox_batch_size`` events. Each task run is named
after the complaint reference so a person can follow one complaint in the Prefect UI.

Each event's routing is committed first; then the notices it queued are sent, but waited for
only ``INLINE_SEND_SECONDS`` (``flows/send_notices.py``): a slow mail server never holds up
the next claim. The leases of the events in hand are renewed every third of the lease (by
the relay from the claim on, or by the run itself when it claimed them), so a short lease is
enough and a dead relay's events are routed again soon.
"""

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from prefect import flow, get_run_logger, task
from prefect.runtime import flow_run
from pydantic import BaseModel, Field

from flows.send_notices import (
    INLINE_SEND_SECONDS,
    Outcome,
    finish_sends,
    send_notices,
    send_now,
)
from flows.stale_runs import guard_runs
from models.notification import NoticeStatus
from workflow.config import get_settings
from workflow.outbox import ClaimedEvent, claim_events, record_failure, renew_leases
from workflow.routing import handle_event

logger = logging.getLogger(__name__)


class EventRef(BaseModel):
    id: str
    kind: str
    reference: str


class DeliveryReport(BaseModel):
    events_handled: int = 0
    events_failed: int = 0
    notices_sent: int = 0
    notices_not_sent: int = 0
    notices_still_sending: int = Field(default=0, description="Going on after the run ended")
    notices_held: int = Field(default=0, description="Sends whose outcome is unknown, held")
    stale_runs_crashed: int = 0
    late_runs_cancelled: int = 0


def _run_name() -> str:
    events = flow_run.parameters.get("events") or []
    if not events:
        return "reconcile outbox and notices"
    first = events[0]["reference"] if isinstance(events[0], dict) else events[0].reference
    return first if len(events) == 1 else f"{first} +{len(events) - 1} more"


@task(task_run_name="{reference} {kind}")
async def route_complaint_event(event_id: str, kind: str, reference: str) -> list[Outcome] | None:
    """Route one event in one transaction, then send what it queued, waiting for the sends
    only briefly: their outcomes (``"sending"`` for those still going), or None if the
    routing failed (it is retried later, or parked)."""
    run_logger = get_run_logger()
    try:
        notice_ids = await asyncio.to_thread(handle_event, event_id)
    except Exception as exc:
        status = await asyncio.to_thread(record_failure, event_id, f"{type(exc).__name__}: {exc}")
        run_logger.exception("%s: %s failed; now %s", reference, kind, status or "in other hands")
        return None
    outcomes = await send_now(notice_ids, wait_at_most=INLINE_SEND_SECONDS)
    run_logger.info(
        "%s: %s routed; notices sent %d, still sending %d, of %d",
        reference,
        kind,
        outcomes.count(NoticeStatus.sent),
        outcomes.count("sending"),
        len(outcomes),
    )
    return outcomes


@contextlib.asynccontextmanager
async def renewing_leases(event_ids: list[str]) -> AsyncIterator[None]:
    """Keep the leases of the events in hand from running out while they are routed."""
    lease = get_settings().outbox_lease_seconds

    async def renew() -> None:
        while True:
            await asyncio.sleep(lease / 3)
            try:
                await asyncio.to_thread(renew_leases, event_ids, lease)
            except Exception:  # a missed renewal only risks a second, deduplicated delivery
                logger.warning("could not renew the leases of %d events", len(event_ids))

    renewer = asyncio.create_task(renew())
    try:
        yield
    finally:
        renewer.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await renewer


@flow(name="deliver-events", flow_run_name=_run_name, log_prints=False)
async def deliver_events(events: list[EventRef] | None = None) -> DeliveryReport:
    """Route the given claimed events; or, as the scheduled reconciler (no events given),
    crash stale runs, claim and route a batch, and send the notices that are due."""
    report = DeliveryReport()
    reconciling = events is None
    if events is None:
        report.stale_runs_crashed, report.late_runs_cancelled = await guard_runs(
            exclude=str(flow_run.id)
        )
        settings = get_settings()
        claimed = await asyncio.to_thread(
            claim_events, settings.outbox_batch_size, settings.outbox_lease_seconds
        )
        events = as_refs(claimed)
    # The relay renews the leases of the events it hands over from the claim on.
    keeping = renewing_leases([e.id for e in events]) if reconciling else contextlib.nullcontext()
    async with keeping:
        outcomes = await asyncio.gather(
            *(route_complaint_event(e.id, e.kind, e.reference) for e in events)
        )
    report.events_failed = outcomes.count(None)
    report.events_handled = len(outcomes) - report.events_failed
    sends = [outcome for per_event in outcomes for outcome in per_event or []]
    report.notices_sent = sends.count(NoticeStatus.sent)
    report.notices_still_sending = sends.count("sending")
    report.notices_not_sent = len(sends) - report.notices_sent - report.notices_still_sending
    if reconciling:  # a worker's run: its process ends with the run, so the sends must too
        await finish_sends()
        due = await send_notices()
        report.notices_sent += due.notices_sent
        report.notices_not_sent += due.notices_not_sent
        report.notices_held = due.notices_held
    return report


def as_refs(claimed: list[ClaimedEvent]) -> list[EventRef]:
    return [EventRef(id=e.id, kind=e.kind, reference=e.reference) for e in claimed]
