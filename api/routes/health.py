"""Is it up: liveness and readiness for load balancers, each component for people.

No token, and nothing internal in the answers (no addresses, no error texts): a fixed reason
per outcome. Checks are bounded by short timeouts and run concurrently; the Prefect and SMTP
probes are kept for ``PROBE_CACHE_SECONDS`` so a polling load balancer, or anyone, cannot
turn this route into a stream of connections to those servers.
"""

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Literal

import httpx
from fastapi import APIRouter, Response, status
from sqlalchemy import text
from sqlmodel import SQLModel

from workflow.config import get_settings
from workflow.db import read_session
from workflow.heartbeat import latest_beat

router = APIRouter(tags=["health"])

DATABASE_TIMEOUT = 3.0
PREFECT_TIMEOUT = 2.0
SMTP_TIMEOUT = 1.0
PROBE_CACHE_SECONDS = 2.0
STALE_AFTER_BEATS = 3


class Component(SQLModel):
    status: Literal["up", "down"]
    reason: str


class Health(SQLModel):
    status: Literal["ok", "degraded", "down"]
    database: Component
    prefect: Component
    smtp: Component
    relay: Component


class Probe(SQLModel):
    status: Literal["ok", "down"]
    reason: str


def up(reason: str) -> Component:
    return Component(status="up", reason=reason)


def down(reason: str) -> Component:
    return Component(status="down", reason=reason)


def _select_one() -> None:
    with read_session() as session:
        session.execute(text("SELECT 1"))


async def database_component() -> Component:
    try:
        await asyncio.wait_for(asyncio.to_thread(_select_one), DATABASE_TIMEOUT)
    except TimeoutError:
        return down(f"no answer within {DATABASE_TIMEOUT:g} s")
    except Exception:  # whatever the driver says may name hosts or users: not for this answer
        return down("unreachable, or refusing queries")
    return up("answers queries")


async def prefect_component() -> Component:
    try:
        async with httpx.AsyncClient(timeout=PREFECT_TIMEOUT) as client:
            answer = await client.get(f"{get_settings().prefect_api_url}/health")
    except httpx.TimeoutException:
        return down(f"no answer within {PREFECT_TIMEOUT:g} s")
    except httpx.HTTPError:
        return down("unreachable")
    if answer.status_code != 200:
        return down(f"health check answered HTTP {answer.status_code}")
    return up("answers its health check")


async def smtp_component() -> Component:
    settings = get_settings()
    try:
        _, writer = await asyncio.wait_for(
            asyncio.open_connection(settings.smtp_host, settings.smtp_port), SMTP_TIMEOUT
        )
    except TimeoutError:
        return down(f"no answer within {SMTP_TIMEOUT:g} s")
    except OSError:
        return down("refuses connections")
    writer.close()
    with contextlib.suppress(OSError):
        await writer.wait_closed()
    return up("accepts connections")


async def relay_component() -> Component:
    limit = STALE_AFTER_BEATS * get_settings().relay_heartbeat_seconds
    try:
        beat = await asyncio.wait_for(asyncio.to_thread(latest_beat), DATABASE_TIMEOUT)
    except Exception:
        return down("heartbeat unreadable (database)")
    if beat is None:
        return down("no heartbeat recorded")
    age = max((datetime.now(UTC) - beat).total_seconds(), 0.0)
    if age > limit:
        return down(f"last heartbeat {age:.0f} s ago (more than {limit:g} s)")
    return up(f"last heartbeat {age:.0f} s ago")


_probes: dict[str, tuple[float, Component]] = {}


async def recent(key: str, probe: Callable[[], Awaitable[Component]]) -> Component:
    """The probe's answer, at most ``PROBE_CACHE_SECONDS`` old."""
    kept = _probes.get(key)
    if kept is not None and time.monotonic() - kept[0] < PROBE_CACHE_SECONDS:
        return kept[1]
    component = await probe()
    _probes[key] = (time.monotonic(), component)
    return component


@router.get(
    "/health/live",
    summary="Is the API process answering",
    description="200 whenever this API process answers at all; for a liveness probe (restart "
    "the process if it stops answering). Checks nothing else. Needs no token.",
)
async def live() -> Probe:
    return Probe(status="ok", reason="the API answers")


@router.get(
    "/health/ready",
    summary="Can it take complaints",
    description="200 when intake works, that is when the database answers; 503 otherwise. "
    "For a load balancer deciding whether to send traffic here. The Prefect server, the mail "
    "server and the relay are not needed for intake and are not checked. Needs no token.",
    responses={503: {"description": "The database does not answer", "model": Probe}},
)
async def ready(response: Response) -> Probe:
    database = await database_component()
    if database.status == "down":
        response.status_code = status.HTTP_503_SERVICE_UNAVAILABLE
        return Probe(status="down", reason=f"database {database.reason}")
    return Probe(status="ok", reason="the database answers")


@router.get(
    "/health",
    summary="Is each part up",
    description="The database, the Prefect server, the mail server (reachable) and the relay "
    "(its heartbeat), each `up` or `down` with a short reason. 200 while intake works (the "
    "database answers), with `degraded` when another part is down: complaints are taken and "
    "routed once that part is back. 503 with `down` when the database does not answer. Needs "
    "no token and tells nothing else.",
    responses={503: {"description": "The database does not answer", "model": Health}},
)
async def health(response: Response) -> Health:
    settings = get_settings()
    database, prefect, smtp, relay = await asyncio.gather(
        database_component(),
        recent(f"prefect {settings.prefect_api_url}", prefect_component),
        recent(f"smtp {settings.smtp_host}:{settings.smtp_port}", smtp_component),
        relay_component(),
    )
    parts = (database, prefect, smtp, relay)
    overall: Literal["ok", "degraded", "down"] = "ok"
    if database.status == "down":
        overall = "down"
        response.status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    elif any(part.status == "down" for part in parts):
        overall = "degraded"
    return Health(status=overall, database=database, prefect=prefect, smtp=smtp, relay=relay)
