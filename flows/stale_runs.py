"""The guard against runs that hold a slot for good, and against piles of late runs.

Prefect 3.8 takes a deployment's concurrency slot when a run goes Pending (the worker's
Scheduled -> Pending) and gives it back when the run leaves Pending, Running or Cancelling.
A worker killed between Pending and the flow's start leaves the run Pending; a flow process
killed with its worker leaves it Running (PrefectHQ/prefect#16746). Prefect's own lease on
the slot then runs out after 5 minutes, but its lease store is in memory by default: after
a restart of the Prefect server nothing gives the slot back, and with ``concurrency_limit:
1`` every later run of the schedule waits or is cancelled. Forcing such a run to Crashed
gives the slot back (the forced transition still releases it, through the lease or, when
the lease is gone, by decrementing the limit).

A run is taken for dead when it has been Pending longer than a worker needs to start it, or
has held its slot longer than a healthy run of its flow takes (``flow_expected_seconds``),
or, for a deployment's run, its heartbeats (every ``flow_heartbeat_seconds``, set for the
worker's runs in prefect.yaml) stopped. The guard runs in the relay every minute and in the
scheduled reconciler, so it never waits behind the slot it is there to free.
"""

import logging
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from uuid import UUID

from prefect.client.orchestration import PrefectClient, get_client
from prefect.client.schemas.filters import (
    FlowFilter,
    FlowFilterName,
    FlowRunFilter,
    FlowRunFilterExpectedStartTime,
    FlowRunFilterState,
    FlowRunFilterStateType,
)
from prefect.client.schemas.objects import FlowRun, StateType
from prefect.events.filters import (
    EventFilter,
    EventNameFilter,
    EventOccurredFilter,
    EventResourceFilter,
)
from prefect.states import Cancelled, Crashed

from workflow.config import DEFAULT_FLOW_EXPECTED_SECONDS, get_settings

logger = logging.getLogger(__name__)

PROJECT_FLOWS = list(DEFAULT_FLOW_EXPECTED_SECONDS)
SLOT_HOLDING = [StateType.PENDING, StateType.RUNNING, StateType.CANCELLING]
HEARTBEATS_MISSED = 3  # heartbeats in a row that must be missing before a run counts as dead
LATE_AFTER = timedelta(seconds=30)  # a scheduled run this late is a catch-up candidate


async def _flow_names(client: PrefectClient) -> dict[UUID, str]:
    flows = await client.read_flows(flow_filter=FlowFilter(name=FlowFilterName(any_=PROJECT_FLOWS)))
    return {f.id: f.name for f in flows}


async def _last_heartbeat(client: PrefectClient, run: FlowRun, since: datetime) -> datetime | None:
    page = await client.read_events(
        filter=EventFilter(
            occurred=EventOccurredFilter(since=since),
            event=EventNameFilter(name=["prefect.flow-run.heartbeat"]),
            resource=EventResourceFilter(id=[f"prefect.flow-run.{run.id}"]),
        ),
        limit=1,
    )
    return page.events[0].occurred if page.events else None


async def why_stale(client: PrefectClient, run: FlowRun, flow: str, now: datetime) -> str | None:
    """Why the run is taken for dead, or None while it may still be alive."""
    settings = get_settings()
    assert run.state is not None
    held = (now - run.state.timestamp).total_seconds()
    if run.state.type == StateType.PENDING:
        if held > settings.flow_pending_seconds:
            return f"Pending for {held:.0f} s: the worker that took it never started it"
        return None
    expected = settings.flow_expected_seconds.get(flow, DEFAULT_FLOW_EXPECTED_SECONDS[flow])
    if held > expected:
        return f"{run.state.name} for {held:.0f} s; a run of {flow} takes at most {expected} s"
    silence = HEARTBEATS_MISSED * settings.flow_heartbeat_seconds
    if run.deployment_id is None or held <= silence:
        return None
    last = await _last_heartbeat(client, run, since=run.state.timestamp)
    if last is not None and (now - last).total_seconds() > silence:
        return f"no heartbeat for {(now - last).total_seconds():.0f} s: its process is gone"
    return None


async def crash_stale_runs(exclude: str | None = None) -> int:
    """Crash the runs of this project's flows that hold a slot but are taken for dead; the
    forced Crashed state releases their deployment concurrency slot. How many were crashed."""
    now = datetime.now(UTC)
    crashed = 0
    async with get_client() as client:
        names = await _flow_names(client)
        runs = await client.read_flow_runs(
            flow_filter=FlowFilter(name=FlowFilterName(any_=PROJECT_FLOWS)),
            flow_run_filter=FlowRunFilter(
                state=FlowRunFilterState(type=FlowRunFilterStateType(any_=SLOT_HOLDING))
            ),
            limit=200,
        )
        for run in runs:
            if str(run.id) == exclude or run.flow_id not in names or run.state is None:
                continue
            reason = await why_stale(client, run, names[run.flow_id], now)
            if reason is None:
                continue
            logger.warning("flow run %s (%s) crashed: %s", run.name, run.id, reason)
            await client.set_flow_run_state(run.id, Crashed(message=reason), force=True)
            crashed += 1
    return crashed


async def cancel_superseded_runs() -> int:
    """Of the late scheduled runs of each deployment, keep the newest: a schedule that fell
    behind catches up in one run, not one per missed tick. How many were cancelled."""
    cutoff = datetime.now(UTC) - LATE_AFTER
    async with get_client() as client:
        late = await client.read_flow_runs(
            flow_filter=FlowFilter(name=FlowFilterName(any_=PROJECT_FLOWS)),
            flow_run_filter=FlowRunFilter(
                state=FlowRunFilterState(type=FlowRunFilterStateType(any_=[StateType.SCHEDULED])),
                expected_start_time=FlowRunFilterExpectedStartTime(before_=cutoff),
            ),
            limit=200,
        )
        by_deployment: dict[UUID, list[FlowRun]] = defaultdict(list)
        for run in late:
            if run.deployment_id is not None:
                by_deployment[run.deployment_id].append(run)
        superseded = [
            run for runs in by_deployment.values() for run in sorted(runs, key=_expected_start)[:-1]
        ]
        for run in superseded:
            await client.set_flow_run_state(
                run.id,
                Cancelled(message="superseded by a later run of the same schedule"),
                force=True,
            )
    return len(superseded)


def _expected_start(run: FlowRun) -> datetime:
    return run.expected_start_time or datetime.min.replace(tzinfo=UTC)


async def guard_runs(exclude: str | None = None) -> tuple[int, int]:
    """Crash dead runs, then thin out late ones: (crashed, cancelled)."""
    crashed = await crash_stale_runs(exclude=exclude)
    cancelled = await cancel_superseded_runs()
    if crashed or cancelled:
        logger.warning("%d stale runs crashed, %d superseded runs cancelled", crashed, cancelled)
    return crashed, cancelled
