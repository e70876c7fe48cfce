"""Delivery survives its own absence and a dead mail server."""

import signal
import subprocess
import sys
import time

import pytest
from sqlmodel import col, select

from models.notification import NoticeStatus, Notification
from notifications.smtp_catcher import SmtpCatcher
from tests.support import drain_outbox, free_port, wait_for
from workflow.db import read_session


def _notices() -> list[Notification]:
    with read_session() as session:
        return list(session.exec(select(Notification).order_by(col(Notification.id))))


def test_events_logged_while_the_relay_is_down_are_delivered_once_it_starts(as_user, mailbox):
    sales = as_user("sales")
    reference = sales.log_complaint()["reference"]
    time.sleep(1.0)
    assert sales.record(reference)["tasks"] == []
    assert mailbox.snapshot() == []

    relay = subprocess.Popen([sys.executable, "-m", "flows.relay"])
    try:
        wait_for(lambda: len(mailbox.snapshot()) >= 2, timeout=90)
        time.sleep(2.0)  # several more polling rounds: nothing may be delivered twice
    finally:
        relay.send_signal(signal.SIGTERM)
        relay.wait(timeout=30)
    record = sales.record(reference)
    assert record["status"] == "with_quality"
    assert len(record["tasks"]) == 1
    to_customer = [m for m in mailbox.snapshot() if m["To"] == "jane@acme.example"]
    assert len(to_customer) == 1
    assert relay.returncode == 0


@pytest.fixture
def dead_smtp_port(monkeypatch: pytest.MonkeyPatch, settings) -> int:
    """Point notices at a port where no SMTP server listens (yet)."""
    port = free_port()
    monkeypatch.setenv("CW_SMTP_PORT", str(port))
    from workflow.config import get_settings

    get_settings.cache_clear()
    return port


def test_a_notice_that_fails_is_recorded_retried_and_sent_once_smtp_is_back(
    as_user, dead_smtp_port
):
    sales = as_user("sales")
    reference = sales.log_complaint()["reference"]
    drain_outbox()
    notices = _notices()
    assert {n.status for n in notices} == {NoticeStatus.failed}
    assert all(n.attempts == 1 and n.last_error for n in notices)
    assert all(n.next_attempt_at is not None for n in notices)

    with SmtpCatcher("127.0.0.1", dead_smtp_port) as catcher:
        time.sleep(0.5)  # the first retry is due 0.2 s after the failure
        drain_outbox()
        drain_outbox()
        notices = _notices()
        assert {n.status for n in notices} == {NoticeStatus.sent}
        assert all(n.attempts == 2 for n in notices)
        assert len(catcher.store.snapshot()) == len(notices)
        ids = sorted(m["X-Notice-Id"] for m in catcher.store.snapshot())
        assert ids == sorted(str(n.id) for n in notices)
    record = sales.record(reference)
    sent = [h for h in record["history"] if h["action"] == "notice_sent"]
    assert len(sent) == len(notices)
    assert record["acknowledged_at"] is not None


def test_events_wait_while_prefect_is_unreachable_and_are_routed_once_it_is_back(as_user):
    import asyncio

    from prefect.settings import PREFECT_API_URL, temporary_settings

    from flows.relay import relay_once
    from models.outbox import EventStatus, OutboxEvent

    sales = as_user("sales")
    references = [sales.log_complaint()["reference"] for _ in range(3)]
    with (
        temporary_settings({PREFECT_API_URL: f"http://127.0.0.1:{free_port()}/api"}),
        pytest.raises(RuntimeError, match="Failed to reach API"),
    ):
        asyncio.run(relay_once())
    with read_session() as session:
        events = session.exec(select(OutboxEvent)).all()
    assert [e.status for e in events] == [EventStatus.pending] * 3

    time.sleep(1.1)  # events given back become claimable again after a second
    drain_outbox()
    for reference in references:
        record = sales.record(reference)
        assert record["status"] == "with_quality"
        assert len(record["tasks"]) == 1
