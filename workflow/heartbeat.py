"""The relay's heartbeat: one row per relay process, its time moved on every few seconds.

A table rather than a file so that an API on another machine can read it. The health route
calls the relay down when the newest beat of any relay is older than three intervals. Wall
time, not ``workflow.clock``: tests move the business clock, and a beat is about now.
"""

import asyncio
import contextlib
import logging
import os
import socket
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, func
from sqlmodel import col, select

from models.heartbeat import RelayHeartbeat
from workflow.config import get_settings
from workflow.db import read_session, write_session

logger = logging.getLogger("relay")
FORGET_AFTER = timedelta(days=1)  # rows of relays long gone (each restart is a new pid)


def relay_identity() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def record_beat(relay_id: str, started_at: datetime) -> None:
    now = datetime.now(UTC)
    with write_session() as session:
        row = session.get(RelayHeartbeat, relay_id)
        if row is None:
            session.exec(
                delete(RelayHeartbeat).where(col(RelayHeartbeat.beat_at) < now - FORGET_AFTER)
            )
            session.add(RelayHeartbeat(relay_id=relay_id, started_at=started_at, beat_at=now))
        else:
            row.beat_at = now
        session.commit()


def latest_beat() -> datetime | None:
    """When any relay last said it was alive."""
    with read_session() as session:
        return session.exec(select(func.max(RelayHeartbeat.beat_at))).one()


async def keep_beating(stop: asyncio.Event) -> None:
    """Record a beat every ``relay_heartbeat_seconds`` until ``stop`` is set."""
    relay_id, started_at = relay_identity(), datetime.now(UTC)
    interval = get_settings().relay_heartbeat_seconds
    # A thread of its own: the relay's pool can be busy with mail for longer than a beat.
    executor = ThreadPoolExecutor(1, thread_name_prefix="heartbeat")
    loop = asyncio.get_running_loop()
    try:
        while not stop.is_set():
            try:
                await loop.run_in_executor(executor, record_beat, relay_id, started_at)
            except Exception as exc:
                logger.warning("heartbeat not recorded (%s)", exc)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=interval)
    finally:
        executor.shutdown(wait=False)
