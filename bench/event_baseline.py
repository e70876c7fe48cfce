"""The routing baseline: the same routing work, but as a Prefect deployment started by an event
trigger (one flow run, in its own process, per complaint), the design we did not choose.

Run as a process: ``python -m bench.event_baseline`` serves the deployment until stopped.
"""

import asyncio

from prefect import flow
from prefect.events import DeploymentEventTrigger

from workflow.delivery import deliver_notice
from workflow.routing import handle_event

EVENT = "bench.complaint.logged"
RESOURCE_PREFIX = "bench.outbox."
DEPLOYMENT = "event-trigger-baseline"


@flow(name="bench-route-one")
async def route_one(resource_id: str) -> int:
    """Route one outbox event and send the notices it queued."""
    event_id = resource_id.removeprefix(RESOURCE_PREFIX)
    notice_ids = await asyncio.to_thread(handle_event, event_id)
    for notice_id in notice_ids:
        await asyncio.to_thread(deliver_notice, notice_id)
    return len(notice_ids)


if __name__ == "__main__":
    route_one.serve(
        name=DEPLOYMENT,
        triggers=[
            DeploymentEventTrigger(
                expect={EVENT}, parameters={"resource_id": "{{ event.resource.id }}"}
            )
        ],
    )
