"""Delivery runs orphaned by a killed relay stay ``Running`` in Prefect for good
(PrefectHQ/prefect#16746). The reconciler marks them ``Crashed``; their events were already
given back to the outbox when their leases ran out."""

from datetime import UTC, datetime, timedelta

from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import (
    FlowFilter,
    FlowFilterName,
    FlowRunFilter,
    FlowRunFilterStartTime,
    FlowRunFilterState,
    FlowRunFilterStateType,
)
from prefect.client.schemas.objects import StateType
from prefect.states import Crashed

from workflow.clock import utcnow
from workflow.config import get_settings

DELIVERY_FLOWS = ["deliver-events", "sweep-deadlines"]


async def crash_stale_runs(exclude: str | None = None) -> int:
    """Mark delivery runs that have run for over twice the outbox lease as Crashed."""
    cutoff = datetime.now(UTC) - timedelta(seconds=2 * get_settings().outbox_lease_seconds)
    async with get_client() as client:
        runs = await client.read_flow_runs(
            flow_filter=FlowFilter(name=FlowFilterName(any_=DELIVERY_FLOWS)),
            flow_run_filter=FlowRunFilter(
                state=FlowRunFilterState(type=FlowRunFilterStateType(any_=[StateType.RUNNING])),
                start_time=FlowRunFilterStartTime(before_=cutoff),
            ),
            limit=200,
        )
        stale = [run for run in runs if str(run.id) != exclude]
        for run in stale:
            await client.set_flow_run_state(
                run.id,
                Crashed(message=f"no report for over twice the outbox lease (checked {utcnow()})"),
                force=True,
            )
    return len(stale)
