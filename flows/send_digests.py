"""The managers' daily digest, scheduled on working days (prefect.yaml)."""

import asyncio

from prefect import flow, task

from flows.send_notices import send_one_notice
from workflow.clock import utcnow
from workflow.db import read_session, write_session
from workflow.digest import digest_recipients, queue_digest


def _queue(user_id: int) -> int | None:
    from models.user import User

    with write_session() as session:
        user = session.get(User, user_id)
        notice = queue_digest(session, user) if user else None
        session.commit()
        return notice.id if notice else None


@task(task_run_name="digest for {username}")
async def send_digest(user_id: int, username: str) -> bool:
    notice_id = await asyncio.to_thread(_queue, user_id)
    if notice_id is None:
        return False
    return await asyncio.to_thread(send_one_notice, notice_id) == "sent"


def _run_name() -> str:
    return f"digests {utcnow():%Y-%m-%d}"


@flow(name="send-digests", flow_run_name=_run_name, log_prints=False)
async def send_digests() -> int:
    """One digest per manager who wants it; a second run the same day sends nothing."""
    with read_session() as session:
        users = [(u.id, u.username) for u in digest_recipients(session)]
    sent = await asyncio.gather(*(send_digest(uid, name) for uid, name in users if uid))
    return sum(sent)
