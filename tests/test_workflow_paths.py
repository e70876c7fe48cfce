"""Each path through the workflow, driven over HTTP with the real delivery flow."""

from sqlmodel import select

from models.notification import Notification
from models.outbox import EventStatus, OutboxEvent
from models.task import Task
from tests.support import drain_outbox, quality_result
from workflow.db import read_session
from workflow.routing import handle_event


def _subjects_to(mailbox, address: str) -> list[str]:
    return [m["Subject"] for m in mailbox.snapshot() if m["To"] == address]


def _resolve(sales, quality, reference: str) -> None:
    """Take a logged complaint through quality and sales review to resolved."""
    drain_outbox()
    task = quality.open_task(reference, "quality_assessment")
    answer = quality.post(f"/tasks/{task['id']}/complete", json=quality_result())
    assert answer.status_code == 200, answer.text
    drain_outbox()
    review = sales.open_task(reference, "sales_review")
    answer = sales.post(
        f"/tasks/{review['id']}/complete", json={"kind": "sales_review", "approved": True}
    )
    assert answer.status_code == 200, answer.text
    drain_outbox()


def test_praise_takes_the_short_path_and_says_so(as_user, mailbox):
    sales = as_user("sales")
    created = sales.log_complaint(kind="praise", severity="minor", description="Great service!")
    assert created["reference"].startswith("FBK-")
    drain_outbox()
    record = sales.record(created["reference"])
    assert record["status"] == "closed"
    assert record["tasks"] == []
    closing = [h for h in record["history"] if h["action"] == "close_as_feedback"]
    assert len(closing) == 1
    assert "needs no investigation" in closing[0]["reason"]
    assert len(_subjects_to(mailbox, "jane@acme.example")) == 1
    assert any("For information" in s for s in _subjects_to(mailbox, "quality@example.com"))


def test_critical_complaint_alerts_the_general_manager_at_intake(as_user, mailbox):
    sales = as_user("sales")
    created = sales.log_complaint(severity="critical")
    drain_outbox()
    alerts = [s for s in _subjects_to(mailbox, "gm@example.com") if s.startswith("CRITICAL")]
    assert alerts == [f"CRITICAL complaint {created['reference']}: Pump P-200"]


def test_minor_complaint_does_not_alert_the_general_manager(as_user, mailbox):
    as_user("sales").log_complaint(severity="minor")
    drain_outbox()
    assert _subjects_to(mailbox, "gm@example.com") == []


def test_sales_sending_back_opens_a_second_quality_round(as_user, mailbox):
    sales, quality = as_user("sales"), as_user("quality")
    reference = sales.log_complaint()["reference"]
    drain_outbox()
    task = quality.open_task(reference, "quality_assessment")
    quality.post(f"/tasks/{task['id']}/complete", json=quality_result())
    drain_outbox()
    review = sales.open_task(reference, "sales_review")
    sent_back = sales.post(
        f"/tasks/{review['id']}/complete",
        json={"kind": "sales_review", "approved": False, "comment": "Say when they get it."},
    )
    assert sent_back.status_code == 200, sent_back.text
    assert sales.record(reference)["status"] == "with_quality"
    drain_outbox()
    record = sales.record(reference)
    quality_tasks = [t for t in record["tasks"] if t["kind"] == "quality_assessment"]
    assert [t["status"] for t in quality_tasks] == ["done", "open"]
    assert record["cycle"] == 2
    assert record["resolutions"][0]["review_comment"] == "Say when they get it."
    assert not any(s.startswith("Resolution") for s in _subjects_to(mailbox, "jane@acme.example"))


def test_customer_refusal_reopens_to_quality_and_acceptance_closes(as_user, mailbox):
    sales, quality = as_user("sales"), as_user("quality")
    reference = sales.log_complaint()["reference"]
    _resolve(sales, quality, reference)
    refused = sales.post(
        f"/complaints/{reference}/customer-response",
        json={"accepted": False, "comment": "Still leaking."},
    )
    assert refused.status_code == 200, refused.text
    assert refused.json()["status"] == "reopened"
    drain_outbox()
    assert sales.record(reference)["status"] == "with_quality"

    task = quality.open_task(reference, "quality_assessment")
    quality.post(
        f"/tasks/{task['id']}/complete",
        json=quality_result(customer_summary="We replace the whole pump unit."),
    )
    drain_outbox()
    review = sales.open_task(reference, "sales_review")
    sales.post(f"/tasks/{review['id']}/complete", json={"kind": "sales_review", "approved": True})
    drain_outbox()
    resolutions = [
        s for s in _subjects_to(mailbox, "jane@acme.example") if s.startswith("Resolution")
    ]
    assert len(resolutions) == 2
    accepted = sales.post(f"/complaints/{reference}/customer-response", json={"accepted": True})
    assert accepted.status_code == 200, accepted.text
    record = accepted.json()
    assert record["status"] == "closed"
    assert record["customer_accepted"] is True
    assert [r["revision"] for r in record["resolutions"]] == [1, 2]


def test_an_event_handled_twice_opens_and_sends_nothing_twice(as_user, mailbox):
    sales = as_user("sales")
    reference = sales.log_complaint()["reference"]
    drain_outbox()
    with read_session() as session:
        event = session.exec(select(OutboxEvent)).one()
    assert event.status == EventStatus.done
    assert handle_event(event.id) == []
    drain_outbox()
    with read_session() as session:
        assert len(session.exec(select(Task)).all()) == 1
        assert len(session.exec(select(Notification)).all()) == 2
    assert len([m for m in mailbox.snapshot() if reference in m["Subject"]]) == 2
