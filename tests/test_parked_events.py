"""Events that can never succeed are parked after a bounded number of attempts, listed for
admins, and retried by an admin after the fix; attempts are counted at the claim, so a
handler that kills the relay every time ends parked too."""

import time
import uuid
from collections import Counter
from collections.abc import Iterator

import pytest
from sqlmodel import select
from typer.testing import CliRunner

from models.outbox import EventStatus, OutboxEvent
from tests.faults import start_relay_whose_handler_kills_it, stop
from tests.support import drain_outbox, wait_for
from workflow import db, routing
from workflow.cli import app as cli
from workflow.config import get_settings
from workflow.outbox import claim_events
from workflow.rules import EventKind


def use_settings(monkeypatch: pytest.MonkeyPatch, **values: object) -> None:
    for name, value in values.items():
        monkeypatch.setenv(f"CW_{name.upper()}", str(value))
    get_settings.cache_clear()
    db.reset_engines()


def only_event() -> OutboxEvent:
    with db.read_session() as session:
        (event,) = session.exec(select(OutboxEvent)).all()
        return event


class BrokenHandler:
    """The handler of new complaints fails every time, as with a bug or missing data, until
    the fix is deployed."""

    def __init__(self) -> None:
        self.patch = pytest.MonkeyPatch()
        self.patch.setitem(routing.HANDLERS, EventKind.complaint_logged, self.fails)

    @staticmethod
    def fails(*_: object) -> list:
        raise LookupError("no deadline policy for step acknowledgement")

    def fix(self) -> None:
        self.patch.undo()


@pytest.fixture
def broken_handler() -> Iterator[BrokenHandler]:
    handler = BrokenHandler()
    yield handler
    handler.fix()


@pytest.fixture
def parked(as_user, settings, monkeypatch, broken_handler) -> str:
    """A complaint whose event was parked after three failed attempts; its reference."""
    use_settings(monkeypatch, event_max_attempts=3, event_retry_base_seconds=0.1)
    reference = as_user("sales").log_complaint()["reference"]
    for _ in range(30):
        drain_outbox()
        if only_event().status == EventStatus.failed:
            break
        time.sleep(0.2)
    return reference


def test_an_event_whose_handler_always_raises_is_parked_after_its_attempts(parked, as_user):
    event = only_event()
    assert event.status == EventStatus.failed
    assert event.attempts == 3
    assert event.failed_at is not None
    assert "LookupError: no deadline policy" in (event.last_error or "")
    time.sleep(0.5)  # past any backoff: it is still not claimed again
    assert claim_events(10, 30) == []
    assert drain_outbox() == 0
    assert only_event().attempts == 3
    history = as_user("sales").record(parked)["history"]
    (entry,) = [h for h in history if h["action"] == "event_parked"]
    assert entry["changes"]["attempts"] == 3
    assert "LookupError" in entry["reason"]


def test_admin_lists_a_parked_event_and_a_retry_after_the_fix_routes_it_once(
    parked, as_user, mailbox, broken_handler
):
    admin, sales = as_user("admin"), as_user("sales")
    event = only_event()
    (listed,) = admin.get("/admin/events/failed").json()
    assert listed["id"] == event.id
    assert listed["complaint_reference"] == parked
    assert listed["kind"] == "complaint.logged"
    assert listed["status"] == "failed"
    assert listed["attempts"] == 3
    assert "LookupError" in listed["last_error"]
    assert listed["failed_at"]
    shown = CliRunner().invoke(cli, ["failed-events"])
    assert shown.exit_code == 0, shown.output
    assert event.id in shown.output
    assert parked in shown.output
    assert "3 attempts" in shown.output

    broken_handler.fix()
    answer = admin.post(f"/admin/events/{event.id}/retry", json={"reason": "Policy restored."})
    assert answer.status_code == 200, answer.text
    assert answer.json()["status"] == "pending"
    assert answer.json()["attempts"] == 0
    drain_outbox()
    drain_outbox()

    record = sales.record(parked)
    assert record["status"] == "with_quality"
    assert len(record["tasks"]) == 1
    acknowledgements = [m for m in mailbox.snapshot() if m["To"] == "jane@acme.example"]
    assert len(acknowledgements) == 1
    retried = [h for h in record["history"] if h["action"] == "event_retried"]
    assert [(h["actor"], h["reason"]) for h in retried] == [("admin", "Policy restored.")]
    assert admin.get("/admin/events/failed").json() == []
    assert CliRunner().invoke(cli, ["failed-events"]).output.strip() == "none"
    assert only_event().status == EventStatus.done


def test_the_command_line_retries_a_parked_event(parked, as_user, broken_handler):
    event_id = only_event().id
    broken_handler.fix()
    refused = CliRunner().invoke(cli, ["retry-event", str(uuid.uuid4()), "--reason", "Fixed."])
    assert refused.exit_code == 1
    assert "no event" in refused.output
    retried = CliRunner().invoke(cli, ["retry-event", event_id, "--reason", "Policy restored."])
    assert retried.exit_code == 0, retried.output
    assert f"event {event_id} retried" in retried.output
    again = CliRunner().invoke(cli, ["retry-event", event_id, "--reason", "Again."])
    assert again.exit_code == 1
    assert "not parked" in again.output
    drain_outbox()
    assert len(as_user("sales").record(parked)["tasks"]) == 1


def test_only_an_admin_may_list_or_retry_parked_events(parked, as_user):
    event_id = only_event().id
    for username in ("sales", "quality", "manager", "gm"):
        user = as_user(username)
        assert user.get("/admin/events/failed").status_code == 403
        answer = user.post(f"/admin/events/{event_id}/retry", json={"reason": "Trying."})
        assert answer.status_code == 403, answer.text
    assert only_event().status == EventStatus.failed


def test_retrying_an_event_that_is_not_parked_is_refused(as_user, settings):
    admin = as_user("admin")
    as_user("sales").log_complaint()
    drain_outbox()
    done = only_event()
    answer = admin.post(f"/admin/events/{done.id}/retry", json={"reason": "Just in case."})
    assert answer.status_code == 409, answer.text
    assert "not parked" in answer.json()["detail"]
    missing = admin.post(f"/admin/events/{uuid.uuid4()}/retry", json={"reason": "Just in case."})
    assert missing.status_code == 404
    garbled = admin.post("/admin/events/not-an-id/retry", json={"reason": "Just in case."})
    assert garbled.status_code == 422
    no_reason = admin.post(f"/admin/events/{done.id}/retry", json={"reason": ""})
    assert no_reason.status_code == 422
    assert only_event().status == EventStatus.done


def test_an_event_given_back_because_prefect_was_unreachable_keeps_its_attempts(
    as_user, settings, monkeypatch
):
    import asyncio

    from prefect.settings import PREFECT_API_URL, temporary_settings

    from flows.relay import relay_once
    from tests.support import free_port

    use_settings(monkeypatch, event_max_attempts=2)
    as_user("sales").log_complaint()
    with temporary_settings({PREFECT_API_URL: f"http://127.0.0.1:{free_port()}/api"}):
        for _ in range(3):
            with pytest.raises(RuntimeError, match="Failed to reach API"):
                asyncio.run(relay_once())
            time.sleep(1.1)  # given back for a second
    event = only_event()
    assert (event.status, event.attempts) == (EventStatus.pending, 0)
    drain_outbox()
    assert only_event().status == EventStatus.done


def test_an_event_whose_handler_kills_the_relay_every_time_ends_parked(
    as_user, settings, monkeypatch
):
    use_settings(monkeypatch, event_max_attempts=2, outbox_lease_seconds=3)
    reference = as_user("sales").log_complaint()["reference"]
    deaths = 0
    for _ in range(4):
        if only_event().status == EventStatus.failed:
            break
        relay = start_relay_whose_handler_kills_it()
        try:
            relay.wait(timeout=120)
        finally:
            stop(relay)
        deaths += relay.returncode == 9
        time.sleep(3.2)  # the dead relay's lease runs out
        if deaths == 2:
            wait_for(lambda: claim_events(10, 30) == [], timeout=10)  # the claim parks it
    assert deaths == 2  # the handler ran once per attempt, then never again
    event = only_event()
    assert (event.status, event.attempts) == (EventStatus.failed, 2)
    assert event.last_error == "its handler never finished"
    history = Counter(h["action"] for h in as_user("sales").record(reference)["history"])
    assert history["event_parked"] == 1
