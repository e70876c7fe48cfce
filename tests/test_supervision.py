"""The stack keeps running when a part dies.

First the parts on small real process trees (the guard, the restart delays, the stack
record), then the whole stack: `complaints run` is started for real (a subprocess on free
ports, its own CW_VAR_DIR, the database under test) and its children are killed with SIGKILL
one at a time while complaints keep coming. One stack is shared by the kill tests of this
module (a Prefect server takes 10-60 s to start here), so they run in file order; each ends
with the stack whole again. The stack is started with the module's first test and boots
while the small tests run.
"""

import contextlib
import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from tests.stack_processes import (
    CLIENT,
    SERVER,
    IntakeLoad,
    Launcher,
    child_pid,
    descendants,
    guarded_tree,
    is_running,
    kill_everything_of,
    processes_of,
    restarts_of,
    stack_environment,
    supervisor_in,
)
from tests.support import Api, free_port, wait_for
from workflow.stack import port_in_use

KILL_SECONDS = 240.0  # a restarted Prefect server may need a minute on a busy machine
# Routing needs Prefect: after its restart, its SQLite has answered "database is locked" for
# minutes on a busy machine (docs/reliability.md, "Process supervision").
PREFECT_RECOVERY_SECONDS = 480.0


def _stack_tests_selected(request: pytest.FixtureRequest) -> bool:
    return any(
        "stack" in item.fixturenames
        for item in request.session.items
        if isinstance(item, pytest.Function) and item.module is request.module
    )


@pytest.fixture(scope="module", autouse=True)
def booting_stack(request, fresh_databases, tmp_path_factory) -> Iterator[Launcher | None]:
    """`complaints run` started before the module's first test, so that it boots while the
    small tests run; not started when no selected test needs it."""
    if not _stack_tests_selected(request):
        yield None
        return
    database = fresh_databases.new(tmp_path_factory.mktemp("stack"))
    launcher = Launcher(stack_environment(database), worker=True)
    try:
        yield launcher.start()
    finally:
        if launcher.process and launcher.process.poll() is None:
            launcher.process.send_signal(signal.SIGTERM)
            launcher.process.wait(timeout=90)
        kill_everything_of(launcher.environment)
        fresh_databases.drop(database)


@pytest.fixture(scope="module")
def stack(booting_stack: Launcher | None) -> Launcher:
    assert booting_stack is not None
    booting_stack.wait_until_up()
    return booting_stack


def health(launcher: Launcher) -> dict:
    return httpx.get(f"{launcher.api_url}/api/v1/health", timeout=30).json()


LOG_LINES = 40


def logs_tail(launcher: Launcher) -> str:
    """The last lines of each part's log, for a failure on a machine where nobody watched."""
    directory = Path(launcher.environment["CW_VAR_DIR"]) / "logs"
    parts = []
    for log in sorted(directory.glob("*.log")):
        lines = log.read_text(errors="replace").splitlines()[-LOG_LINES:]
        parts.append(f"--- {log.name} (last {len(lines)} lines)\n" + "\n".join(lines))
    return "\n".join(parts)


def stack_wait(
    launcher: Launcher, what: str, check, *, interval: float = 0.5, timeout: float = KILL_SECONDS
) -> None:
    try:
        wait_for(check, timeout=timeout, interval=interval)
    except AssertionError as exc:
        raise AssertionError(f"{what}: {exc}\n{logs_tail(launcher)}") from exc


def component_up(launcher: Launcher, name: str) -> bool:
    return health(launcher)[name]["status"] == "up"


def pool_ready(launcher: Launcher) -> bool:
    url = f"{launcher.environment['CW_PREFECT_API_URL']}/work_pools/complaints"
    try:
        return httpx.get(url, timeout=10).json().get("status") == "READY"
    except (httpx.HTTPError, ValueError):
        return False


def replaced(launcher: Launcher, name: str, old: int) -> int | None:
    new = child_pid(launcher.environment, name)
    return new if new not in (None, old) else None


def routed(sales: Api, reference: str) -> bool:
    return any(t["kind"] == "quality_assessment" for t in sales.record(reference)["tasks"])


SLEEPER = [sys.executable, "-c", "import time; time.sleep(600)"]


def test_a_guarded_tree_dies_with_its_parent_even_a_process_in_a_session_of_its_own(tmp_path):
    parent, guard, child, escaped = guarded_tree(tmp_path)
    try:
        parent.kill()
        parent.wait(timeout=10)
        wait_for(lambda: not [p for p in (guard, child, escaped) if is_running(p)], timeout=30)
    finally:
        parent.kill()
        for pid in (guard, child, escaped):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


def test_what_a_killed_command_left_behind_is_ended_by_its_guard(tmp_path):
    parent, guard, child, escaped = guarded_tree(tmp_path)
    try:
        os.kill(child, signal.SIGKILL)
        wait_for(lambda: not is_running(escaped), timeout=30)  # re-parented to the guard
        wait_for(lambda: not is_running(guard), timeout=30)
    finally:
        parent.kill()
        for pid in (guard, escaped):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


def logged_delays(log_dir: Path) -> list[str]:
    log = (log_dir / "supervisor.log").read_text()
    assert "flaky restarted (pid " in log
    return re.findall(r"flaky exited \(exit code 3\) after \d+ s; restarting in (\d+) s", log)


def test_a_child_that_keeps_dying_is_restarted_with_doubling_delays_each_logged(tmp_path):
    gaps = restarts_of([sys.executable, "-c", "import sys; sys.exit(3)"], tmp_path, 3)
    assert logged_delays(tmp_path)[:3] == ["1", "2", "4"]
    assert len(gaps) == 3
    assert [gap >= delay for gap, delay in zip(gaps, (1, 2, 4), strict=True)] == [True] * 3


def test_a_child_that_ran_a_while_before_dying_is_restarted_after_the_first_delay_again(tmp_path):
    command = [sys.executable, "-c", "import sys, time; time.sleep(1.5); sys.exit(3)"]
    restarts_of(command, tmp_path, 2, stable_after=1.0)
    assert logged_delays(tmp_path)[:2] == ["1", "1"]


def test_a_stopped_supervisor_stops_the_last_started_first_while_the_others_still_answer(
    tmp_path,
):
    port, report = free_port(), tmp_path / "client.report"
    supervisor = supervisor_in(tmp_path)
    try:
        supervisor.start("server", [sys.executable, "-c", SERVER, str(port)])
        wait_for(lambda: port_in_use("127.0.0.1", port), timeout=60)
        supervisor.start("client", [sys.executable, "-c", CLIENT, str(port), str(report)])
        wait_for(lambda: report.exists() and report.read_text() == "working", timeout=60)
    finally:
        supervisor.stop()
    assert report.read_text() == "server answered"
    assert not port_in_use("127.0.0.1", port)


def test_the_worker_set_up_exits_to_be_started_again_while_prefect_does_not_answer(
    monkeypatch, capsys
):
    from workflow import prefect_worker
    from workflow.config import get_settings

    monkeypatch.setenv("CW_PREFECT_API_URL", f"http://127.0.0.1:{free_port()}/api")
    monkeypatch.setattr(prefect_worker, "WAIT_FOR_PREFECT_SECONDS", 1.0)
    get_settings.cache_clear()
    try:
        with pytest.raises(SystemExit) as exited:
            prefect_worker.main()
    finally:
        get_settings.cache_clear()
    assert exited.value.code == 1
    assert "Prefect server did not come up within 1 s; exiting, to be started again" in (
        capsys.readouterr().out
    )


def test_a_new_stack_kills_the_leftovers_of_a_dead_one_and_never_a_stranger(tmp_path):
    from workflow.stack_record import claim_run_directory, read_record

    leftover = subprocess.Popen(SLEEPER, env={**os.environ, "CW_STACK_ID": "old-stack"})
    stranger = subprocess.Popen(SLEEPER, env={**os.environ, "CW_STACK_ID": "other-stack"})
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    (run_dir / "stack.json").write_text(
        json.dumps(
            {"stack_id": "old-stack", "supervisor_pid": dead.pid, "supervisor_start_ticks": 1}
        )
    )
    try:
        stack_id, cleared = claim_run_directory(run_dir)
        assert cleared == [leftover.pid]
        assert leftover.wait(timeout=10) == -signal.SIGKILL
        assert stranger.poll() is None
        record = read_record(run_dir)
        assert record is not None
        assert (record.stack_id, record.supervisor_pid) == (stack_id, os.getpid())
        assert stack_id != "old-stack"
    finally:
        leftover.kill()
        stranger.kill()


def test_a_stack_is_refused_while_the_one_recorded_runs_but_not_for_a_reused_pid(tmp_path):
    from workflow.stack_record import AnotherStackRunning, claim_run_directory

    running = subprocess.Popen(SLEEPER)
    # The kernel's own count of clock ticks from boot to the start (field 22 of stat).
    stat = Path(f"/proc/{running.pid}/stat").read_bytes()
    ticks = int(stat.rsplit(b")", 1)[1].split()[19])
    run_dir = tmp_path / "run"
    run_dir.mkdir()

    def record(start_ticks: int) -> None:
        (run_dir / "stack.json").write_text(
            json.dumps(
                {
                    "stack_id": "running-stack",
                    "supervisor_pid": running.pid,
                    "supervisor_start_ticks": start_ticks,
                }
            )
        )

    try:
        record(ticks)
        with pytest.raises(AnotherStackRunning, match=f"pid {running.pid}"):
            claim_run_directory(run_dir)
        record(ticks + 1)  # the same pid, started at another time: a stranger
        claim_run_directory(run_dir)
        assert running.poll() is None
    finally:
        running.kill()


def test_a_killed_relay_is_restarted_and_a_complaint_logged_meanwhile_is_routed(stack):
    old = child_pid(stack.environment, "relay")
    assert old is not None
    sales = Api(stack.api_url, "sales")
    with IntakeLoad(stack.api_url) as load:
        killed_at = time.monotonic()
        os.kill(old, signal.SIGKILL)
        wait_for(lambda: not is_running(old), timeout=10)
        logged = sales.log_complaint()["reference"]
        stack_wait(stack, "a new relay", lambda: replaced(stack, "relay", old))
        back = time.monotonic() - killed_at
        stack_wait(stack, f"{logged} routed", lambda: routed(sales, logged))
        routed_after = time.monotonic() - killed_at
    print(f"\nrelay: new pid {back:.1f} s after kill -9; routing again {routed_after:.1f} s after")
    assert load.refused() == []
    assert len(load.answers) >= 3


def test_a_killed_smtp_catcher_is_restarted_while_intake_goes_on(stack):
    old = child_pid(stack.environment, "smtp")
    assert old is not None
    with IntakeLoad(stack.api_url) as load:
        killed_at = time.monotonic()
        os.kill(old, signal.SIGKILL)
        stack_wait(stack, "a new SMTP catcher", lambda: replaced(stack, "smtp", old))
        stack_wait(stack, "the SMTP catcher up", lambda: component_up(stack, "smtp"))
        back = time.monotonic() - killed_at
    print(f"\nSMTP catcher: accepting again {back:.1f} s after kill -9")
    assert load.refused() == []
    assert len(load.answers) >= 3


def test_every_part_of_a_running_stack_is_reported_up_the_relay_by_its_heartbeat(stack):
    wait_for(lambda: health(stack)["status"] == "ok", timeout=120, interval=1)
    body = health(stack)
    assert {name: body[name]["status"] for name in ("database", "prefect", "smtp", "relay")} == {
        "database": "up",
        "prefect": "up",
        "smtp": "up",
        "relay": "up",
    }
    stack_wait(stack, "the work pool ready", lambda: pool_ready(stack))  # the worker polls


def test_the_stack_works_on_the_database_under_test(stack):
    """With CW_TEST_DATABASE_URL set (CI's PostgreSQL leg), a database cloned for the stack."""
    reference = Api(stack.api_url, "sales").log_complaint()["reference"]
    url = make_url(
        stack.environment["CW_DATABASE_URL"]
        or f"sqlite:///{stack.environment['CW_VAR_DIR']}/complaints.db"
    )
    under_test = os.environ.get("CW_TEST_DATABASE_URL")
    if under_test:
        assert url.get_backend_name() == "postgresql"
        assert (url.host, url.port) == (make_url(under_test).host, make_url(under_test).port)
        assert url.database != make_url(under_test).database  # a clone, not the one named
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as connection:
            stored = connection.execute(
                text("SELECT count(*) FROM complaint WHERE reference = :reference"),
                {"reference": reference},
            ).scalar_one()
    finally:
        engine.dispose()
    assert stored == 1


def test_a_killed_prefect_server_is_restarted_and_routing_resumes(stack):
    old = child_pid(stack.environment, "prefect")
    assert old is not None
    sales = Api(stack.api_url, "sales")
    with IntakeLoad(stack.api_url, pause=0.5) as load:
        killed_at = time.monotonic()
        os.kill(old, signal.SIGKILL)
        logged = sales.log_complaint()["reference"]
        stack_wait(stack, "a new Prefect server", lambda: replaced(stack, "prefect", old))
        stack_wait(stack, "Prefect up", lambda: component_up(stack, "prefect"), interval=1)
        back = time.monotonic() - killed_at
        stack_wait(
            stack,
            f"{logged} routed",
            lambda: routed(sales, logged),
            interval=1,
            timeout=PREFECT_RECOVERY_SECONDS,
        )
        routed_after = time.monotonic() - killed_at
    print(f"\nPrefect: answering {back:.1f} s after kill -9; routing again {routed_after:.1f} s")
    assert load.refused() == []
    assert len(load.answers) >= 3
    # The worker may have died with its server; then it is back, set up again, and polling.
    stack_wait(stack, "the work pool ready", lambda: pool_ready(stack))
    assert child_pid(stack.environment, "worker") is not None


def test_a_killed_supervisor_leaves_no_process_and_the_next_run_starts_on_the_same_ports(stack):
    assert stack.process is not None
    tree = descendants(stack.process.pid)
    assert len(tree) >= 10  # five wrappers, five commands, and what those started
    stack.process.kill()
    stack.process.wait(timeout=10)
    killed_at = time.monotonic()
    wait_for(lambda: not [p for p in tree if is_running(p)], timeout=60)
    gone_after = time.monotonic() - killed_at
    assert processes_of(stack.environment) == {}
    print(f"\nsupervisor killed: all {len(tree)} processes of its tree gone in {gone_after:.1f} s")

    second = Launcher(stack.environment)
    try:
        second.start().wait_until_up()
        assert httpx.get(f"{second.api_url}/api/v1/health/ready", timeout=30).status_code == 200
        assert second.process is not None
        second.process.send_signal(signal.SIGTERM)
        assert second.process.wait(timeout=90) == 0
        wait_for(lambda: processes_of(stack.environment) == {}, timeout=30)
    finally:
        if second.process and second.process.poll() is None:
            second.process.kill()
        kill_everything_of(stack.environment)


def test_a_failed_start_up_leaves_no_process_behind(fresh_databases, tmp_path):
    database = fresh_databases.new(tmp_path)
    environment = stack_environment(database, CW_STACK_STARTUP_TIMEOUT_SECONDS="1")
    launcher = Launcher(environment).start()
    assert launcher.process is not None
    seen: set[int] = set()
    try:
        deadline = time.monotonic() + 180
        while launcher.process.poll() is None and time.monotonic() < deadline:
            seen |= processes_of(environment).keys()
            time.sleep(0.1)
        assert launcher.process.poll() not in (None, 0), launcher.text()
        assert "cannot start" in launcher.text()
        assert len(seen) >= 4, seen  # it had started children
        wait_for(lambda: processes_of(environment) == {}, timeout=30)
    finally:
        if launcher.process.poll() is None:
            launcher.process.kill()
        kill_everything_of(environment)
        fresh_databases.drop(database)
