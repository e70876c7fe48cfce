"""The schedules of prefect.yaml never jam: a worker and a relay killed with kill -9 mid-run
leave a run holding its deployment's only slot, and after a restart the next sweep and
reconcile still run within two minutes, with nothing left Running or Pending and no pile of
queued runs. On real components: a Prefect server of its own (temporary PREFECT_HOME), the
deployments of prefect.yaml served by a real process worker, the relay, SQL and SMTP.

Run in the SQLite leg only: the slots, runs and states it checks live in that Prefect server
of its own, on SQLite in both legs, and the complaint it reminds about is plain intake, which
every other test runs on PostgreSQL too."""

import asyncio
import os
import signal
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import (
    DeploymentFilter,
    DeploymentFilterName,
    FlowRunFilter,
    FlowRunFilterState,
    FlowRunFilterStateType,
)
from prefect.client.schemas.objects import FlowRun, State, StateType
from prefect.settings import PREFECT_API_URL, temporary_settings
from sqlmodel import col, select, update

from models.deadline import Deadline
from models.notification import NoticeKind, NoticeStatus, Notification
from tests.support import drain_outbox, free_port, wait_for
from workflow import db
from workflow.calendar import forget_calendar
from workflow.clock import utcnow
from workflow.config import get_settings
from workflow.stack import Stack, http_ok, prefect_command, wait_until

SCHEDULED = ("sweep-deadlines", "reconcile-outbox")
DOWN_FOR = 150  # seconds: the schedules tick twice while nothing serves them
# A jammed schedule never runs again; a healthy one runs once the worker has deployed again,
# Prefect's scheduler has planned the next tick and a flow process has started, which on a
# busy machine takes minutes (about a minute in a CI run here, over 180 s in one under load).
RUNS_AGAIN_WITHIN = 300

pytestmark = pytest.mark.sqlite_leg_only(
    reason="the schedules live in the test's own Prefect server, on SQLite in both legs"
)
HOLDING = [StateType.PENDING, StateType.RUNNING, StateType.CANCELLING]


def use_environment(monkeypatch: pytest.MonkeyPatch, **values: str) -> None:
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    db.reset_engines()
    forget_calendar()


@pytest.fixture
def own_prefect(settings, monkeypatch, tmp_path: Path) -> Iterator[tuple[Stack, str]]:
    """A Prefect server of the test's own, in the launcher ``make run`` uses; the stack
    (server, worker, relay) and the flow processes the worker started are killed at the end."""
    url = f"http://127.0.0.1:{free_port()}/api"
    use_environment(monkeypatch, PREFECT_HOME=str(tmp_path / "prefect"), CW_PREFECT_API_URL=url)
    (settings.var_dir / "logs").mkdir(exist_ok=True)
    stack = Stack(get_settings())
    port = url.rsplit(":", 1)[1].removesuffix("/api")
    try:
        stack.start(
            "prefect", prefect_command("server", "start", "--host", "127.0.0.1", "--port", port)
        )
        wait_until(http_ok(f"{url}/health"), timeout=180, what="Prefect server")
        with temporary_settings({PREFECT_API_URL: url}):
            yield stack, url
    finally:
        flow_pids = _flow_process_ids(url)
        stack.stop()
        for pid in flow_pids:
            _kill_if_alive(pid)


def _flow_process_ids(url: str) -> list[int]:
    async def read() -> list[int]:
        with temporary_settings({PREFECT_API_URL: url}):
            async with get_client() as client:
                runs = await client.read_flow_runs(limit=200)
        pids = [r.infrastructure_pid or "" for r in runs]
        return [int(pid) for pid in pids if pid.isdigit()]

    try:
        return asyncio.run(read())
    except Exception:
        return []


def _kill_if_alive(pid: int) -> None:
    try:
        command = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return
    if b"prefect" in command or b"python" in command:
        os.kill(pid, signal.SIGKILL)


async def _runs(deployment: str, types: list[StateType] | None) -> list[FlowRun]:
    states = FlowRunFilterState(type=FlowRunFilterStateType(any_=types)) if types else None
    async with get_client() as client:
        return await client.read_flow_runs(
            deployment_filter=DeploymentFilter(name=DeploymentFilterName(any_=[deployment])),
            flow_run_filter=FlowRunFilter(state=states),
            limit=200,
        )


def start_worker(stack: Stack) -> None:
    """The stack's worker: registers prefect.yaml's deployments, then serves the pool."""
    stack.start("worker", [sys.executable, "-m", "workflow.prefect_worker"])


def expected_at(run: FlowRun) -> datetime:
    assert run.expected_start_time is not None
    return run.expected_start_time


def state_of(run: FlowRun) -> State:
    assert run.state is not None
    return run.state


def runs(deployment: str, types: list[StateType] | None = None) -> list[FlowRun]:
    """The deployment's runs on the test's Prefect server, in the given states (or all)."""
    return asyncio.run(_runs(deployment, types))


def _a_clock_due_now() -> None:
    with db.write_session() as session:
        clock = session.exec(select(Deadline).where(col(Deadline.task_id).is_not(None))).first()
        assert clock is not None
        session.execute(
            update(Deadline)
            .where(col(Deadline.id) == clock.id)
            .values(next_check_at=utcnow() - timedelta(minutes=1))
        )
        session.commit()


def _reminders() -> list[Notification]:
    with db.read_session() as session:
        return list(
            session.exec(select(Notification).where(Notification.kind == NoticeKind.reminder))
        )


def _hang_a_started_sweep() -> list[FlowRun]:
    """Freeze the flow process of a sweep the worker has started, as one stuck in a call that
    never returns would be: it holds the deployment's only slot and sends no heartbeat. (The
    sweep no longer mails, so a mail server that never greets cannot hang it.)"""
    started = [r for r in runs("sweep-deadlines", HOLDING) if r.infrastructure_pid][:1]
    for run in started:
        os.kill(int(run.infrastructure_pid or 0), signal.SIGSTOP)
    return started


def test_a_killed_worker_and_relay_leave_no_jammed_schedule(
    own_prefect, as_user, mailbox, settings
):
    stack, _ = own_prefect
    as_user("sales").log_complaint()
    drain_outbox()
    _a_clock_due_now()
    start_worker(stack)
    # The next sweep's flow process hangs as soon as the worker has started it.
    (hung,) = wait_for(_hang_a_started_sweep, timeout=240, interval=0.2)
    stack.start("relay", [sys.executable, "-m", "flows.relay"])  # once the sweep hangs
    time.sleep(15)

    for name in ("worker", "relay"):
        os.killpg(stack.processes[name].pid, signal.SIGKILL)
    os.kill(int(hung.infrastructure_pid or 0), signal.SIGKILL)  # as in a crash
    killed_at = datetime.now(UTC)

    time.sleep(DOWN_FOR)
    assert [r.id for r in runs("sweep-deadlines", HOLDING)] == [hung.id]
    missed = datetime.now(UTC) - timedelta(seconds=30)
    late = [r for r in runs("reconcile-outbox", [StateType.SCHEDULED]) if expected_at(r) < missed]
    assert len(late) >= 2  # a schedule fell behind by more than one tick

    start_worker(stack)
    stack.start("relay", [sys.executable, "-m", "flows.relay"])
    restarted_at = datetime.now(UTC)

    def ran_since_restart(deployment: str) -> list[FlowRun]:
        return [
            r
            for r in runs(deployment, [StateType.COMPLETED])
            if r.start_time and r.start_time >= restarted_at
        ]

    for deployment in SCHEDULED:
        # The worker registers the deployments first (seconds, more on a loaded machine).
        wait_for(lambda d=deployment: ran_since_restart(d), timeout=RUNS_AGAIN_WITHIN, interval=2)
    assert datetime.now(UTC) - restarted_at < timedelta(seconds=RUNS_AGAIN_WITHIN + 5)

    crashed = next(r for r in runs("sweep-deadlines") if r.id == hung.id)
    assert crashed.state is not None
    assert crashed.state.type == StateType.CRASHED, crashed.state
    late_cutoff = datetime.now(UTC) - timedelta(seconds=60)
    for deployment in SCHEDULED:
        every = runs(deployment)
        holding = [r for r in every if r.state and r.state.type in HOLDING]
        assert all(state_of(r).timestamp >= restarted_at for r in holding), holding
        waiting = [
            r
            for r in every
            if r.state
            and r.state.type == StateType.SCHEDULED
            and (r.state.name == "AwaitingConcurrencySlot" or expected_at(r) < late_cutoff)
        ]
        assert waiting == [], [(r.name, state_of(r).name) for r in waiting]
        caught_up = [  # runs due while nothing served them that did run (not cancelled)
            r for r in every if r.run_count and killed_at <= expected_at(r) < restarted_at
        ]
        assert len(caught_up) <= 1, [(r.name, r.state_name) for r in caught_up]
    # Whichever sweep queued the reminder (the hung one or the next), the relay sent it once.
    (reminder,) = wait_for(lambda: [n for n in _reminders() if n.status == NoticeStatus.sent])
    # The catcher outlives tests and notice ids restart with each database: this test's mail
    # only (``mailbox`` empties the store first).
    mailed = [m for m in mailbox.snapshot() if m["X-Notice-Id"] == str(reminder.id)]
    assert len(mailed) == 1
