"""The deadline sweep, scheduled every minute (prefect.yaml): reminders and escalations, and
the effectiveness checks whose date has come (opened as quality's tasks).

It touches only the clocks whose ``next_check_at`` has come (an indexed query), in task runs
of up to 50 clocks named after their complaint references (one write transaction each), and
is safe to run twice or after a crash (see ``workflow/sweep.py``).

The sweep decides and records; it does not mail. Each clock's reminder or escalation is
queued in the ledger in the transaction that moves the clock, and the relay's sender
(``flows/relay.py``, polling every second) sends it, once, with its retries: a sweep's run is
bounded by the database, never by a slow or absent mail server.
"""

import asyncio
from typing import Annotated

from prefect import flow, get_run_logger, task
from pydantic import BaseModel, Field

from workflow.clock import utcnow
from workflow.effectiveness import due_checks, open_due_check
from workflow.sweep import due_clocks, process_clocks


class SweepReport(BaseModel):
    clocks: int = 0
    notices_queued: int = 0  # for the relay to send
    checks_opened: int = 0


CLOCKS_PER_TASK_RUN = 50


def _batch_name() -> str:
    from prefect.runtime import task_run

    references = task_run.parameters["references"]
    more = f" +{len(references) - 1} more" if len(references) > 1 else ""
    return f"{references[0]}{more}"


@task(task_run_name=_batch_name)
async def check_clocks(clock_ids: list[int], references: list[str]) -> int:
    """Remind or escalate a batch of clocks (a task run per clock would cost more than the
    work itself when many fall due together); the number of notices queued."""
    queued = len(await asyncio.to_thread(process_clocks, clock_ids))
    if queued:
        get_run_logger().info("%d clocks: %d notices queued", len(clock_ids), queued)
    return queued


def _open_checks(check_ids: list[int]) -> int:
    for check_id in check_ids:
        open_due_check(check_id)
    return len(check_ids)


@task(task_run_name=_batch_name)
async def open_checks(check_ids: list[int], references: list[str]) -> int:
    """Open the effectiveness checks now due: quality's task, with the recurrences since."""
    opened = await asyncio.to_thread(_open_checks, check_ids)
    get_run_logger().info("%d effectiveness checks opened", opened)
    return opened


def _run_name() -> str:
    return f"sweep {utcnow():%Y-%m-%d %H:%M} UTC"


@flow(name="sweep-deadlines", flow_run_name=_run_name, log_prints=False)
async def sweep_deadlines(limit: Annotated[int, Field(ge=1, le=20_000)] = 2000) -> SweepReport:
    """Remind and escalate what is due now, repeating until nothing more is due; then open
    the effectiveness checks whose date has come (the rest wait for the next minute)."""
    report = SweepReport()
    while batch := await asyncio.to_thread(due_clocks, limit):
        chunks = [
            batch[i : i + CLOCKS_PER_TASK_RUN] for i in range(0, len(batch), CLOCKS_PER_TASK_RUN)
        ]
        outcomes = await asyncio.gather(
            *(check_clocks([c.id for c in chunk], [c.reference for c in chunk]) for chunk in chunks)
        )
        report.clocks += len(batch)
        report.notices_queued += sum(outcomes)
        if len(batch) < limit:
            break
    checks = await asyncio.to_thread(due_checks, limit)
    if checks:
        report.checks_opened = await open_checks([i for i, _ in checks], [r for _, r in checks])
    return report
