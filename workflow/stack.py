"""``make run``: the whole stack as supervised child processes, stopped together on Ctrl-C.

SMTP catcher, Prefect server (SQLite under var/prefect), the event relay, the API and a
Prefect worker serving the deployments of prefect.yaml. ``workflow.supervisor`` restarts a
child that dies; ``workflow.process_guard`` makes every child's tree die with the supervisor;
``workflow.stack_record`` clears what an earlier, killed stack may have left. ``Stack`` below
starts processes unsupervised, for the benchmarks.
"""

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import httpx

from workflow.config import Settings
from workflow.stack_record import (
    STACK_ID_VARIABLE,
    claim_run_directory,
    release_run_directory,
)
from workflow.supervisor import Supervisor, open_supervisor_log

PROJECT_DIR = Path(__file__).resolve().parent.parent
WORK_POOL = "complaints"


def child_environment(settings: Settings, stack_id: str | None = None) -> dict[str, str]:
    env = dict(os.environ)
    if stack_id:
        env[STACK_ID_VARIABLE] = stack_id
    env.setdefault("PREFECT_HOME", str((settings.var_dir / "prefect").resolve()))
    env["PREFECT_API_URL"] = settings.prefect_api_url
    env.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    env.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
    return env


def wait_until(
    check: Callable[[], bool],
    *,
    timeout: float,
    what: str,
    between: Callable[[], None] | None = None,
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        if between is not None:
            between()
        time.sleep(0.3)
    raise RuntimeError(f"{what} did not come up within {timeout:.0f} s")


def http_ok(url: str) -> Callable[[], bool]:
    def check() -> bool:
        try:
            return httpx.get(url, timeout=1.0).status_code == 200
        except httpx.HTTPError:
            return False

    return check


STOP_GRACE_SECONDS = 10.0  # then a process that has not stopped is killed


@dataclass
class Stack:
    """Processes started unsupervised, each in a session of its own (the benchmarks' harness)."""

    settings: Settings
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)

    def start(self, name: str, args: list[str]) -> None:
        log = open(self.settings.var_dir / "logs" / f"{name}.log", "ab")  # noqa: SIM115
        self.processes[name] = subprocess.Popen(  # noqa: S603 - our own fixed commands
            args,
            cwd=PROJECT_DIR,
            env=child_environment(self.settings),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def stop(self) -> None:
        for process in reversed(list(self.processes.values())):
            _ask_to_stop(process)
        for process in self.processes.values():
            _wait_or_kill(process, STOP_GRACE_SECONDS)

    def stop_one(self, name: str, grace: float = STOP_GRACE_SECONDS) -> None:
        """One process (its whole session) asked to stop, and killed if it has not in ``grace``
        seconds: forgotten by the stack only once it is gone."""
        process = self.processes[name]
        _ask_to_stop(process)
        _wait_or_kill(process, grace)
        del self.processes[name]


def _ask_to_stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)


def _wait_or_kill(process: subprocess.Popen, grace: float) -> None:
    try:
        process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=grace)


def prefect_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "prefect", *args]


def port_in_use(host: str, port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex((host, port)) == 0


def refuse_busy_ports(ports: dict[str, tuple[str, int]]) -> None:
    busy = [
        f"{name} ({host}:{port})" for name, (host, port) in ports.items() if port_in_use(host, port)
    ]
    if busy:
        raise RuntimeError(
            f"already in use: {', '.join(busy)}. Is another stack running? Stop it first."
        )


def stack_commands(settings: Settings, *, worker: bool) -> dict[str, list[str]]:
    """The children of `complaints run`, in the order they start."""
    python = sys.executable
    commands = {
        "smtp": [python, "-m", "workflow.cli", "smtp"],
        "prefect": prefect_command(
            "server", "start", "--host", "127.0.0.1", "--port", str(prefect_port(settings))
        ),
        "relay": [python, "-m", "flows.relay"],
        "api": [
            python,
            "-m",
            "uvicorn",
            "api.main:app",
            "--host",
            settings.api_host,
            "--port",
            str(settings.api_port),
            "--no-access-log",
            # X-Forwarded-For only from named proxies: by default uvicorn believes any local
            # client, which could then choose the address its sign-ins are counted under.
            f"--forwarded-allow-ips={','.join(settings.trusted_proxies)}",
        ],
    }
    if settings.inbound_smtp_port:
        commands["inbound-smtp"] = [python, "-m", "workflow.cli", "inbound-smtp"]
    if worker:
        commands["worker"] = [python, "-m", "workflow.prefect_worker"]
    return commands


def prefect_port(settings: Settings) -> int:
    return int(urlsplit(settings.prefect_api_url).port or 4200)


@dataclass
class SupervisedStack:
    settings: Settings
    supervisor: Supervisor
    stack_id: str

    @property
    def run_dir(self) -> Path:
        return self.settings.var_dir / "run"

    def wait_until_ready(self) -> None:
        """Wait for the Prefect server and the API, restarting what dies meanwhile."""
        timeout = self.settings.stack_startup_timeout_seconds
        api = f"http://{self.settings.api_host}:{self.settings.api_port}/api/v1/health/ready"
        for what, url in (
            ("Prefect server", f"{self.settings.prefect_api_url}/health"),
            ("API", api),
        ):
            wait_until(http_ok(url), timeout=timeout, what=what, between=self.supervisor.tend)

    def stop(self) -> None:
        self.supervisor.stop()
        release_run_directory(self.run_dir, self.stack_id)


def launch_stack(settings: Settings, *, worker: bool) -> SupervisedStack:
    """Clear an earlier stack's leftovers, check the ports, start every child supervised.

    Raises RuntimeError (with nothing left running) if another stack runs from this var
    directory or a port is taken."""
    log_dir = settings.var_dir / "logs"
    logger = open_supervisor_log(log_dir)
    stack_id, cleared = claim_run_directory(settings.var_dir / "run")
    if cleared:
        logger.warning("killed %d leftovers of an earlier stack: %s", len(cleared), cleared)
    supervisor = Supervisor(
        log_dir=log_dir,
        environment=child_environment(settings, stack_id),
        cwd=PROJECT_DIR,
        logger=logger,
    )
    stack = SupervisedStack(settings, supervisor, stack_id)
    try:
        refuse_busy_ports(
            {
                "SMTP catcher": (settings.smtp_host, settings.smtp_port),
                "Prefect server": ("127.0.0.1", prefect_port(settings)),
                "API": (settings.api_host, settings.api_port),
                **(
                    {"inbound mail listener": ("127.0.0.1", settings.inbound_smtp_port)}
                    if settings.inbound_smtp_port
                    else {}
                ),
            }
        )
        for name, command in stack_commands(settings, worker=worker).items():
            supervisor.start(name, command)
    except BaseException:
        stack.stop()
        raise
    return stack
