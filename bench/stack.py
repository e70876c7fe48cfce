"""The real components, started for a benchmark in a temporary directory on free ports.

The same processes `make run` starts (SMTP catcher, Prefect server, relay, API), through the
same launcher (``workflow.stack``), with their own database, Prefect home and mail folder, so
a benchmark never touches ``var/`` or a running stack.
"""

import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_binary_file
from email.policy import default as default_policy
from pathlib import Path

import httpx

from workflow import db
from workflow.calendar import forget_calendar
from workflow.config import Settings, get_settings
from workflow.stack import Stack, http_ok, prefect_command, wait_until

PYTHON = sys.executable


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def use_environment(directory: Path, **extra: str) -> Settings:
    """Point this process (and the children it starts) at ``directory`` and fresh ports."""
    environment = {
        "CW_ENVIRONMENT": "development",
        "CW_VAR_DIR": str(directory),
        "CW_DATABASE_URL": "",
        "CW_API_PORT": str(free_port()),
        "CW_SMTP_PORT": str(free_port()),
        "CW_INBOUND_SMTP_PORT": str(free_port()),
        "CW_PREFECT_API_URL": f"http://127.0.0.1:{free_port()}/api",
        "CW_INTAKE_RATE": "1000000/second",
        "CW_FAILED_LOGIN_RATE": "1000/second",
        "PREFECT_HOME": str(directory / "prefect"),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_LOGGING_LEVEL": "WARNING",
        # Each 503 the server answers because its SQLite was busy, in logs/prefect.log: the
        # routing figures count them (`prefect_busy_answers`).
        "PREFECT_SERVER_LOG_RETRYABLE_ERRORS": "true",
        "PREFECT_UI_ENABLED": "false",
        **extra,
    }
    os.environ.update(environment)
    os.environ["PREFECT_API_URL"] = environment["CW_PREFECT_API_URL"]
    get_settings.cache_clear()
    db.reset_engines()
    forget_calendar()
    return get_settings()


@dataclass
class BenchStack:
    settings: Settings
    stack: Stack
    directory: Path
    mail_cache: dict[str, tuple[float, dict[str, str]]] = field(default_factory=dict)

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.settings.api_port}"

    def start_process(self, name: str, args: list[str]) -> None:
        self.stack.start(name, args)

    def start_api(
        self,
        app: str = "api.main:app",
        name: str = "api",
        port: int | None = None,
        workers: int = 1,
    ) -> str:
        """Start ``app`` under uvicorn; with ``workers`` > 1, that many processes share the port."""
        port = port or self.settings.api_port
        several = ["--workers", str(workers)] if workers > 1 else []
        self.stack.start(
            name,
            [
                PYTHON,
                "-m",
                "uvicorn",
                app,
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--no-access-log",
                "--log-level",
                "warning",
                *several,
            ],
        )
        url = f"http://127.0.0.1:{port}"
        wait_until(
            http_ok(f"{url}/api/v1/health" if app == "api.main:app" else f"{url}/health"),
            timeout=60,
            what=name,
        )
        return url

    def start_relay(self, name: str = "relay") -> None:
        self.stack.start(name, [PYTHON, "-m", "flows.relay"])

    def stop_process(self, name: str) -> None:
        """Stopped as the stack stops it: asked, then killed if it has not stopped in 20 s (a
        relay in the middle of a large batch; its leases give the batch to the next relay)."""
        self.stack.stop_one(name, grace=20)

    def rss_mb(self, name: str) -> float:
        return process_tree_rss_mb(self.stack.processes[name].pid)

    def mails(self) -> list[tuple[float, dict[str, str]]]:
        """Every mail the SMTP catcher accepted: (when, headers)."""
        for path in (self.directory / "mail").glob("*.eml"):
            if path.name in self.mail_cache:
                continue
            with path.open("rb") as handle:
                message = message_from_binary_file(handle, policy=default_policy)
            headers = {k: str(message[k]) for k in ("Subject", "To", "X-Notice-Id") if message[k]}
            self.mail_cache[path.name] = (path.stat().st_mtime, headers)
        return list(self.mail_cache.values())


def process_tree_rss_mb(pid: int) -> float:
    """Resident memory of a process and its descendants, from /proc."""
    total_kb = 0
    for child in [pid, *_descendants(pid)]:
        try:
            for line in Path(f"/proc/{child}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total_kb += int(line.split()[1])
        except FileNotFoundError:
            continue
    return total_kb / 1024


def _descendants(pid: int) -> list[int]:
    children: list[int] = []
    for status in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = status.read_text().rsplit(")", 1)[1].split()
        except (FileNotFoundError, IndexError, ProcessLookupError):
            continue
        if int(fields[1]) == pid:
            child = int(status.parent.name)
            children.extend([child, *_descendants(child)])
    return children


def migrate_and_seed() -> None:

    for command in (["migrate"], ["seed-demo"]):
        subprocess.run(
            [PYTHON, "-m", "workflow.cli", *command], check=True, stdout=subprocess.DEVNULL
        )


@contextmanager
def bench_stack(
    *,
    relay: bool = True,
    prefect: bool = True,
    keep: bool = False,
    environment: dict[str, str] | None = None,
) -> Iterator[BenchStack]:
    """Migrated database with the demo users; SMTP catcher, Prefect server, API, relay.

    ``environment`` overrides settings, e.g. ``CW_DATABASE_URL`` and the Prefect server's
    ``PREFECT_API_DATABASE_CONNECTION_URL`` for a run on PostgreSQL (``bench.pgcluster``)."""
    directory = Path(tempfile.mkdtemp(prefix="cw-bench-"))
    settings = use_environment(directory, **(environment or {}))
    (directory / "logs").mkdir()
    migrate_and_seed()
    bench = BenchStack(settings, Stack(settings), directory)
    try:
        bench.start_process("smtp", [PYTHON, "-m", "workflow.cli", "smtp"])
        if prefect:
            port = settings.prefect_api_url.rsplit(":", 1)[1].split("/")[0]
            bench.start_process(
                "prefect", prefect_command("server", "start", "--host", "127.0.0.1", "--port", port)
            )
            wait_until(http_ok(f"{settings.prefect_api_url}/health"), timeout=120, what="Prefect")
        bench.start_api()
        if relay:
            bench.start_relay()
        yield bench
    finally:
        bench.stack.stop()
        db.reset_engines()
        if not keep:
            shutil.rmtree(directory, ignore_errors=True)


PREFECT_BUSY_LINE = b"Encountered retryable exception in request"


def prefect_busy_answers(bench: "BenchStack") -> int:
    """How many requests the Prefect server has answered 503 so far (its database busy); its
    client waits 2 s before it tries again."""
    log = bench.directory / "logs" / "prefect.log"
    return log.read_bytes().count(PREFECT_BUSY_LINE) if log.exists() else 0


def token(api_url: str, username: str = "sales") -> str:
    answer = httpx.post(
        f"{api_url}/api/v1/auth/token", data={"username": username, "password": "demo"}
    )
    answer.raise_for_status()
    return answer.json()["access_token"]


def wait_for(check, *, timeout: float, interval: float = 0.2) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(interval)
    return False
