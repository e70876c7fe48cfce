"""The Prefect runs that handled a complaint, for links from its page into the Prefect UI.

The delivery flow names each task run ``<reference> <event kind>`` (flows/deliver_events.py),
so the runs of one complaint are found by name, even inside a batch's flow run.
"""

from datetime import datetime
from typing import Any

import httpx

from workflow.config import get_settings

PREFECT_TIMEOUT_SECONDS = 2.0


def _moment(iso: str | None) -> datetime | None:
    return datetime.fromisoformat(iso.replace("Z", "+00:00")) if iso else None


def prefect_ui_url() -> str:
    return get_settings().prefect_api_url.rstrip("/").removesuffix("/api")


def runs_for_reference(reference: str) -> dict[str, Any]:
    """``runs`` (newest first) or ``error`` when Prefect does not answer: the page never waits
    on Prefect for long, and never fails because of it."""
    api = get_settings().prefect_api_url.rstrip("/")
    query = {
        "task_runs": {"name": {"like_": reference}},
        "sort": "EXPECTED_START_TIME_DESC",
        "limit": 50,
    }
    try:
        answer = httpx.post(f"{api}/task_runs/filter", json=query, timeout=PREFECT_TIMEOUT_SECONDS)
        answer.raise_for_status()
    except httpx.HTTPError as exc:
        return {"runs": [], "error": f"Prefect did not answer ({type(exc).__name__})."}
    ui = prefect_ui_url()
    runs = [
        {
            "name": run["name"],
            "state": (run.get("state") or {}).get("name") or run.get("state_type") or "?",
            "started": _moment(run.get("start_time") or run.get("expected_start_time")),
            "url": f"{ui}/runs/flow-run/{run['flow_run_id']}" if run.get("flow_run_id") else None,
        }
        for run in answer.json()
        if run["name"].split(" ", 1)[0] == reference
    ]
    return {"runs": runs, "error": None, "prefect_ui": ui}
