"""The complaint's state machine as the API lives it: approval is a transition, sub-tasks run
on clocks, and every page and answer asks the rules what may be done."""

from collections import Counter
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlmodel import select

from models.deadline import Deadline
from models.notification import NoticeKind, Notification
from models.outbox import EventStatus, OutboxEvent
from models.task import Task
from tests.support import drain_outbox, freeze_at, quality_result, sweep
from workflow.db import read_session

BERLIN = ZoneInfo("Europe/Berlin")


def _with_sales(sales, quality) -> tuple[str, dict]:
    reference = sales.log_complaint()["reference"]
    drain_outbox()
    task = quality.open_task(reference, "quality_assessment")
    assert quality.post(f"/tasks/{task['id']}/complete", json=quality_result()).status_code == 200
    drain_outbox()
    return reference, sales.open_task(reference, "sales_review")


def test_after_approval_the_complaint_cannot_wait_on_the_customer_and_is_resolved(as_user):
    sales, quality = as_user("sales"), as_user("quality")
    reference, review = _with_sales(sales, quality)
    version = sales.record(reference)["version"]

    approved = sales.post(
        f"/tasks/{review['id']}/complete", json={"kind": "sales_review", "approved": True}
    )
    assert approved.status_code == 200, approved.text
    record = sales.record(reference)
    assert record["status"] == "approved"
    assert record["version"] > version  # approval changes the complaint, so its version moves
    assert "wait_for_customer" not in record["available_actions"]

    wait = sales.post(
        f"/complaints/{reference}/wait-for-customer", json={"reason": "Asked for the invoice."}
    )
    assert wait.status_code == 409, wait.text
    assert "approved" in wait.json()["detail"]

    drain_outbox()
    assert sales.record(reference)["status"] == "resolved"
    with read_session() as session:
        events = session.exec(select(OutboxEvent)).all()
    assert {e.status for e in events} == {EventStatus.done}


def test_a_stale_version_on_approval_is_a_conflict_and_changes_nothing(as_user):
    sales, quality = as_user("sales"), as_user("quality")
    reference, review = _with_sales(sales, quality)
    stale = sales.record(reference)["version"] - 1
    answer = sales.post(
        f"/tasks/{review['id']}/complete",
        json={"kind": "sales_review", "approved": True, "version": stale},
    )
    assert answer.status_code == 409, answer.text
    record = sales.record(reference)
    assert record["status"] == "with_sales"
    assert record["resolutions"][-1]["approved_by"] is None


def test_the_record_lists_what_the_reader_may_do_now(as_user):
    sales, quality, technical = as_user("sales"), as_user("quality"), as_user("technical")
    reference = sales.log_complaint()["reference"]
    drain_outbox()

    as_sales, as_quality = sales.record(reference), quality.record(reference)
    fixes = ["correct_complaint", "mark_duplicate", "withdraw"]
    assert as_sales["available_actions"] == sorted(
        [*fixes, "read_customer_link", "wait_for_customer"]
    )
    assert as_quality["available_actions"] == sorted(
        [*fixes, "map_product", "open_action", "review_related", "wait_for_customer"]
    )
    assert technical.record(reference)["available_actions"] == []
    (task,) = as_quality["tasks"]
    assert task["available_actions"] == [
        "claim_task",
        "open_subtask",
        "record_assessment",
        "record_containment",
        "return_result",
    ]
    assert sales.record(reference)["tasks"][0]["available_actions"] == []


def test_a_subtask_has_its_parent_and_its_own_clock_on_the_policy(as_user):
    sales, quality = as_user("sales"), as_user("quality")
    freeze_at(datetime(2026, 11, 23, 9, 0, tzinfo=BERLIN))  # a Monday
    reference = sales.log_complaint()["reference"]
    drain_outbox()
    task = quality.open_task(reference, "quality_assessment")
    first = quality.post(
        f"/tasks/{task['id']}/subtasks", json={"department": "technical", "request": "Test it."}
    ).json()
    second = quality.post(
        f"/tasks/{task['id']}/subtasks",
        json={"department": "procurement", "request": "Ask the supplier.", "business_days": 1},
    ).json()

    assert first["parent_task_id"] == second["parent_task_id"] == task["id"]
    # Policy: 3 business days from Monday 09:00; the second was given one day.
    assert datetime.fromisoformat(first["due_at"]) == datetime(2026, 11, 26, 9, 0, tzinfo=BERLIN)
    assert datetime.fromisoformat(second["due_at"]) == datetime(2026, 11, 24, 9, 0, tzinfo=BERLIN)
    with read_session() as session:
        rows = {t.id: t for t in session.exec(select(Task).where(Task.kind == "subtask"))}
        clocks = session.exec(select(Deadline).where(Deadline.step == "subtask")).all()
    assert {rows[first["id"]].source_event_id, rows[second["id"]].source_event_id} == {None}
    assert Counter(c.task_id for c in clocks) == Counter([first["id"], second["id"]])
    assert all("parent_task_id" not in t.result for t in rows.values())


def test_a_late_subtask_is_on_the_overdue_board_and_escalates(as_user, mailbox):
    sales, quality, manager = as_user("sales"), as_user("quality"), as_user("manager")
    freeze_at(datetime(2026, 11, 23, 9, 0, tzinfo=BERLIN))
    reference = sales.log_complaint()["reference"]
    drain_outbox()
    task = quality.open_task(reference, "quality_assessment")
    subtask = quality.post(
        f"/tasks/{task['id']}/subtasks",
        json={"department": "technical", "request": "Test it.", "business_days": 1},
    ).json()

    freeze_at(datetime(2026, 11, 24, 9, 30, tzinfo=BERLIN))
    late = manager.get("/overdue", params={"department": "technical"}).json()
    assert [(i["reference"], i["step"], i["task_id"]) for i in late] == [
        (reference, "subtask", subtask["id"])
    ]
    sweep()
    with read_session() as session:
        escalations = session.exec(
            select(Notification).where(Notification.kind == NoticeKind.escalation)
        ).all()
    assert [n.recipient for n in escalations if "Sub-task" in n.body_text] == [
        "technical@example.com"
    ]


def test_answering_a_subtask_stops_only_its_own_clock(as_user):
    sales, quality, technical = as_user("sales"), as_user("quality"), as_user("technical")
    reference = sales.log_complaint()["reference"]
    drain_outbox()
    task = quality.open_task(reference, "quality_assessment")
    asked = [
        quality.post(
            f"/tasks/{task['id']}/subtasks", json={"department": "technical", "request": r}
        ).json()
        for r in ("Bench test.", "Check the drawing.")
    ]
    answer = {"kind": "subtask_answer", "answer": "Fails at 5.5 bar."}
    assert technical.post(f"/tasks/{asked[0]['id']}/complete", json=answer).status_code == 200
    with read_session() as session:
        met = {
            c.task_id: c.met_at is not None
            for c in session.exec(select(Deadline).where(Deadline.step == "subtask"))
        }
        quality_clocks = session.exec(select(Deadline).where(Deadline.task_id == task["id"])).all()
    assert met == {asked[0]["id"]: True, asked[1]["id"]: False}
    assert {c.step for c in quality_clocks} >= {"quality_result", "first_assessment"}
    assert all(c.met_at is None for c in quality_clocks)


def test_an_inquiry_waiting_on_the_customer_is_not_answered_and_an_answer_is_given_once(as_user):
    sales = as_user("sales")
    reference = sales.log_complaint(kind="inquiry", severity="minor")["reference"]
    drain_outbox()
    task = sales.open_task(reference, "answer_inquiry")
    answer = {"kind": "inquiry_answer", "answer": "It fits pumps made since 2017."}
    waiting = sales.post(
        f"/complaints/{reference}/wait-for-customer", json={"reason": "Asked for the serial."}
    )
    assert waiting.status_code == 200, waiting.text
    refused = sales.post(f"/tasks/{task['id']}/complete", json=answer)
    assert refused.status_code == 409, refused.text
    assert sales.record(reference)["status"] == "waiting_on_customer"

    resumed = sales.post(f"/complaints/{reference}/customer-answered", json={"note": "Sent."})
    assert resumed.status_code == 200, resumed.text
    assert sales.post(f"/tasks/{task['id']}/complete", json=answer).status_code == 200
    again = sales.post(f"/tasks/{task['id']}/complete", json=answer)
    assert again.status_code == 409, again.text
    record = sales.record(reference)
    assert record["status"] == "closed"
    assert [h["action"] for h in record["history"]].count("answer_inquiry") == 1
