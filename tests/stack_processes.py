"""Helpers for the supervision tests: `complaints run` as a real subprocess, the processes of
one stack found by the environment they inherited (their ``CW_VAR_DIR``), and small real
process trees for the guard and the supervisor."""

import contextlib
import itertools
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import psutil

from tests.support import complaint_payload, free_port, wait_for

if TYPE_CHECKING:
    from workflow.supervisor import Supervisor

PROJECT_DIR = Path(__file__).resolve().parent.parent
STARTUP_SECONDS = 300.0  # Prefect alone takes 10-60 s on a busy 2-core machine


def stack_environment(database: dict[str, str], **extra: str) -> dict[str, str]:
    """The environment of a stack in ``database['CW_VAR_DIR']`` on free ports."""
    directory = Path(database["CW_VAR_DIR"])
    inherited = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("CW_", "PREFECT_", "PYTEST_"))
    }
    return {
        **inherited,
        **database,
        "CW_ENVIRONMENT": "development",
        "CW_API_PORT": str(free_port()),
        "CW_SMTP_PORT": str(free_port()),
        "CW_INBOUND_SMTP_PORT": str(free_port()),
        "CW_PREFECT_API_URL": f"http://127.0.0.1:{free_port()}/api",
        "CW_INTAKE_RATE": "1000/second",
        # The stack's own limit per part: under load the default 90 s is too short here.
        "CW_STACK_STARTUP_TIMEOUT_SECONDS": str(STARTUP_SECONDS),
        "PREFECT_HOME": str(directory / "prefect"),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_UI_ENABLED": "false",
        "PREFECT_LOGGING_LEVEL": "WARNING",
        **extra,
    }


def is_running(pid: int) -> bool:
    """Alive and not a zombie waiting to be reaped."""
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def processes_of(environment: dict[str, str]) -> dict[int, list[str]]:
    """Every running process whose environment names this stack's directory: pid -> argv."""
    var_dir = environment["CW_VAR_DIR"]
    return {
        process.pid: process.info["cmdline"] or []
        for process in psutil.process_iter(["environ", "cmdline"])
        if process.pid != os.getpid()
        and (process.info["environ"] or {}).get("CW_VAR_DIR") == var_dir
        and is_running(process.pid)
    }


def kill_everything_of(environment: dict[str, str]) -> None:
    """The last resort of every test: no process of this stack survives it."""
    deadline = time.monotonic() + 10
    while (left := processes_of(environment)) and time.monotonic() < deadline:
        for pid in left:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        time.sleep(0.05)


CHILD_COMMANDS = {
    "relay": ("-m", "flows.relay"),
    "smtp": ("workflow.cli", "smtp"),
    "prefect": ("server", "start"),
    "api": ("-m", "uvicorn"),
    "worker": ("worker", "start"),
}


def child_pid(environment: dict[str, str], name: str) -> int | None:
    """The pid of the real command of one child (not of a wrapper around it)."""
    wanted = CHILD_COMMANDS[name]
    for pid, argv in processes_of(environment).items():
        if "workflow.process_guard" in argv:
            continue
        if wanted in itertools.pairwise(argv):
            return pid
    return None


@dataclass
class Launcher:
    """`complaints run` in a subprocess, its output in a file."""

    environment: dict[str, str]
    worker: bool = False
    process: subprocess.Popen | None = None
    output: Path = field(init=False)

    def __post_init__(self) -> None:
        directory = Path(self.environment["CW_VAR_DIR"])
        directory.mkdir(parents=True, exist_ok=True)
        self.output = directory / f"launcher-{time.monotonic_ns()}.out"

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.environment['CW_API_PORT']}"

    def start(self) -> "Launcher":
        command = [sys.executable, "-m", "workflow.cli", "run"]
        if not self.worker:
            command.append("--no-worker")
        with self.output.open("wb") as out:
            self.process = subprocess.Popen(
                command,
                cwd=PROJECT_DIR,
                env=self.environment,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        return self

    def text(self) -> str:
        return self.output.read_text(errors="replace")

    def wait_until_up(self) -> None:
        assert self.process is not None

        def up() -> bool:
            assert self.process is not None
            if self.process.poll() is not None:
                raise AssertionError(f"`complaints run` ended early:\n{self.text()}")
            return "Stack up" in self.text()

        try:
            wait_for(up, timeout=STARTUP_SECONDS, interval=0.5)
        except AssertionError as exc:
            raise AssertionError(f"{exc}\n{self.text()}") from exc


def token(api_url: str, username: str = "sales") -> str:
    answer = httpx.post(
        f"{api_url}/api/v1/auth/token",
        data={"username": username, "password": "demo"},
        timeout=30,
    )
    answer.raise_for_status()
    return answer.json()["access_token"]


class IntakeLoad:
    """Logs a complaint every ``pause`` seconds in a thread, recording each answer."""

    def __init__(self, api_url: str, pause: float = 0.2) -> None:
        self.client = httpx.Client(
            base_url=f"{api_url}/api/v1",
            headers={"Authorization": f"Bearer {token(api_url)}"},
            timeout=30,
        )
        self.pause = pause
        self.answers: list[int | str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._post_until_stopped, daemon=True)

    def _post_until_stopped(self) -> None:
        while not self._stop.is_set():
            try:
                answer = self.client.post("/complaints", json=complaint_payload())
                self.answers.append(answer.status_code)
            except httpx.HTTPError as exc:
                self.answers.append(type(exc).__name__)
            self._stop.wait(self.pause)

    def __enter__(self) -> "IntakeLoad":
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=60)
        self.client.close()

    def refused(self) -> list[int | str]:
        return [a for a in self.answers if a != 201]


def descendants(pid: int) -> set[int]:
    return {child.pid for child in psutil.Process(pid).children(recursive=True)}


# A stand-in for the supervisor: starts one guarded child, then waits to be killed.
PARENT = """
import subprocess, sys, time
from workflow.process_guard import guarded_command
subprocess.Popen(guarded_command([sys.executable, "-c", sys.argv[1]]))
time.sleep(600)
"""
# The guarded child: starts a process in a session of its own, as Prefect's worker does.
CHILD = """
import os, subprocess, sys, time
escaped = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"],
                           start_new_session=True)
with open(os.environ["PIDS_FILE"], "w") as out:
    out.write(f"{os.getpid()} {escaped.pid}")
time.sleep(600)
"""


def parent_of(pid: int) -> int:
    return psutil.Process(pid).ppid()


def guarded_tree(tmp_path: Path) -> tuple[subprocess.Popen, int, int, int]:
    """A stand-in supervisor, its guard, the guarded child, and the child's escaped child."""
    pids_file = tmp_path / "pids"
    parent = subprocess.Popen(
        [sys.executable, "-c", PARENT, CHILD],
        cwd=PROJECT_DIR,
        env={**os.environ, "PIDS_FILE": str(pids_file)},
    )
    wait_for(lambda: pids_file.exists() and pids_file.read_text(), timeout=60)
    child, escaped = map(int, pids_file.read_text().split())
    guard = parent_of(child)
    assert parent_of(guard) == parent.pid
    return parent, guard, child, escaped


def supervisor_in(log_dir: Path, **options: float) -> "Supervisor":
    from workflow.supervisor import Supervisor, open_supervisor_log

    return Supervisor(
        log_dir=log_dir,
        environment=dict(os.environ),
        cwd=PROJECT_DIR,
        logger=open_supervisor_log(log_dir),
        **options,
    )


def restarts_of(command: list[str], log_dir: Path, count: int, **options: float) -> list[float]:
    """Supervise one child until it was restarted ``count`` times; the times between starts."""
    supervisor = supervisor_in(log_dir, **options)
    supervisor.start("flaky", command)
    starts = [time.monotonic()]
    try:
        deadline = time.monotonic() + 60
        while len(starts) <= count and time.monotonic() < deadline:
            supervisor.tend()
            if supervisor.children["flaky"].restarts == len(starts):
                starts.append(time.monotonic())
            time.sleep(0.02)
    finally:
        supervisor.stop()
    return [later - earlier for earlier, later in itertools.pairwise(starts)]


# A server another child needs: it listens until told to stop, and stops at once.
SERVER = """
import socket, sys, time
listener = socket.create_server(("127.0.0.1", int(sys.argv[1])))
time.sleep(600)
"""
# A child that, told to stop, first finishes its work on that server, as the relay does.
CLIENT = """
import pathlib, signal, socket, sys, time
port, report = int(sys.argv[1]), pathlib.Path(sys.argv[2])
def finish_then_exit(*_):
    time.sleep(0.5)
    with socket.socket() as probe:
        answered = probe.connect_ex(("127.0.0.1", port)) == 0
    report.write_text("server answered" if answered else "server gone")
    sys.exit(0)
signal.signal(signal.SIGTERM, finish_then_exit)
report.write_text("working")
time.sleep(600)
"""
