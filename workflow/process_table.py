"""What Linux's /proc says about processes: parents, start times, inherited environment.

Standard library only: ``workflow.process_guard`` imports it in every child of the stack.
"""

import contextlib
import os
import signal
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

PROC = Path("/proc")


@dataclass(frozen=True)
class ProcessStat:
    pid: int
    state: str
    parent: int
    group: int
    start_ticks: int  # clock ticks after boot: with the pid, it names one process for good


def _read(pid: int, name: str) -> bytes:
    try:
        return (PROC / str(pid) / name).read_bytes()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return b""


def stat_of(pid: int) -> ProcessStat | None:
    raw = _read(pid, "stat")
    if not raw:
        return None
    # The command name in parentheses may hold spaces and parentheses: split after the last.
    fields = raw.rsplit(b")", 1)[1].split()
    return ProcessStat(
        pid=pid,
        state=fields[0].decode(),
        parent=int(fields[1]),
        group=int(fields[2]),
        start_ticks=int(fields[19]),
    )


def running_pids() -> list[int]:
    return [int(entry.name) for entry in PROC.iterdir() if entry.name.isdigit()]


def is_running(pid: int) -> bool:
    """Alive and not a zombie waiting for its parent."""
    stat = stat_of(pid)
    return stat is not None and stat.state not in ("Z", "X")


def descendants(pid: int) -> list[int]:
    """Children, their children and so on, as /proc shows them now."""
    children: dict[int, list[int]] = {}
    for stat in filter(None, map(stat_of, running_pids())):
        children.setdefault(stat.parent, []).append(stat.pid)
    found: list[int] = []
    todo = [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def has_environment_entry(pid: int, entry: str) -> bool:
    """Whether the process started with ``NAME=value`` in its environment."""
    return entry.encode() in _read(pid, "environ").split(b"\0")


def with_environment_entry(entry: str) -> list[int]:
    me = os.getpid()
    return [
        pid
        for pid in running_pids()
        if pid != me and has_environment_entry(pid, entry) and is_running(pid)
    ]


def send(pids: Iterable[int], sig: int) -> None:
    for pid in pids:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, sig)


def kill_and_wait(pids: Iterable[int], timeout: float = 5.0) -> list[int]:
    """SIGKILL each process and wait until it is gone; those still there after ``timeout``."""
    pids = list(pids)
    send(pids, signal.SIGKILL)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        pids = [pid for pid in pids if is_running(pid)]
        if not pids:
            break
        time.sleep(0.05)
    return pids
