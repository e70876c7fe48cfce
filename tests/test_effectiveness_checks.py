"""Effectiveness checks: scheduled on the business calendar when a round's last corrective
action closes, opened by the sweep when due (not before) with the recurrences since, decided
by quality; not effective starts a new round, effective completes the quality record, and the
customer's complaint is never reopened. Controlled clock, real sweeps through Prefect."""

from datetime import datetime

from tests.capa_support import (
    berlin,
    complete_action,
    open_action,
    production_user,
    routed_complaint,
    set_codes,
)
from tests.support import drain_outbox, freeze_at, sweep


def _check_tasks(quality, reference: str) -> list[dict]:
    tasks = quality.record(reference)["tasks"]
    return [
        t
        for t in tasks
        if t["kind"] == "effectiveness_check" and t["status"] in ("open", "claimed")
    ]


def _history(quality, reference: str, action: str) -> list[dict]:
    return [h for h in quality.record(reference)["history"] if h["action"] == action]


def test_the_check_waits_for_the_last_corrective_action_and_skips_weekends_and_holidays(
    as_user, base_url
):
    sales, quality = as_user("sales"), as_user("quality")
    petra = production_user(base_url)
    freeze_at(berlin(2026, 10, 26, 10, 0))  # a Monday; +60 days is Christmas Day, a Friday
    reference = routed_complaint(sales)
    first = open_action(quality, reference)
    second = open_action(quality, reference)
    dropped = open_action(quality, reference)
    containment = open_action(quality, reference, kind="containment")
    freeze_at(berlin(2026, 10, 26, 11, 0))
    complete_action(petra, first)
    complete_action(petra, second)
    assert quality.record(reference)["effectiveness_check"] is None  # one corrective still open
    reason = {"reason": "Covered by the supplier's own action."}
    assert quality.post(f"/actions/{dropped['id']}/cancel", json=reason).status_code == 200

    check = quality.record(reference)["effectiveness_check"]
    assert check["round"] == 1
    assert datetime.fromisoformat(check["actions_closed_at"]) == berlin(2026, 10, 26, 11, 0)
    # 25 and 26 December are holidays, 27 a Sunday: the first working moment after.
    assert datetime.fromisoformat(check["scheduled_for"]) == berlin(2026, 12, 28, 8, 0)
    assert check["task_id"] is None
    (scheduled,) = _history(quality, reference, "effectiveness_check_scheduled")
    assert scheduled["actor"] == "quality"  # the last open corrective action was cancelled
    complete_action(petra, containment)  # not corrective: no second check
    assert len(_history(quality, reference, "effectiveness_check_scheduled")) == 1
    refused = quality.post(
        f"/complaints/{reference}/actions",
        json={"kind": "corrective", "description": "One more.", "owner_department": "quality"},
    )
    assert refused.status_code == 409  # the round is closed: its check judges it
    assert "effectiveness check" in refused.json()["detail"]


def test_the_sweep_opens_a_due_check_with_the_recurrences_and_both_verdicts_work(
    as_user, base_url, mailbox
):
    sales, quality, technical = as_user("sales"), as_user("quality"), as_user("technical")
    petra = production_user(base_url)
    freeze_at(berlin(2026, 9, 1, 9, 0))
    earlier = routed_complaint(sales, description="Seal leaks (an earlier case).")
    freeze_at(berlin(2026, 9, 2, 9, 0))  # a Wednesday
    reference = routed_complaint(sales)
    action = open_action(quality, reference)
    complete_action(petra, action)
    due = datetime.fromisoformat(quality.record(reference)["effectiveness_check"]["scheduled_for"])
    assert due == berlin(2026, 11, 2, 8, 0)  # 1 November, +60 days, is a Sunday
    freeze_at(berlin(2026, 10, 1, 9, 0))
    recurrence = routed_complaint(sales, description="Seal leaks again.")
    other_defect = routed_complaint(sales, description="Housing cracked.")
    set_codes([earlier, reference, recurrence], "P-200", "SEAL-LEAK")
    set_codes([other_defect], "P-200", "HOUSING-CRACK")

    freeze_at(berlin(2026, 11, 2, 7, 59))
    assert sweep().checks_opened == 0
    assert _check_tasks(quality, reference) == []
    freeze_at(berlin(2026, 11, 2, 8, 0))
    mailbox.messages.clear()
    assert sweep().checks_opened == 1
    assert sweep().checks_opened == 0  # once
    drain_outbox()  # the relay sends what the sweep queued
    (task,) = _check_tasks(quality, reference)
    assert task["department"] == "quality"
    queue = [t["id"] for t in quality.get("/tasks").json()["items"]]
    assert task["id"] in queue
    check = quality.record(reference)["effectiveness_check"]
    assert check["task_id"] == task["id"]
    assert check["recurrences"] == [recurrence]
    (opened,) = _history(quality, reference, "effectiveness_check_opened")
    assert opened["changes"]["recurrences"] == [recurrence]
    told = [m for m in mailbox.snapshot() if m["To"] == "quality@example.com"]
    assert any(reference in m["Subject"] for m in told)

    status_before = quality.record(reference)["status"]
    verdict = {"kind": "effectiveness", "verdict": "not_effective", "reasoning": "It leaks again."}
    assert technical.post(f"/tasks/{task['id']}/complete", json=verdict).status_code == 403
    assert sales.post(f"/tasks/{task['id']}/complete", json=verdict).status_code == 403
    no_reason = {**verdict, "reasoning": ""}
    assert quality.post(f"/tasks/{task['id']}/complete", json=no_reason).status_code == 422
    answer = quality.post(f"/tasks/{task['id']}/complete", json=verdict)
    assert answer.status_code == 200, answer.text
    record = quality.record(reference)
    assert record["status"] == status_before  # the customer's complaint is not reopened
    assert record["effectiveness_check"]["verdict"] == "not_effective"
    assert record["quality_record_complete_at"] is None
    (recorded,) = _history(quality, reference, "effectiveness_recorded")
    assert recorded["changes"]["next_round"] == 2
    assert recorded["reason"] == "It leaks again."

    freeze_at(berlin(2026, 11, 3, 9, 0))
    again = open_action(quality, reference, description="Change the seal supplier.")
    assert again["round"] == 2
    complete_action(petra, again)
    check = quality.record(reference)["effectiveness_check"]
    assert (check["round"], check["verdict"]) == (2, None)
    assert datetime.fromisoformat(check["scheduled_for"]) == berlin(2027, 1, 4, 8, 0)

    freeze_at(berlin(2027, 1, 4, 8, 30))
    assert sweep().checks_opened == 1
    (task,) = _check_tasks(quality, reference)
    effective = {"kind": "effectiveness", "verdict": "effective", "reasoning": "No leak since."}
    answer = quality.post(f"/tasks/{task['id']}/complete", json=effective)
    assert answer.status_code == 200, answer.text
    record = quality.record(reference)
    assert record["quality_record_complete_at"] is not None
    assert record["status"] == status_before
    assert [a["round"] for a in record["actions"]] == [1, 2]
    (completed,) = _history(quality, reference, "quality_record_completed")
    assert completed["reason"] == "round 2 effective"
    again = quality.post(f"/tasks/{task['id']}/complete", json=effective)
    assert again.status_code == 409
