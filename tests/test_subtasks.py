"""Quality asks another department for a finding: a sub-task in that department's queue."""

from sqlmodel import select

from models.deadline import Deadline
from tests.support import drain_outbox, quality_result
from workflow.db import read_session


def _claimed_quality_task(sales, quality) -> tuple[str, dict]:
    reference = sales.log_complaint()["reference"]
    drain_outbox()
    task = quality.open_task(reference, "quality_assessment")
    assert quality.post(f"/tasks/{task['id']}/claim").status_code == 200
    return reference, task


def test_a_subtask_goes_to_the_department_and_its_answer_back_to_quality(as_user, mailbox):
    sales, quality, technical = as_user("sales"), as_user("quality"), as_user("technical")
    reference, task = _claimed_quality_task(sales, quality)

    asked = quality.post(
        f"/tasks/{task['id']}/subtasks",
        json={"department": "technical", "request": "Bench-test the seal at 6 bar."},
    )
    assert asked.status_code == 201, asked.text
    subtask = asked.json()
    assert subtask["department"] == "technical"
    assert subtask["kind"] == "subtask"
    assert subtask["status"] == "open"

    queue = technical.get("/tasks").json()["items"]
    assert [t["id"] for t in queue] == [subtask["id"]]
    refused = sales.post(
        f"/tasks/{subtask['id']}/complete", json={"kind": "subtask_answer", "answer": "x"}
    )
    assert refused.status_code == 403
    wrong_kind = technical.post(
        f"/tasks/{subtask['id']}/complete", json={"kind": "sales_review", "approved": True}
    )
    assert wrong_kind.status_code == 422
    answered = technical.post(
        f"/tasks/{subtask['id']}/complete",
        json={"kind": "subtask_answer", "answer": "Fails at 5.5 bar."},
    )
    assert answered.status_code == 200, answered.text
    assert answered.json()["result"]["answer"] == "Fails at 5.5 bar."
    assert answered.json()["result"]["request"] == "Bench-test the seal at 6 bar."
    again = technical.post(
        f"/tasks/{subtask['id']}/complete", json={"kind": "subtask_answer", "answer": "again"}
    )
    assert again.status_code == 409

    record = quality.record(reference)
    assert record["status"] == "with_quality"  # a sub-task changes no state of the complaint
    actions = [h["action"] for h in record["history"]]
    assert actions.count("subtask_opened") == 1
    assert actions[-1] == "task_completed"

    drain_outbox()  # the department is told about its new task
    to_technical = [m for m in mailbox.snapshot() if m["To"] == "technical@example.com"]
    assert len(to_technical) == 1
    assert reference in to_technical[0]["Subject"]


def test_subtasks_go_only_to_other_departments_and_only_from_quality(as_user):
    sales, quality = as_user("sales"), as_user("quality")
    _, task = _claimed_quality_task(sales, quality)
    for department in ("sales", "quality", "management"):
        answer = quality.post(
            f"/tasks/{task['id']}/subtasks", json={"department": department, "request": "Help"}
        )
        assert answer.status_code == 422, department
    by_sales = sales.post(
        f"/tasks/{task['id']}/subtasks", json={"department": "technical", "request": "Help"}
    )
    assert by_sales.status_code == 403
    assert (
        quality.post(
            "/tasks/999999/subtasks", json={"department": "technical", "request": "Help"}
        ).status_code
        == 404
    )


def _ask(quality, task_id: int, department: str, request: str) -> dict:
    asked = quality.post(
        f"/tasks/{task_id}/subtasks", json={"department": department, "request": request}
    )
    assert asked.status_code == 201, asked.text
    return asked.json()


def _quality_task(quality, reference: str) -> dict:
    return next(t for t in quality.record(reference)["tasks"] if t["kind"] == "quality_assessment")


def test_quality_returns_its_result_only_once_every_subtask_is_answered_or_cancelled(as_user):
    sales, quality, technical = as_user("sales"), as_user("quality"), as_user("technical")
    reference, task = _claimed_quality_task(sales, quality)
    bench = _ask(quality, task["id"], "technical", "Bench-test the seal at 6 bar.")
    supplier = _ask(quality, task["id"], "technical", "Ask the supplier for the batch.")

    actions = _quality_task(quality, reference)["available_actions"]
    assert "return_result" not in actions
    assert "cancel_subtask" in actions
    refused = quality.post(f"/tasks/{task['id']}/complete", json=quality_result())
    assert refused.status_code == 409
    detail = refused.json()["detail"]
    assert f"{bench['id']}, {supplier['id']}" in detail
    assert "cancel" in detail

    answer = {"kind": "subtask_answer", "answer": "Fails at 5.5 bar."}
    assert technical.post(f"/tasks/{bench['id']}/complete", json=answer).status_code == 200
    still = quality.post(f"/tasks/{task['id']}/complete", json=quality_result())
    assert still.status_code == 409
    assert str(supplier["id"]) in still.json()["detail"]
    assert str(bench["id"]) not in still.json()["detail"]

    reason = {"reason": "The bench test already names the seal batch."}
    cancelled = quality.post(f"/tasks/{task['id']}/subtasks/{supplier['id']}/cancel", json=reason)
    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["status"] == "cancelled"
    assert cancelled.json()["result"]["cancelled_because"] == reason["reason"]
    assert technical.get("/tasks").json()["items"] == []  # gone from the department's queue
    with read_session() as session:
        clock = session.exec(select(Deadline).where(Deadline.task_id == supplier["id"])).one()
    assert clock.met_at is not None  # its clock stopped: no reminder, no escalation

    record = quality.record(reference)
    entry = next(h for h in record["history"] if h["action"] == "subtask_cancelled")
    assert entry["actor"] == "quality"
    assert entry["reason"] == reason["reason"]
    assert entry["changes"]["task_id"] == supplier["id"]
    actions = _quality_task(quality, reference)["available_actions"]
    assert "return_result" in actions
    assert "cancel_subtask" not in actions
    done = quality.post(f"/tasks/{task['id']}/complete", json=quality_result())
    assert done.status_code == 200, done.text


def test_a_subtask_is_cancelled_only_by_quality_with_a_reason_and_only_while_open(as_user):
    sales, quality, technical = as_user("sales"), as_user("quality"), as_user("technical")
    _, task = _claimed_quality_task(sales, quality)
    bench = _ask(quality, task["id"], "technical", "Bench-test the seal at 6 bar.")
    drawing = _ask(quality, task["id"], "technical", "Check the drawing.")
    cancel = f"/tasks/{task['id']}/subtasks/{bench['id']}/cancel"
    reason = {"reason": "Not needed any more."}

    assert technical.post(cancel, json=reason).status_code == 403
    assert sales.post(cancel, json=reason).status_code == 403
    for body in ({}, {"reason": ""}, {"reason": "no"}, {"reason": "x" * 2001}):
        assert quality.post(cancel, json=body).status_code == 422, body
    unknown = quality.post(f"/tasks/{task['id']}/subtasks/999999/cancel", json=reason)
    assert unknown.status_code == 404
    assert "no sub-task 999999" in unknown.json()["detail"]
    other_parent = quality.post(f"/tasks/999999/subtasks/{bench['id']}/cancel", json=reason)
    assert other_parent.status_code == 404

    answer = {"kind": "subtask_answer", "answer": "The drawing is right."}
    assert technical.post(f"/tasks/{drawing['id']}/complete", json=answer).status_code == 200
    answered = quality.post(f"/tasks/{task['id']}/subtasks/{drawing['id']}/cancel", json=reason)
    assert answered.status_code == 409
    assert "done" in answered.json()["detail"]

    assert quality.post(cancel, json=reason).status_code == 200
    again = quality.post(cancel, json=reason)
    assert again.status_code == 409  # nothing open is left to cancel
    late_answer = technical.post(f"/tasks/{bench['id']}/complete", json=answer)
    assert late_answer.status_code == 409
