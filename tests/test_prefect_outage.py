"""The Prefect server stops for a minute while complaints keep coming: intake answers 201
throughout, and every complaint is routed once the server is back."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.faults import counts, start_relay, stop, tasks_per_complaint
from tests.support import free_port, wait_for

OUTAGE_SECONDS = float(os.environ.get("CW_TEST_PREFECT_OUTAGE_SECONDS", "60"))


def start_prefect_server(port: int, home: Path) -> subprocess.Popen:
    env = {
        **os.environ,
        "PREFECT_HOME": str(home),
        "PREFECT_API_DATABASE_CONNECTION_URL": f"sqlite+aiosqlite:///{home / 'prefect.db'}",
        "PREFECT_UI_ENABLED": "false",
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    }
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "prefect",
            "server",
            "start",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )

    def healthy() -> bool:
        try:
            return httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    wait_for(healthy, timeout=120, interval=0.5)
    return server


def stop_server(server: subprocess.Popen) -> None:
    if server.poll() is None:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)


def test_intake_goes_on_while_prefect_is_down_and_everything_is_routed_after(
    as_user, mailbox, settings, monkeypatch, tmp_path
):
    port = free_port()
    home = tmp_path / "prefect-home"
    home.mkdir()
    server = start_prefect_server(port, home)
    monkeypatch.setenv("PREFECT_API_URL", f"http://127.0.0.1:{port}/api")
    relay = start_relay()
    sales = as_user("sales")
    try:
        first = sales.log_complaint()["reference"]
        wait_for(lambda: counts()["tasks"] == 1, timeout=60)

        stop_server(server)
        references = [first]
        pause = OUTAGE_SECONDS / 50
        for _ in range(50):
            references.append(sales.log_complaint()["reference"])  # 201 every time
            time.sleep(pause)
        assert counts()["tasks"] == 1  # nothing routed while Prefect is down

        server = start_prefect_server(port, home)
        wait_for(lambda: counts()["tasks"] == len(references), timeout=120)
        wait_for(lambda: len(mailbox.snapshot()) >= 2 * len(references), timeout=60)
        time.sleep(1)
    finally:
        stop(relay)
        stop_server(server)
    assert tasks_per_complaint() == dict.fromkeys(references, 1)
    acks = [m for m in mailbox.snapshot() if m["To"] == "jane@acme.example"]
    assert len(acks) == len(references)
    assert len({m["X-Notice-Id"] for m in acks}) == len(references)
