"""Helpers for tests: data factories, sign-in, driving the delivery flow."""

import asyncio
import socket
import threading
from typing import Any

import httpx
import uvicorn

from flows.relay import relay_once


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class ServerThread:
    """The real API served over HTTP by uvicorn, in a thread of the test process."""

    def __init__(self, app: Any, port: int) -> None:
        self.server = uvicorn.Server(
            uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)
        )
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.base_url = f"http://127.0.0.1:{port}"

    def start(self) -> "ServerThread":
        self.thread.start()
        for _ in range(200):
            if self.server.started:
                return self
            threading.Event().wait(0.05)
        raise RuntimeError("API server did not start")

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


def complaint_payload(**overrides: Any) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "kind": "complaint",
        "channel": "phone",
        "product": "Pump P-200",
        "lot_number": "L-2026-114",
        "order_reference": "PO-7781",
        "quantity_affected": 12,
        "description": "Seal leaks after two hours of operation.",
        "remedy_sought": "replace",
        "severity": "major",
        "customer": {
            "name": "Jane Miller",
            "company": "Acme",
            "email": "jane@acme.example",
            "phone": "+49 30 1234",
            "address": "1 Main Street, Berlin",
        },
    }
    payload.update(overrides)
    return payload


def quality_result(**overrides: Any) -> dict[str, Any]:
    result: dict[str, Any] = {
        "kind": "quality_assessment",
        "valid": True,
        "investigate": True,
        "defect_code": "LK-SEAL",
        "cause_code": "MAT-BTCH",
        "containment": "Stock of lot L-2026-114 blocked.",
        "root_cause": "Seal material from one supplier batch was out of specification.",
        "corrective_action": "Supplier batch rejected; incoming inspection of seals tightened.",
        "preventive_action": "Seal hardness added to the supplier's certificate of conformity.",
        "customer_summary": "A faulty seal batch caused the leak; we replace your pumps.",
    }
    result.update(overrides)
    return result


def first_assessment(**overrides: Any) -> dict[str, Any]:
    """A valid first assessment: the defect code is required with valid true."""
    return {"valid": True, "investigate": True, "defect_code": "LK-SEAL", **overrides}


def drain_outbox(max_rounds: int = 20) -> int:
    """Run the delivery flow (for real, on the Prefect server) until nothing is waiting."""
    rounds = 0
    while rounds < max_rounds and asyncio.run(relay_once()):
        rounds += 1
    return rounds


class Api:
    """An HTTP client signed in as one user."""

    def __init__(self, base_url: str, username: str | None = None, password: str = "demo") -> None:  # noqa: S107
        self.client = httpx.Client(base_url=f"{base_url}/api/v1", timeout=30)
        if username:
            token = self.client.post(
                "/auth/token", data={"username": username, "password": password}
            )
            token.raise_for_status()
            self.client.headers["Authorization"] = f"Bearer {token.json()['access_token']}"

    def __getattr__(self, name: str) -> Any:
        return getattr(self.client, name)

    def log_complaint(self, **overrides: Any) -> dict[str, Any]:
        answer = self.client.post("/complaints", json=complaint_payload(**overrides))
        assert answer.status_code == 201, answer.text
        return answer.json()

    def record(self, reference: str) -> dict[str, Any]:
        answer = self.client.get(f"/complaints/{reference}")
        assert answer.status_code == 200, answer.text
        return answer.json()

    def open_task(self, reference: str, kind: str) -> dict[str, Any]:
        tasks = [
            t
            for t in self.record(reference)["tasks"]
            if t["kind"] == kind and t["status"] in ("open", "claimed")
        ]
        assert len(tasks) == 1, tasks
        return tasks[0]


def wait_for(check: Any, *, timeout: float = 60.0, interval: float = 0.2) -> Any:
    """Poll ``check`` until it returns something truthy; fail after ``timeout`` seconds."""
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout} s")


def freeze_at(moment: Any) -> None:
    """Run the business clock at a fixed moment (an aware datetime)."""
    from workflow.clock import set_clock

    set_clock(lambda: moment)


def sweep() -> Any:
    """One run of the deadline sweep flow, for real, on the Prefect server."""
    from flows.sweep_deadlines import sweep_deadlines

    return asyncio.run(sweep_deadlines())


def mail_body(message: Any) -> str:
    """All text of a mail, whether plain or multipart."""
    parts = message.walk() if message.is_multipart() else [message]
    return "".join(
        (p.get_payload(decode=True) or b"").decode(p.get_content_charset() or "utf-8")
        for p in parts
        if not p.is_multipart()
    )
