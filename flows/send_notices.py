"""The sending flow: one attempt at each notice the ledger holds, apart from routing.

Routing commits first (``flows/deliver_events.py``) and never waits on a mail server; the
relay runs this flow beside it with at most ``relay_send_concurrency`` notices in flight, in
threads of their own, so a slow or dead mail server delays mail and nothing else. Every send
of this project goes through ``send_one_notice``: the ledger claims the notice with a lease,
makes one attempt and records the outcome.
"""

import asyncio
from collections.abc import Callable
from concurrent.futures import Executor
from typing import Any

from prefect import flow, task
from prefect.runtime import flow_run
from pydantic import BaseModel, Field

from models.notification import NoticeStatus
from notifications.ledger import (
    due_notice_ids,
    expired_sends_exist,
    hold_expired_sends,
    send_notice,
)
from notifications.sender import AppriseNotifier, Notifier
from workflow.config import get_settings

_send_threads: Executor | None = None


class SendReport(BaseModel):
    notices_sent: int = 0
    notices_not_sent: int = 0
    notices_held: int = Field(default=0, description="Sends whose outcome is unknown, held")


def notifier() -> Notifier:
    return AppriseNotifier()


def send_one_notice(notice_id: int) -> NoticeStatus | None:
    """One attempt at one notice through the ledger; None if it was not ours to send now."""
    return send_notice(notice_id, notifier())


def use_send_threads(executor: Executor | None) -> None:
    """Run sends in these threads (the relay's own), so waiting on a mail server never takes
    the threads routing needs; None: the event loop's default threads."""
    global _send_threads
    _send_threads = executor


async def _in_send_thread(call: Callable[..., Any], *args: Any) -> Any:
    if _send_threads is None:
        return await asyncio.to_thread(call, *args)
    return await asyncio.get_running_loop().run_in_executor(_send_threads, call, *args)


@task(task_run_name="notice {notice_id}")
async def send_queued_notice(notice_id: int) -> bool:
    return await _in_send_thread(send_one_notice, notice_id) == NoticeStatus.sent


def _run_name() -> str:
    ids = flow_run.parameters.get("notice_ids")
    if not ids:
        return "send due notices"
    return f"notice {ids[0]}" if len(ids) == 1 else f"notices {ids[0]} +{len(ids) - 1} more"


@flow(name="send-notices", flow_run_name=_run_name, log_prints=False)
async def send_notices(notice_ids: list[int] | None = None) -> SendReport:
    """Hold the sends whose sender died, then one attempt at each notice given (or due)."""
    report = SendReport()
    if await asyncio.to_thread(expired_sends_exist):
        report.notices_held = await asyncio.to_thread(hold_expired_sends)
    if notice_ids is None:
        notice_ids = await asyncio.to_thread(due_notice_ids, get_settings().outbox_batch_size)
    sent = await asyncio.gather(*(send_queued_notice(n) for n in notice_ids))
    report.notices_sent = sum(sent)
    report.notices_not_sent = len(sent) - report.notices_sent
    return report
