"""Keeps child processes running: a child that exits is started again, with backoff.

The first restart waits ``FIRST_DELAY`` (1 s), each further one twice as long, up to
``MAX_DELAY`` (30 s); a child that had run ``stable_after`` seconds (60) before it died starts
over at 1 s. Every exit and restart is logged, to stdout and ``supervisor.log``.

Each child runs under ``workflow.process_guard`` in a process group of its own: its whole
tree ends when it is stopped, when it exits, and when the supervisor dies (the guard's
parent-death signal). Linux sends that signal when the *thread* that started the guard
ends, so children are only ever started from the thread that calls ``tend``: the main
thread. ``stop`` stops them the last started first, one after the other.
"""

import contextlib
import logging
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from workflow.process_guard import GRACE_SECONDS, guarded_command

FIRST_DELAY = 1.0
MAX_DELAY = 30.0
STABLE_AFTER = 60.0
STOP_SECONDS = GRACE_SECONDS + 5.0
STOP_ALL_SECONDS = 2 * STOP_SECONDS  # one child after the other, yet Ctrl-C stays bounded


def open_supervisor_log(log_dir: Path, name: str = "supervisor") -> logging.Logger:
    """A logger writing to stdout and ``log_dir/supervisor.log``."""
    log_dir.mkdir(parents=True, exist_ok=True)
    logger = logging.getLogger(f"{name}.{log_dir}")
    logger.setLevel(logging.INFO)
    logger.propagate = False
    for handler in list(logger.handlers):
        logger.removeHandler(handler)
        handler.close()
    formatter = logging.Formatter("%(asctime)s supervisor %(levelname)s %(message)s")
    for handler in (
        logging.StreamHandler(sys.stdout),
        logging.FileHandler(log_dir / "supervisor.log"),
    ):
        handler.setFormatter(formatter)
        logger.addHandler(handler)
    return logger


def describe_exit(code: int) -> str:
    signum = -code if code < 0 else code - 128 if code > 128 else 0
    with contextlib.suppress(ValueError):
        if signum:
            return f"killed by {signal.Signals(signum).name}"
    return f"exit code {code}"


@dataclass
class Child:
    name: str
    command: list[str]
    process: subprocess.Popen | None = None
    started_at: float = 0.0
    delay: float = FIRST_DELAY
    restart_at: float | None = None
    restarts: int = 0


class Supervisor:
    def __init__(
        self,
        *,
        log_dir: Path,
        environment: dict[str, str],
        cwd: Path,
        logger: logging.Logger,
        stable_after: float = STABLE_AFTER,
    ) -> None:
        self.log_dir = log_dir
        self.environment = environment
        self.cwd = cwd
        self.logger = logger
        self.stable_after = stable_after
        self.children: dict[str, Child] = {}

    def start(self, name: str, command: list[str]) -> None:
        child = Child(name, command)
        self.children[name] = child
        self._spawn(child)

    def pids(self) -> dict[str, int]:
        """The guards' pids (each the id of its child's process group)."""
        return {name: c.process.pid for name, c in self.children.items() if c.process}

    def _spawn(self, child: Child) -> None:
        with (self.log_dir / f"{child.name}.log").open("ab") as log:
            child.process = subprocess.Popen(  # noqa: S603 - our own fixed commands
                guarded_command(child.command),
                cwd=self.cwd,
                env=self.environment,
                stdout=log,
                stderr=subprocess.STDOUT,
                process_group=0,  # out of the terminal's group: Ctrl-C reaches us only
            )
        child.started_at = time.monotonic()
        child.restart_at = None

    def tend(self) -> None:
        """Notice children that exited, and start again those whose delay has passed."""
        now = time.monotonic()
        for child in self.children.values():
            if child.process is not None and child.process.poll() is not None:
                self._schedule_restart(child, now)
            if child.restart_at is not None and now >= child.restart_at:
                self._spawn(child)
                child.restarts += 1
                assert child.process is not None
                self.logger.info(
                    "%s restarted (pid %d, restart %d)",
                    child.name,
                    child.process.pid,
                    child.restarts,
                )

    def _schedule_restart(self, child: Child, now: float) -> None:
        assert child.process is not None
        code, ran = child.process.returncode, now - child.started_at
        _kill_group(child.process.pid)  # what is left if the guard itself was killed
        child.process = None
        if ran >= self.stable_after:
            child.delay = FIRST_DELAY
        child.restart_at = now + child.delay
        self.logger.warning(
            "%s exited (%s) after %.0f s; restarting in %.0f s; its log: %s",
            child.name,
            describe_exit(code),
            ran,
            child.delay,
            self.log_dir / f"{child.name}.log",
        )
        child.delay = min(child.delay * 2, MAX_DELAY)

    def watch(self, interval: float = 0.5) -> None:
        """Tend the children until interrupted (Ctrl-C, or SIGTERM turned into it)."""
        while True:
            self.tend()
            time.sleep(interval)

    def stop(self) -> None:
        """Stop every child and its tree, the last started first, each gone before the next is
        told: a child may need those started before it to finish (the relay its batch, on the
        Prefect server). Told all at once, the relay lost the server mid-batch and hung until
        its guard killed it, 10 s later."""
        deadline = time.monotonic() + STOP_ALL_SECONDS
        for child in reversed(self.children.values()):
            child.restart_at = None
            if child.process is not None:
                _stop_child(child.process, min(STOP_SECONDS, deadline - time.monotonic()))
        self.logger.info("stopped: %s", ", ".join(self.children) or "nothing was running")


def _stop_child(process: subprocess.Popen, timeout: float) -> None:
    """SIGTERM to the guard, which ends its tree; SIGKILL to its group after ``timeout``."""
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            process.send_signal(signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=max(timeout, 1.0))
    _kill_group(process.pid)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=5)


def _kill_group(group: int) -> None:
    # Safe after the leader is reaped: Linux gives no new process a pid still used as a group id.
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(group, signal.SIGKILL)
