"""``var/run/stack.json``: which `complaints run` owns a var directory, and its leftovers.

Every process of a stack inherits ``CW_STACK_ID=<id>`` (children's children too: Prefect's
server and worker pass their environment on). A new `complaints run` reads the record of the
previous one. If the supervisor it names is still alive (the same pid *and* start time, so a
stranger that got the pid later is not mistaken for it), another stack runs from this
directory and we refuse. Otherwise every process still carrying the old id is a leftover of
that stack and is killed. A process without the id is never touched.
"""

import json
import os
import uuid
from dataclasses import asdict, dataclass
from pathlib import Path

import psutil

from workflow.process_table import is_running, kill_and_wait

STACK_ID_VARIABLE = "CW_STACK_ID"
RECORD_NAME = "stack.json"


class AnotherStackRunning(RuntimeError):
    pass


@dataclass(frozen=True)
class StackRecord:
    stack_id: str
    supervisor_pid: int
    supervisor_start_ticks: int


def read_record(run_dir: Path) -> StackRecord | None:
    try:
        return StackRecord(**json.loads((run_dir / RECORD_NAME).read_text()))
    except (FileNotFoundError, ValueError, TypeError):
        return None


def start_ticks(process: psutil.Process) -> int:
    """Clock ticks from boot to the process's start: with the pid, it names one process for
    good. psutil gives the start as a time of day, which moves when the clock is set."""
    after_boot = process.create_time() - psutil.boot_time()
    return round(after_boot * os.sysconf("SC_CLK_TCK"))


def supervisor_alive(record: StackRecord) -> bool:
    try:
        supervisor = psutil.Process(record.supervisor_pid)
        return start_ticks(supervisor) == record.supervisor_start_ticks and is_running(supervisor)
    except psutil.NoSuchProcess:
        return False


def processes_of_stack(stack_id: str) -> list[psutil.Process]:
    """Every running process but this one that inherited ``CW_STACK_ID=stack_id``."""
    return [
        process
        for process in psutil.process_iter(["environ"])
        if process.pid != os.getpid()
        and (process.info["environ"] or {}).get(STACK_ID_VARIABLE) == stack_id
        and is_running(process)
    ]


def clear_leftovers(record: StackRecord) -> list[int]:
    """Kill every process that inherited the recorded stack's id; their pids."""
    leftovers = processes_of_stack(record.stack_id)
    kill_and_wait(leftovers)
    return [process.pid for process in leftovers]


def claim_run_directory(run_dir: Path) -> tuple[str, list[int]]:
    """Record this process as the directory's supervisor: the new stack id, and the pids of
    the earlier stack's leftovers that were killed."""
    previous = read_record(run_dir)
    cleared: list[int] = []
    if previous is not None:
        if previous.supervisor_pid != os.getpid() and supervisor_alive(previous):
            raise AnotherStackRunning(
                f"another `complaints run` (pid {previous.supervisor_pid}) uses "
                f"{run_dir.parent}; stop it first (Ctrl-C in its terminal, or kill "
                f"{previous.supervisor_pid})"
            )
        cleared = clear_leftovers(previous)
    record = StackRecord(uuid.uuid4().hex, os.getpid(), start_ticks(psutil.Process()))
    run_dir.mkdir(parents=True, exist_ok=True)
    written = run_dir / f".{RECORD_NAME}.{os.getpid()}"
    written.write_text(json.dumps(asdict(record)))
    written.replace(run_dir / RECORD_NAME)
    return record.stack_id, cleared


def release_run_directory(run_dir: Path, stack_id: str) -> None:
    """Forget the record after a clean stop, if it is still ours."""
    record = read_record(run_dir)
    if record is not None and record.stack_id == stack_id:
        (run_dir / RECORD_NAME).unlink(missing_ok=True)
