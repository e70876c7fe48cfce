"""Corrective and preventive actions: opened by quality on a clock in the owner department's
queue, reminded and escalated like every step, completed with evidence, cancelled with a
reason, worked after the customer's complaint is closed. Real API, database and sweeps."""

from datetime import datetime

from sqlmodel import select

from models.deadline import Deadline
from models.notification import NoticeKind, Notification
from tests.capa_support import (
    add_attachment,
    berlin,
    complete_action,
    open_action,
    production_user,
    routed_complaint,
)
from tests.support import drain_outbox, freeze_at, quality_result, sweep
from workflow.clock import utcnow
from workflow.db import read_session
from workflow.digest import digest_lines


def _notices(kind: NoticeKind) -> list[Notification]:
    """The notices of this kind about actions (quality's own steps run on clocks too)."""
    with read_session() as session:
        notices = session.exec(select(Notification).where(Notification.kind == kind))
        return [n for n in notices if "Corrective or preventive action" in n.subject]


def _action_clock(task_id: int) -> Deadline:
    with read_session() as session:
        return session.exec(select(Deadline).where(Deadline.task_id == task_id)).one()


def test_an_action_is_reminded_escalated_and_completed_with_evidence_in_the_owners_queue(
    as_user, base_url, mailbox
):
    sales, quality, manager = as_user("sales"), as_user("quality"), as_user("manager")
    petra = production_user(base_url)
    freeze_at(berlin(2026, 11, 23, 9, 0))  # a Monday
    reference = routed_complaint(sales)

    action = open_action(quality, reference)
    assert (action["status"], action["owner"], action["round"]) == ("open", "petra", 1)
    assert datetime.fromisoformat(action["due_at"]) == berlin(2026, 11, 25, 9, 0)  # 18 h on
    queue = petra.get("/tasks").json()["items"]
    assert [(t["id"], t["kind"], t["assignee"]) for t in queue] == [
        (action["task_id"], "capa_action", "petra")
    ]
    drain_outbox()
    told = [m for m in mailbox.snapshot() if m["To"] == "production@example.com"]
    assert len(told) == 1
    assert reference in told[0]["Subject"]

    freeze_at(berlin(2026, 11, 24, 14, 0))  # past 75 % of the 18 business hours
    sweep()
    assert [n.recipient for n in _notices(NoticeKind.reminder)] == ["petra@example.com"]

    freeze_at(berlin(2026, 11, 25, 10, 0))
    late = [i for i in manager.get("/overdue").json() if i["task_id"] == action["task_id"]]
    assert [(i["reference"], i["step"], i["assignee"]) for i in late] == [
        (reference, "capa_action", "petra")
    ]
    with read_session() as session:
        overdue, _ = digest_lines(session, None, utcnow())
    assert [line.step for line in overdue if line.department == "production"] == [
        "Corrective or preventive action"
    ]
    sweep()
    escalations = _notices(NoticeKind.escalation)
    assert [n.recipient for n in escalations] == ["petra@example.com"]
    assert escalations[0].subject.startswith("OVERDUE (level 1): Corrective or preventive")

    technical = as_user("technical")
    done = {"kind": "action_done", "evidence": "Batch S-4411 returned to the supplier."}
    assert technical.post(f"/tasks/{action['task_id']}/complete", json=done).status_code == 403
    for bad in ({**done, "evidence": ""}, {**done, "attachment_ids": [999999]}):
        refused = petra.post(f"/tasks/{action['task_id']}/complete", json=bad)
        assert refused.status_code == 422, bad
    report = add_attachment(reference)
    answer = petra.post(
        f"/tasks/{action['task_id']}/complete", json={**done, "attachment_ids": [report]}
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["status"] == "done"

    record = quality.record(reference)
    (stored,) = record["actions"]
    assert stored["status"] == "done"
    assert stored["evidence"] == done["evidence"]
    assert stored["evidence_attachment_ids"] == [report]
    assert stored["closed_by"] == "petra"
    assert _action_clock(action["task_id"]).met_at is not None
    assert [i["step"] for i in manager.get("/overdue").json()] == ["first_assessment"]
    entries = [h for h in record["history"] if h["action"] in ("action_opened", "action_done")]
    assert [(h["action"], h["actor"]) for h in entries] == [
        ("action_opened", "quality"),
        ("action_done", "petra"),
    ]
    assert entries[1]["changes"]["evidence"] == done["evidence"]


def test_who_may_open_complete_and_cancel_actions_and_when(as_user, base_url):
    sales, quality, technical = as_user("sales"), as_user("quality"), as_user("technical")
    petra = production_user(base_url)
    not_routed = sales.log_complaint()["reference"]  # still received: quality has not seen it
    url = f"/complaints/{not_routed}/actions"
    body = {"kind": "corrective", "description": "Fix it.", "owner_department": "production"}
    assert quality.post(url, json=body).status_code == 409
    reference = routed_complaint(sales)
    url = f"/complaints/{reference}/actions"
    assert sales.post(url, json=body).status_code == 403
    assert quality.post("/complaints/CMP-1999-000001/actions", json=body).status_code == 404
    for bad in (
        {**body, "owner_department": "management"},
        {**body, "owner": "technical"},  # not of production
        {**body, "owner": "nobody"},
        {**body, "due_date": "2020-01-01"},
        {**body, "due_date": "2099-01-01"},
        {**body, "due_date": "2027-01-04", "business_days": 3},
        {**body, "business_days": 0},
        {**body, "kind": "wish"},
        {**body, "description": ""},
    ):
        answer = quality.post(url, json=bad)
        assert answer.status_code == 422, (bad, answer.text)

    action = open_action(quality, reference, owner=None)
    assert action["owner"] is None
    assert action["available_actions"] == ["cancel_action"]
    assert (
        technical.post(
            f"/tasks/{action['task_id']}/complete",
            json={"kind": "action_done", "evidence": "Done."},
        ).status_code
        == 403
    )  # production's action
    complete_action(petra, action)
    cancel = f"/actions/{action['id']}/cancel"
    assert quality.post(cancel, json={"reason": "Not needed."}).status_code == 409  # done

    second = open_action(quality, reference, kind="preventive", owner=None)
    reason = {"reason": "The supplier's 8D covers it."}
    assert sales.post(f"/actions/{second['id']}/cancel", json=reason).status_code == 403
    assert quality.post(f"/actions/{second['id']}/cancel", json={}).status_code == 422
    assert quality.post("/actions/999999/cancel", json=reason).status_code == 404
    cancelled = quality.post(f"/actions/{second['id']}/cancel", json=reason)
    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["status"] == "cancelled"
    assert cancelled.json()["cancel_reason"] == reason["reason"]
    assert cancelled.json()["available_actions"] == []
    assert petra.get("/tasks").json()["items"] == []  # gone from the queue
    assert _action_clock(second["task_id"]).met_at is not None
    late = petra.post(
        f"/tasks/{second['task_id']}/complete", json={"kind": "action_done", "evidence": "x" * 5}
    )
    assert late.status_code == 409
    history = quality.record(reference)["history"]
    entry = next(h for h in history if h["action"] == "action_cancelled")
    assert (entry["actor"], entry["reason"]) == ("quality", reason["reason"])


def _close(sales, quality, reference: str, **result) -> None:
    task = quality.open_task(reference, "quality_assessment")
    answer = quality.post(f"/tasks/{task['id']}/complete", json=quality_result(**result))
    assert answer.status_code == 200, answer.text
    drain_outbox()
    review = sales.open_task(reference, "sales_review")
    approved = {"kind": "sales_review", "approved": True}
    assert sales.post(f"/tasks/{review['id']}/complete", json=approved).status_code == 200
    drain_outbox()
    accepted = sales.post(f"/complaints/{reference}/customer-response", json={"accepted": True})
    assert accepted.status_code == 200, accepted.text
    assert sales.record(reference)["status"] == "closed"


def test_an_action_is_worked_after_the_customers_complaint_is_closed(as_user, base_url):
    sales, quality = as_user("sales"), as_user("quality")
    petra = production_user(base_url)
    freeze_at(berlin(2026, 11, 23, 9, 0))
    reference = routed_complaint(sales)
    before = open_action(quality, reference, kind="containment")
    _close(sales, quality, reference)

    assert _action_clock(before["task_id"]).met_at is None  # closing left its clock running
    after = open_action(quality, reference, kind="corrective")
    record = quality.record(reference)
    assert record["quality_record_complete_at"] is None  # valid and investigated: a check is due
    assert [a["status"] for a in record["actions"]] == ["open", "open"]
    complete_action(petra, before)
    complete_action(petra, after)
    record = quality.record(reference)
    assert record["status"] == "closed"
    assert [a["status"] for a in record["actions"]] == ["done", "done"]
    assert record["effectiveness_check"]["round"] == 1


def test_a_complaint_with_nothing_to_correct_has_its_quality_record_complete_at_closing(as_user):
    sales, quality = as_user("sales"), as_user("quality")
    reference = routed_complaint(sales)
    _close(
        sales,
        quality,
        reference,
        valid=False,
        investigate=False,
        no_investigation_reason="Run dry, outside the specification.",
    )
    record = quality.record(reference)
    assert record["quality_record_complete_at"] == record["closed_at"]
    assert record["effectiveness_check"] is None
    entry = next(h for h in record["history"] if h["action"] == "quality_record_completed")
    assert entry["reason"] == "closed with nothing to correct"
    feedback = sales.log_complaint(kind="praise")["reference"]
    drain_outbox()
    assert sales.record(feedback)["quality_record_complete_at"] is not None

    manager = as_user("manager")
    report = "/reports/deadlines?from=2026-01-01&to=2030-01-01&group_by=severity"
    rows = manager.get(report).json()
    assert sum(r["quality_record_complete"] for r in rows) == 2
    csv = manager.get(report, headers={"Accept": "text/csv"}).text
    assert "quality_record_complete" in csv.splitlines()[0]


def test_waiting_on_the_customer_does_not_stop_an_actions_clock(as_user, base_url):
    sales, quality = as_user("sales"), as_user("quality")
    production_user(base_url)
    freeze_at(berlin(2026, 11, 23, 9, 0))
    reference = routed_complaint(sales)
    action = open_action(quality, reference)
    waiting = quality.post(
        f"/complaints/{reference}/wait-for-customer", json={"reason": "Asked for photos."}
    )
    assert waiting.status_code == 200, waiting.text
    assert _action_clock(action["task_id"]).paused_since is None
