"""Sending notices, apart from routing: every send of this project goes through
``workflow.delivery.deliver_notice`` (the ledger claims the notice with a lease, makes one
attempt and records the outcome, the workflow its side in the history), in threads of its
own, so waiting on a mail server never takes the threads routing needs.

Routing sends the notices an event queued right after committing it, but waits for them only
``INLINE_SEND_SECONDS``: a send still going after that goes on in its thread, and the flow
run, and the relay's next claim, do not wait for it. The sending flow (``send-notices``) is
for the rest: retries whose backoff ran out, notices of a relay that died, released ones. A
notice being sent in this process is never started a second time here.
"""

import asyncio
from concurrent.futures import Executor
from typing import Literal

from prefect import flow, task
from prefect.runtime import flow_run
from pydantic import BaseModel, Field

from models.notification import NoticeStatus
from notifications.ledger import due_notice_ids, expired_sends_exist
from workflow.config import get_settings
from workflow.delivery import deliver_notice, hold_expired_sends

# A local mail server takes about 45 ms a mail, a remote one a few hundred: at light load
# routing waits for its notices as before, and a slow server delays the next claim by this
# much at most (it was 46 s with a server that greets after 30 s).
INLINE_SEND_SECONDS = 0.5
NOTICES_PER_TASK_RUN = 50  # as the deadline sweep's clocks per task run

_send_threads: Executor | None = None
_sending: dict[int, asyncio.Future[NoticeStatus | None]] = {}

Outcome = NoticeStatus | Literal["sending"] | None


class SendReport(BaseModel):
    notices_sent: int = 0
    notices_not_sent: int = 0
    notices_held: int = Field(default=0, description="Sends whose outcome is unknown, held")


def use_send_threads(executor: Executor | None) -> None:
    """Run sends in these threads (the relay's own); None: the event loop's default threads."""
    global _send_threads
    _send_threads = executor


def sending_now() -> set[int]:
    """The notices this process is sending at the moment."""
    return set(_sending)


def _start(notice_id: int) -> asyncio.Future[NoticeStatus | None]:
    if notice_id in _sending:
        return _sending[notice_id]
    future = asyncio.get_running_loop().run_in_executor(_send_threads, deliver_notice, notice_id)
    _sending[notice_id] = future
    future.add_done_callback(lambda _: _sending.pop(notice_id, None))
    return future


async def send_now(notice_ids: list[int], *, wait_at_most: float | None = None) -> list[Outcome]:
    """Start one attempt at each notice; the outcomes of those done within ``wait_at_most``
    seconds, ``"sending"`` for the others (they go on in their threads)."""
    futures = [_start(n) for n in notice_ids]
    if futures:
        await asyncio.wait(futures, timeout=wait_at_most)
    return [_outcome(f) for f in futures]


def _outcome(future: asyncio.Future[NoticeStatus | None]) -> Outcome:
    if not future.done():
        return "sending"
    return None if future.exception() else future.result()


async def finish_sends() -> None:
    """Wait for every send this process has started (tests, shutdown)."""
    while _sending:
        await asyncio.wait(list(_sending.values()))


def _batch_name() -> str:
    from prefect.runtime import task_run

    return _ids_name(task_run.parameters["notice_ids"])


def _ids_name(ids: list[int]) -> str:
    return f"notice {ids[0]}" if len(ids) == 1 else f"notices {ids[0]} +{len(ids) - 1} more"


@task(task_run_name=_batch_name)
async def send_queued_notices(notice_ids: list[int]) -> int:
    """One attempt at each notice, in the send threads; how many were sent. One task run for
    many notices: a task run per mail cost more Prefect bookkeeping than the mail itself when
    a sweep or a burst queued thousands."""
    outcomes = await send_now(notice_ids)
    return sum(outcome == NoticeStatus.sent for outcome in outcomes)


def _run_name() -> str:
    ids = flow_run.parameters.get("notice_ids")
    return _ids_name(ids) if ids else "send due notices"


@flow(name="send-notices", flow_run_name=_run_name, log_prints=False)
async def send_notices(notice_ids: list[int] | None = None) -> SendReport:
    """Hold the sends whose sender died, then one attempt at each notice given (or due)."""
    report = SendReport()
    if await asyncio.to_thread(expired_sends_exist):
        report.notices_held = await asyncio.to_thread(hold_expired_sends)
    if notice_ids is None:
        due = await asyncio.to_thread(due_notice_ids, get_settings().outbox_batch_size)
        notice_ids = [n for n in due if n not in _sending]
    chunks = [
        notice_ids[i : i + NOTICES_PER_TASK_RUN]
        for i in range(0, len(notice_ids), NOTICES_PER_TASK_RUN)
    ]
    sent = await asyncio.gather(*(send_queued_notices(chunk) for chunk in chunks))
    report.notices_sent = sum(sent)
    report.notices_not_sent = len(notice_ids) - report.notices_sent
    return report
