"""``make run``: the whole stack as child processes, stopped together on Ctrl-C.

SMTP catcher, Prefect server (SQLite under var/prefect), the event relay, the API and a
Prefect worker serving the deployments of prefect.yaml.
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

PROJECT_DIR = Path(__file__).resolve().parent.parent
WORK_POOL = "complaints"


def child_environment(settings: Settings) -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("PREFECT_HOME", str((settings.var_dir / "prefect").resolve()))
    env["PREFECT_API_URL"] = settings.prefect_api_url
    env.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    env.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
    return env


def wait_until(check: Callable[[], bool], *, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.3)
    raise RuntimeError(f"{what} did not come up within {timeout:.0f} s")


def http_ok(url: str) -> Callable[[], bool]:
    def check() -> bool:
        try:
            return httpx.get(url, timeout=1.0).status_code == 200
        except httpx.HTTPError:
            return False

    return check


@dataclass
class Stack:
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

    def run_once(self, args: list[str]) -> None:
        subprocess.run(  # noqa: S603 - our own fixed commands
            args,
            cwd=PROJECT_DIR,
            env=child_environment(self.settings),
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def stop(self) -> None:
        for process in reversed(list(self.processes.values())):
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes.values():
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)

    def dead(self) -> list[str]:
        return [name for name, p in self.processes.items() if p.poll() is not None]


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


def start_stack(settings: Settings) -> Stack:
    (settings.var_dir / "logs").mkdir(parents=True, exist_ok=True)
    prefect_port = int(urlsplit(settings.prefect_api_url).port or 4200)
    refuse_busy_ports(
        {
            "SMTP catcher": (settings.smtp_host, settings.smtp_port),
            "Prefect server": ("127.0.0.1", prefect_port),
            "API": (settings.api_host, settings.api_port),
        }
    )
    stack = Stack(settings)
    python = sys.executable
    stack.start("smtp", [python, "-m", "workflow.cli", "smtp"])
    stack.start(
        "prefect",
        prefect_command("server", "start", "--host", "127.0.0.1", "--port", str(prefect_port)),
    )
    stack.start("relay", [python, "-m", "flows.relay"])
    stack.start(
        "api",
        [
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
    )
    wait_until(http_ok(f"{settings.prefect_api_url}/health"), timeout=90, what="Prefect server")
    wait_until(
        http_ok(f"http://{settings.api_host}:{settings.api_port}/api/v1/health"),
        timeout=60,
        what="API",
    )
    return stack


def start_worker(stack: Stack) -> None:
    """Register prefect.yaml's deployments and serve them (the scheduled reconciler)."""
    stack.run_once(
        prefect_command("work-pool", "create", WORK_POOL, "--type", "process", "--overwrite")
    )
    stack.run_once(prefect_command("--no-prompt", "deploy", "--all"))
    stack.start("worker", prefect_command("worker", "start", "--pool", WORK_POOL))
