"""Quality asks another department for a finding: a sub-task in that department's queue."""

from tests.support import drain_outbox


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
