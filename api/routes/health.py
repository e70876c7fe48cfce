from typing import Literal

import httpx
from fastapi import APIRouter, Response, status
from sqlalchemy import text
from sqlmodel import SQLModel

from workflow.config import get_settings
from workflow.db import read_session

router = APIRouter(tags=["health"])


class Health(SQLModel):
    status: Literal["ok", "degraded"]
    database: Literal["up", "down"]
    prefect: Literal["up", "down"]


def _database_up() -> bool:
    try:
        with read_session() as session:
            session.exec(text("SELECT 1"))  # type: ignore[call-overload]
    except Exception:
        return False
    return True


async def _prefect_up() -> bool:
    try:
        async with httpx.AsyncClient(timeout=2.0) as client:
            answer = await client.get(f"{get_settings().prefect_api_url}/health")
    except httpx.HTTPError:
        return False
    return answer.status_code == 200


@router.get(
    "/health",
    summary="Is it up",
    description="The database and the Prefect server, each up or down. Needs no token (for "
    "load balancers and probes) and tells nothing else. 503 while either is down; intake "
    "keeps working while Prefect is down, and routing catches up when it is back.",
    responses={503: {"description": "Degraded", "model": Health}},
)
async def health(response: Response) -> Health:
    database = _database_up()
    prefect = await _prefect_up()
    if not (database and prefect):
        response.status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    return Health(
        status="ok" if database and prefect else "degraded",
        database="up" if database else "down",
        prefect="up" if prefect else "down",
    )
