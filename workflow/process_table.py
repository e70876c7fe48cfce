"""The two things about processes that psutil does not say in one call.

- Whether a process still runs: psutil counts a zombie (ended, not yet reaped by its parent)
  as running; for us it has ended.
- Killing processes and waiting until each has ended. ``psutil.wait_procs`` waits for a
  zombie to be *reaped*, which never happens under an init that does not reap (some
  containers), and it reaps our own children itself, taking their exit status from whoever
  started them.
"""

import contextlib
import signal
import time
from collections.abc import Iterable

import psutil


def is_running(process: psutil.Process) -> bool:
    """Alive and not a zombie, and its pid not taken by another process since."""
    try:
        return process.is_running() and process.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def send(processes: Iterable[psutil.Process], signum: int) -> None:
    """Signal each process that is still the one it was (psutil checks for a reused pid)."""
    for process in processes:
        with contextlib.suppress(psutil.NoSuchProcess, psutil.AccessDenied):
            process.send_signal(signum)


def kill_and_wait(
    processes: Iterable[psutil.Process], timeout: float = 5.0
) -> list[psutil.Process]:
    """SIGKILL each process and wait until it has ended; those still there after ``timeout``."""
    left = list(processes)
    send(left, signal.SIGKILL)
    deadline = time.monotonic() + timeout
    while True:
        left = [process for process in left if is_running(process)]
        if not left or time.monotonic() >= deadline:
            return left
        time.sleep(0.05)
