"""The deadline sweep, scheduled every minute (prefect.yaml): reminders and escalations.

It touches only the clocks whose ``next_check_at`` has come (an indexed query), one task run
per clock named after the complaint reference, and is safe to run twice or after a crash
(see ``workflow/sweep.py``).
"""

import asyncio
from typing import Annotated

from prefect import flow, get_run_logger, task
from pydantic import BaseModel, Field

from flows.deliver_events import notifier
from notifications.ledger import send_notice
from workflow.clock import utcnow
from workflow.sweep import due_clocks, process_clock


class SweepReport(BaseModel):
    clocks: int = 0
    notices_sent: int = 0
    notices_not_sent: int = 0


@task(task_run_name="{reference} {step}")
async def check_clock(clock_id: int, reference: str, step: str) -> tuple[int, int]:
    notice_ids = await asyncio.to_thread(process_clock, clock_id)
    sent = 0
    for notice_id in notice_ids:
        sent += await asyncio.to_thread(send_notice, notice_id, notifier()) == "sent"
    if notice_ids:
        get_run_logger().info("%s %s: %d notices, %d sent", reference, step, len(notice_ids), sent)
    return sent, len(notice_ids) - sent


def _run_name() -> str:
    return f"sweep {utcnow():%Y-%m-%d %H:%M} UTC"


@flow(name="sweep-deadlines", flow_run_name=_run_name, log_prints=False)
async def sweep_deadlines(limit: Annotated[int, Field(ge=1, le=20_000)] = 2000) -> SweepReport:
    """Remind and escalate what is due now; repeats until nothing more is due."""
    report = SweepReport()
    while batch := await asyncio.to_thread(due_clocks, limit):
        outcomes = await asyncio.gather(*(check_clock(c.id, c.reference, c.step) for c in batch))
        report.clocks += len(batch)
        report.notices_sent += sum(s for s, _ in outcomes)
        report.notices_not_sent += sum(n for _, n in outcomes)
        if len(batch) < limit:
            break
    return report
