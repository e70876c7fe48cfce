"""Faults: a killed relay, a slow or dead mail server, a crash around the send, a locked or
full database, two relays at once. After each: every accepted complaint is routed once, each
notice is sent once or held as unknown, nothing is half-written."""

import signal
import socket
import sqlite3
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest
from sqlmodel import col, select

from models.base import id_of
from models.notification import NoticeStatus
from models.outbox import OutboxEvent
from notifications.ledger import send_notice
from tests.faults import (
    DiesAfterSending,
    DiesBeforeSending,
    ProcessDies,
    SlowGreetingController,
    SlowMailStore,
    counts,
    notices,
    start_relay,
    start_smtp,
    stop,
    tasks_per_complaint,
)
from tests.support import drain_outbox, free_port, wait_for
from workflow import db
from workflow.clock import utcnow
from workflow.config import get_settings
from workflow.delivery import record_notice_outcome


def use_settings(monkeypatch: pytest.MonkeyPatch, **values: object) -> None:
    for name, value in values.items():
        monkeypatch.setenv(f"CW_{name.upper()}", str(value))
    get_settings.cache_clear()
    db.reset_engines()


@contextmanager
def write_lock_held(settings) -> Iterator[None]:
    """Another writer, as SQLite sees it: a connection of its own holds the write lock."""
    other = sqlite3.connect(settings.var_dir / "complaints.db", isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        yield
    finally:
        other.execute("ROLLBACK")
        other.close()


def mail_counts(store) -> Counter:
    return Counter(m["X-Notice-Id"] for m in store.snapshot())


def assert_each_notice_sent_once_or_held(store) -> None:
    copies = mail_counts(store)
    for notice in notices():
        assert notice.status in (NoticeStatus.sent, NoticeStatus.unknown), notice
        if notice.status is NoticeStatus.sent:
            assert copies[str(notice.id)] == 1, notice
        assert copies[str(notice.id)] <= 1, notice


def test_a_relay_killed_mid_batch_loses_nothing_and_repeats_nothing(as_user, settings, monkeypatch):
    store = SlowMailStore(delay=0.2)
    port = free_port()
    smtp = start_smtp(store, port)
    use_settings(
        monkeypatch,
        smtp_port=port,
        outbox_lease_seconds=3,
        notice_lease_seconds=3,
        flow_expected_seconds='{"deliver-events": 5}',
        stale_run_check_seconds=3600,  # only this test crashes the orphaned run
    )
    sales = as_user("sales")
    references = [sales.log_complaint()["reference"] for _ in range(40)]
    relay = start_relay()
    try:
        wait_for(lambda: counts()["tasks"] >= 1, timeout=60, interval=0.05)
        stop(relay, signal.SIGKILL)
        done_at_kill = counts()["tasks"]
        assert done_at_kill < len(references), "the relay finished before it could be killed"
        relay = start_relay()
        wait_for(lambda: counts()["tasks"] >= len(references), timeout=60)
        wait_for(lambda: all(n.status in ("sent", "unknown") for n in notices()), timeout=60)
    finally:
        stop(relay)
        smtp.stop()
    assert set(tasks_per_complaint().values()) == {1}
    assert_each_notice_sent_once_or_held(store)

    from flows.stale_runs import crash_stale_runs

    time.sleep(5.5)  # longer than a delivery run takes: the killed relay's run is stale
    import asyncio

    asyncio.run(crash_stale_runs())  # unless the second relay's guard was first
    assert asyncio.run(crash_stale_runs()) == 0
    assert asyncio.run(running_delivery_runs()) == []


async def running_delivery_runs() -> list[str]:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import (
        FlowFilter,
        FlowFilterName,
        FlowRunFilter,
        FlowRunFilterState,
        FlowRunFilterStateType,
    )
    from prefect.client.schemas.objects import StateType

    async with get_client() as client:
        runs = await client.read_flow_runs(
            flow_filter=FlowFilter(name=FlowFilterName(any_=["deliver-events"])),
            flow_run_filter=FlowRunFilter(
                state=FlowRunFilterState(type=FlowRunFilterStateType(any_=[StateType.RUNNING]))
            ),
        )
    return [run.name for run in runs]


def test_a_killed_relays_events_are_routed_by_another_within_a_minute(
    as_user, mailbox, settings, monkeypatch
):
    use_settings(monkeypatch, notice_lease_seconds=5)  # a send cut off by the kill is held soon
    sales = as_user("sales")
    references = [sales.log_complaint()["reference"] for _ in range(60)]
    relay = start_relay()
    try:
        wait_for(lambda: counts()["tasks"] >= 1, timeout=120, interval=0.05)
        stop(relay, signal.SIGKILL)
        killed_at = time.monotonic()
        assert counts()["tasks"] < len(references), "the relay finished before it was killed"
        relay = start_relay()  # with the default lease (30 s), renewed while it routes
        wait_for(lambda: counts()["tasks"] >= len(references), timeout=60, interval=0.5)
        routed_after = time.monotonic() - killed_at
        wait_for(lambda: all(n.status in ("sent", "unknown") for n in notices()), timeout=120)
    finally:
        stop(relay)
    assert routed_after < 60
    assert tasks_per_complaint() == dict.fromkeys(references, 1)
    acknowledgements = Counter(
        m["Subject"] for m in mailbox.snapshot() if m["To"] == "jane@acme.example"
    )
    held = [n for n in notices() if n.kind == "acknowledgement" and n.status == "unknown"]
    assert len(acknowledgements) >= len(references) - len(held)
    assert set(acknowledgements.values()) == {1}
    assert_each_notice_sent_once_or_held(mailbox)


def test_a_relay_asked_to_stop_while_its_flows_run_stops_within_the_grace(as_user, mailbox):
    """Prefect's flow engine swaps in its own SIGTERM handler while a flow runs on the main
    thread; a stop asked for then was swallowed and the relay ran on until killed."""
    sales = as_user("sales")
    references = [sales.log_complaint()["reference"] for _ in range(60)]
    relay = start_relay()
    try:
        wait_for(lambda: counts()["tasks"] >= 1, timeout=120, interval=0.05)
        relay.send_signal(signal.SIGTERM)
        asked_at = time.monotonic()
        assert counts()["tasks"] < len(references), "the relay finished before it was asked"
        assert relay.wait(timeout=60) == 0
        stopped_after = time.monotonic() - asked_at
        relay = start_relay()
        wait_for(lambda: counts()["tasks"] >= len(references), timeout=120, interval=0.5)
        wait_for(lambda: all(n.status in ("sent", "unknown") for n in notices()), timeout=120)
    finally:
        stop(relay)
    assert stopped_after < 15  # STOP_GRACE_SECONDS (8 s) for sends in flight, and the exit
    assert tasks_per_complaint() == dict.fromkeys(references, 1)
    assert_each_notice_sent_once_or_held(mailbox)


def test_a_relay_whose_prefect_server_stopped_answering_still_stops_when_asked(
    as_user, monkeypatch
):
    """Its batch's flow waits on a Prefect server that takes connections and never answers
    (each call retried for minutes): the relay gives the batch up after the grace, and the
    batch's lease hands it to the next relay."""
    silent = socket.create_server(("127.0.0.1", 0))  # listens, never reads: calls hang
    monkeypatch.setenv("PREFECT_API_URL", f"http://127.0.0.1:{silent.getsockname()[1]}/api")
    reference = as_user("sales").log_complaint()["reference"]
    relay = start_relay()
    try:
        wait_for(events_claimed, timeout=120, interval=0.1)
        time.sleep(1)  # into the batch's flow, which now waits on the silent server
        relay.send_signal(signal.SIGTERM)
        asked_at = time.monotonic()
        exit_code = relay.wait(timeout=60)
        stopped_after = time.monotonic() - asked_at
    finally:
        stop(relay)
        silent.close()
    assert stopped_after < 15  # STOP_GRACE_SECONDS (8 s), then the batch is given up
    assert exit_code == 0
    assert tasks_per_complaint() == {reference: 0}  # given up: its lease hands it on


def events_claimed() -> bool:
    with db.read_session() as session:
        leased = select(OutboxEvent).where(col(OutboxEvent.available_at) > utcnow())
        return session.exec(leased).first() is not None


def test_the_leases_of_events_being_routed_are_renewed_until_they_are_done(
    as_user, settings, monkeypatch
):
    import asyncio

    from flows.deliver_events import renewing_leases
    from workflow.outbox import claim_events

    use_settings(monkeypatch, outbox_lease_seconds=3)
    as_user("sales").log_complaint()
    (event,) = claim_events(10, 3)

    async def route_slowly() -> list:
        async with renewing_leases([event.id]):
            await asyncio.sleep(7)  # over twice the lease
            return claim_events(10, 3)  # another relay looking meanwhile

    assert asyncio.run(route_slowly()) == []
    time.sleep(3.5)  # no one renews it any more: the lease runs out
    assert [e.id for e in claim_events(10, 3)] == [event.id]


def test_a_mail_server_slow_to_greet_does_not_hold_up_routing(as_user, settings, monkeypatch):
    port = free_port()
    smtp = SlowGreetingController(SlowMailStore(0), port, delay=30)
    smtp.start()
    use_settings(monkeypatch, smtp_port=port, smtp_timeout_seconds=15)
    sales = as_user("sales")
    relay = start_relay()
    try:
        warm_up = sales.log_complaint()["reference"]  # the relay has started once this routes
        wait_for(lambda: sales.record(warm_up)["tasks"], timeout=120)
        waits = []
        for _ in range(5):
            reference = sales.log_complaint()["reference"]
            posted = time.monotonic()
            wait_for(lambda r=reference: sales.record(r)["tasks"], timeout=60, interval=0.1)
            waits.append(time.monotonic() - posted)
    finally:
        stop(relay)
        smtp.stop()
    # Held up, a complaint would wait for the send's 15 s timeout; unhindered it routes in a
    # second or two, up to 6 s on a busy two-core machine.
    assert max(waits) < 10, waits


def test_a_slow_mail_server_is_bounded_and_an_ambiguous_send_is_held(
    as_user, settings, monkeypatch
):
    store = SlowMailStore(delay=2.5)
    port = free_port()
    smtp = start_smtp(store, port)
    use_settings(monkeypatch, smtp_port=port, smtp_timeout_seconds=1)
    sales, admin = as_user("sales"), as_user("admin")
    try:
        reference = sales.log_complaint()["reference"]
        started = time.monotonic()
        drain_outbox()
        assert time.monotonic() - started < 10  # each attempt bounded by the timeout
        record = sales.record(reference)
        assert record["status"] == "with_quality"  # routing went on
        assert {n["status"] for n in record["notifications"]} == {"unknown"}
        assert any(h["action"] == "notice_held" for h in record["history"])
        drain_outbox()
        time.sleep(3)
        assert {n.status for n in notices()} == {NoticeStatus.unknown}  # never resent
        held = admin.get("/admin/notices/held").json()
        assert {h["complaint_reference"] for h in held} == {reference}
    finally:
        smtp.stop()
    assert max(mail_counts(store).values(), default=0) <= 1


def test_a_crash_after_the_server_accepted_holds_the_notice_and_a_person_releases_it(
    as_user, mailbox, settings, monkeypatch
):
    use_settings(monkeypatch, notice_lease_seconds=1)
    sales, admin = as_user("sales"), as_user("admin")
    reference = sales.log_complaint()["reference"]
    drain_outbox()
    ack = next(n for n in notices() if n.kind == "acknowledgement")
    with admin_reset_notice(id_of(ack)), pytest.raises(ProcessDies):
        send_notice(id_of(ack), DiesAfterSending(), on_outcome=record_notice_outcome)
    assert mail_counts(mailbox)[str(ack.id)] == 2  # the first send and the one that "died"
    time.sleep(1.2)
    drain_outbox()
    (held,) = [n for n in notices() if n.id == ack.id]
    assert held.status is NoticeStatus.unknown
    drain_outbox()
    assert mail_counts(mailbox)[str(ack.id)] == 2  # held, not resent

    released = admin.post(f"/admin/notices/{ack.id}/resend", json={"reason": "Checked the log."})
    assert released.status_code == 200, released.text
    assert (
        admin.post(f"/admin/notices/{ack.id}/resend", json={"reason": "Again"}).status_code == 409
    )
    drain_outbox()
    assert mail_counts(mailbox)[str(ack.id)] == 3
    history = [h["action"] for h in sales.record(reference)["history"]]
    assert history.count("notice_held") == 1
    assert history.count("notice_released") == 1


def test_a_crash_before_the_send_is_held_too_since_nobody_can_tell(
    as_user, mailbox, settings, monkeypatch
):
    use_settings(monkeypatch, notice_lease_seconds=1)
    as_user("sales").log_complaint()
    drain_outbox()
    ack = next(n for n in notices() if n.kind == "acknowledgement")
    with admin_reset_notice(id_of(ack)), pytest.raises(ProcessDies):
        send_notice(id_of(ack), DiesBeforeSending(), on_outcome=record_notice_outcome)
    time.sleep(1.2)
    drain_outbox()
    assert next(n for n in notices() if n.id == ack.id).status is NoticeStatus.unknown
    assert mail_counts(mailbox)[str(ack.id)] == 1  # only the first, real send


class admin_reset_notice:  # noqa: N801 - used as a context manager in tests
    """Put a sent notice back to pending, as if it had never been sent (test set-up only)."""

    def __init__(self, notice_id: int) -> None:
        self.notice_id = notice_id

    def __enter__(self) -> None:
        from sqlmodel import col, update

        from models.notification import Notification

        with db.write_session() as session:
            session.execute(
                update(Notification)
                .where(col(Notification.id) == self.notice_id)
                .values(status=NoticeStatus.pending)
            )
            session.commit()

    def __exit__(self, *_: object) -> None:
        return None


def test_two_relays_share_the_outbox_without_taking_the_same_event(as_user, mailbox, settings):
    sales = as_user("sales")
    references = [sales.log_complaint()["reference"] for _ in range(30)]
    relays = [start_relay(), start_relay()]
    try:
        wait_for(lambda: counts()["tasks"] >= len(references), timeout=90)
        wait_for(lambda: all(n.status == "sent" for n in notices()), timeout=60)
        time.sleep(1)
    finally:
        for relay in relays:
            stop(relay)
    assert tasks_per_complaint() == dict.fromkeys(references, 1)
    assert_each_notice_sent_once_or_held(mailbox)
    acks = Counter(m["Subject"] for m in mailbox.snapshot() if m["To"] == "jane@acme.example")
    assert set(acks.values()) == {1}
    assert len(acks) == len(references)


@pytest.fixture
def sqlite_only(settings) -> None:
    if not settings.sqlalchemy_url.startswith("sqlite"):
        pytest.skip("SQLite's single-writer lock and page quota")


def test_a_locked_database_gives_503_with_retry_after_then_recovers(
    as_user, sqlite_only, settings, monkeypatch
):
    use_settings(monkeypatch, sqlite_busy_timeout_ms=500)
    sales = as_user("sales")
    before = counts()
    from tests.support import complaint_payload

    with write_lock_held(settings):
        answer = sales.post("/complaints", json=complaint_payload())
        assert answer.status_code == 503, answer.text
        assert answer.headers["Retry-After"] == "5"
        assert counts() == before
    assert sales.log_complaint()["status"] == "received"


def test_requests_waiting_for_the_write_lock_leave_the_read_connections_to_others(
    as_user, sqlite_only, settings, monkeypatch
):
    """Twenty intakes wait for the write lock; a manager's read is answered meanwhile. Each
    waiting intake used to hold the read connection its sign-in check took, so more waiters
    than the read pool's fifteen connections left every page waiting up to 30 s."""
    from concurrent.futures import ThreadPoolExecutor

    from tests.support import complaint_payload

    use_settings(monkeypatch, sqlite_busy_timeout_ms=30_000)
    sales, manager = as_user("sales"), as_user("manager")
    with ThreadPoolExecutor(20) as pool:
        with write_lock_held(settings):
            intakes = [
                pool.submit(sales.post, "/complaints", json=complaint_payload()) for _ in range(20)
            ]
            time.sleep(3)  # every intake has signed in and waits for the lock
            assert not any(intake.done() for intake in intakes)
            began = time.monotonic()
            answer = manager.get("/complaints", params={"limit": 5})
            read_in = time.monotonic() - began
        assert [intake.result().status_code for intake in intakes] == [201] * 20
    assert answer.status_code == 200, answer.text
    assert read_in < 5


def test_a_full_database_gives_503_rolls_back_and_recovers(
    as_user, sqlite_only, settings, monkeypatch
):
    sales = as_user("sales")
    with sqlite3.connect(settings.var_dir / "complaints.db") as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        pages = conn.execute("PRAGMA page_count").fetchone()[0]
    use_settings(monkeypatch, sqlite_max_page_count=pages)
    before = counts()
    from tests.support import complaint_payload

    big = complaint_payload(description="x" * 9_000)
    answers = [sales.post("/complaints", json=big) for _ in range(5)]
    assert 503 in [a.status_code for a in answers]
    assert all(a.status_code in (201, 503) for a in answers)
    created = sum(a.status_code == 201 for a in answers)
    assert counts()["complaints"] == before["complaints"] + created
    use_settings(monkeypatch, sqlite_max_page_count=0)
    assert sales.log_complaint()["status"] == "received"


def test_the_api_answers_health_while_the_database_is_locked(base_url, sqlite_only, settings):
    with write_lock_held(settings):
        answer = httpx.get(f"{base_url}/api/v1/health", timeout=30)
        assert answer.json()["database"]["status"] == "up"  # readers go on under WAL
