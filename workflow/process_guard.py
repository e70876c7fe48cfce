"""The wrapper each child of the stack runs under, so the child's whole tree ends with it.

``python -m workflow.process_guard PARENT_PID -- COMMAND...``

- Linux sends it SIGTERM when its parent, the supervisor, dies, even by SIGKILL
  (``PR_SET_PDEATHSIG``). The parent may have died before that request was made, so the guard
  checks it still has the parent it was given.
- It is a child subreaper (``PR_SET_CHILD_SUBREAPER``): a process orphaned inside its tree
  is re-parented to the guard, not to init. Prefect's worker starts each flow run in a session
  of its own, so a process group would not hold it; the tree does.
- Told to stop (SIGTERM, SIGINT, SIGHUP, or the parent's death), it sends SIGTERM to every
  process below it, waits up to ``GRACE_SECONDS``, then kills what is left.
- When the command exits by itself, the guard kills what it left behind (a server's worker
  would hold the port the restarted command needs) and exits with the command's status
  (128 + the signal's number if a signal ended it).

It runs once per child, so it imports nothing but psutil and the standard library (what
that costs in start-up time and memory: docs/reliability.md#process-supervision).
"""

import ctypes
import os
import signal
import subprocess
import sys
import time
from types import FrameType

import psutil

from workflow.process_table import is_running, kill_and_wait, send

PR_SET_PDEATHSIG = 1
PR_SET_CHILD_SUBREAPER = 36
GRACE_SECONDS = 10.0
LEFTOVER_GRACE_SECONDS = 2.0
STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)


class StopRequested(Exception):
    pass


def guarded_command(command: list[str], parent_pid: int | None = None) -> list[str]:
    """The command line that runs ``command`` under a guard owned by ``parent_pid``."""
    parent = parent_pid or os.getpid()
    return [sys.executable, "-m", "workflow.process_guard", str(parent), "--", *command]


def _prctl(option: int, value: int) -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(option, value, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), f"prctl({option}, {value}) failed")


def _stop_requested(signum: int, _frame: FrameType | None) -> None:
    raise StopRequested(signum)


def _reap_children() -> None:
    """Collect every child that has ended (orphans re-parented here included)."""
    while True:
        try:
            pid, _status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def _running_below_me() -> list[psutil.Process]:
    return [p for p in psutil.Process().children(recursive=True) if is_running(p)]


def end_tree(grace: float) -> None:
    """SIGTERM every process below this one; SIGKILL those still there after ``grace``."""
    send(_running_below_me(), signal.SIGTERM)
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        _reap_children()
        if not _running_below_me():
            return
        time.sleep(0.1)
    for _ in range(5):  # again: a process may fork while its tree is being killed
        left = _running_below_me()
        if not left:
            break
        kill_and_wait(left, timeout=2.0)
        _reap_children()
    _reap_children()


def run_until_exit(command: list[str]) -> int:
    """Run the command; its exit code (negative: the signal that ended it)."""
    child = subprocess.Popen(command)  # noqa: S603 - the supervisor's own fixed commands
    while True:
        pid, status = os.waitpid(-1, 0)  # orphans re-parented to the guard are reaped too
        if pid == child.pid:
            child.returncode = os.waitstatus_to_exitcode(status)
            return child.returncode


def _become_guard(parent_pid: int) -> bool:
    try:
        _prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
        _prctl(PR_SET_CHILD_SUBREAPER, 1)
    except (OSError, AttributeError) as exc:  # not Linux: the command still runs, unguarded
        print(f"process guard: {exc}; the command's tree is not guarded", file=sys.stderr)
    return os.getppid() == parent_pid


def main(argv: list[str]) -> int:
    if len(argv) < 3 or argv[1] != "--":
        print(__doc__, file=sys.stderr)
        return 2
    for sig in STOP_SIGNALS:
        signal.signal(sig, _stop_requested)
    try:
        if not _become_guard(int(argv[0])):
            return 1  # the parent died before the guard could ask to follow it
        code = run_until_exit(argv[2:])
        end_tree(LEFTOVER_GRACE_SECONDS)
    except StopRequested:
        for sig in STOP_SIGNALS:
            signal.signal(sig, signal.SIG_IGN)
        end_tree(GRACE_SECONDS)
        return 0
    return 128 - code if code < 0 else code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
