"""Quality records the defect code at the first assessment and the cause code with its result,
and decides the severity: a change re-times the running clocks on the business calendar; a
complaint made critical gets its containment clock and the general manager is told, once."""

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlmodel import col, select

from models.notification import NoticeKind, Notification
from tests.support import drain_outbox, first_assessment, freeze_at, quality_result
from workflow.db import read_session

BERLIN = ZoneInfo("Europe/Berlin")


def berlin(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=BERLIN)


def _due(record: dict, step: str) -> datetime:
    (clock,) = [d for d in record["deadlines"] if d["step"] == step]
    return datetime.fromisoformat(clock["due_at"])


def _business(start: datetime, hours: float) -> datetime:
    from workflow.calendar import company_calendar

    return company_calendar().add_hours(start, hours, business_time=True)


def _critical_alerts(reference: str) -> list[Notification]:
    with read_session() as session:
        return list(
            session.exec(
                select(Notification)
                .where(Notification.kind == NoticeKind.critical_alert)
                .where(col(Notification.subject).contains(reference))
                .order_by(col(Notification.id))
            )
        )


def _routed(sales, quality, **complaint) -> tuple[str, int]:
    reference = sales.log_complaint(**complaint)["reference"]
    drain_outbox()
    return reference, quality.open_task(reference, "quality_assessment")["id"]


def test_raised_to_critical_at_assessment_clocks_are_retimed_containment_starts_gm_told_once(
    as_user,
):
    sales, quality = as_user("sales"), as_user("quality")
    freeze_at(berlin(23, 9))  # Monday 09:00
    reference, task_id = _routed(sales, quality, severity="major")
    before = quality.record(reference)
    assert _due(before, "quality_result") == _business(berlin(23, 9), 9 * 9)  # major: 9 days
    assert "containment" not in {d["step"] for d in before["deadlines"]}
    assert _critical_alerts(reference) == []

    freeze_at(berlin(23, 10))
    answer = quality.post(
        f"/tasks/{task_id}/assessment", json=first_assessment(severity="critical")
    )
    assert answer.status_code == 200, answer.text

    record = quality.record(reference)
    assert record["severity"] == "critical"
    # Same start (receipt, Monday 09:00), the critical policy's business hours: 18 h for
    # quality's result, 27 h for the reply (business days 08:00-17:00).
    assert _due(record, "quality_result") == berlin(25, 9)
    assert _due(record, "customer_reply") == berlin(26, 9)
    assert _due(record, "containment") == berlin(24, 10)  # 24 wall-clock hours from now
    assert datetime.fromisoformat(record["due_at"]) == berlin(25, 9)
    assert datetime.fromisoformat(record["reply_due_at"]) == berlin(26, 9)
    (task,) = [t for t in record["tasks"] if t["id"] == task_id]
    assert datetime.fromisoformat(task["due_at"]) == berlin(25, 9)
    met = [d for d in record["deadlines"] if d["met_at"]]
    assert {d["step"] for d in met} == {"acknowledgement", "first_assessment"}

    (entry,) = [h for h in record["history"] if h["action"] == "severity_changed"]
    assert (entry["changes"]["old"], entry["changes"]["new"]) == ("major", "critical")
    assert {r["step"] for r in entry["changes"]["retimed"]} == {"quality_result", "customer_reply"}
    assert entry["changes"]["general_manager_alerted"] is True
    assert entry["actor"] == "quality"

    alerts = _critical_alerts(reference)  # queued in the same commit: the relay sends it at once
    assert [n.recipient for n in alerts] == ["gm@example.com"]

    freeze_at(berlin(23, 11))
    done = quality.post(f"/tasks/{task_id}/complete", json=quality_result(severity="critical"))
    assert done.status_code == 200, done.text
    assert len(_critical_alerts(reference)) == 1
    history = [h["action"] for h in quality.record(reference)["history"]]
    assert history.count("severity_changed") == 1


def test_a_complaint_logged_critical_is_not_alerted_again_when_raised_back_at_the_result(as_user):
    sales, quality = as_user("sales"), as_user("quality")
    freeze_at(berlin(23, 9))
    reference, task_id = _routed(sales, quality, severity="critical")
    assert len(_critical_alerts(reference)) == 1  # at intake

    lowered = quality.post(f"/tasks/{task_id}/assessment", json=first_assessment(severity="minor"))
    assert lowered.status_code == 200, lowered.text
    record = quality.record(reference)
    assert _due(record, "quality_result") == _business(berlin(23, 9), 19 * 9)  # minor
    assert _due(record, "customer_reply") == _business(berlin(23, 9), 20 * 9)
    assert _due(record, "containment") == berlin(24, 9)  # met or not, a clock is kept as it was

    freeze_at(berlin(23, 10))
    raised = quality.post(f"/tasks/{task_id}/complete", json=quality_result(severity="critical"))
    assert raised.status_code == 200, raised.text
    changes = [
        h["changes"]
        for h in quality.record(reference)["history"]
        if h["action"] == "severity_changed"
    ]
    assert [(c["old"], c["new"]) for c in changes] == [("critical", "minor"), ("minor", "critical")]
    assert changes[1]["general_manager_alerted"] is False
    assert len(_critical_alerts(reference)) == 1


def test_a_lowered_severity_moves_the_due_dates_later_and_leaves_met_clocks_alone(as_user):
    sales, quality = as_user("sales"), as_user("quality")
    freeze_at(berlin(23, 9))
    reference, task_id = _routed(sales, quality, severity="major")
    freeze_at(berlin(23, 10))
    lowered = quality.post(f"/tasks/{task_id}/assessment", json=first_assessment(severity="minor"))
    assert lowered.status_code == 200
    record = quality.record(reference)
    assert _due(record, "quality_result") == _business(berlin(23, 9), 19 * 9)
    assert _due(record, "customer_reply") == _business(berlin(23, 9), 20 * 9)
    acknowledgement = next(d for d in record["deadlines"] if d["step"] == "acknowledgement")
    assert acknowledgement["hours_allowed"] == 1
    assert _critical_alerts(reference) == []


def test_codes_are_required_known_and_active_and_stored_on_the_complaint(as_user):
    sales, quality = as_user("sales"), as_user("quality")
    reference, task_id = _routed(sales, quality)

    missing = quality.post(
        f"/tasks/{task_id}/assessment", json={"valid": True, "investigate": True}
    )
    assert missing.status_code == 422
    assert "defect_code is required" in missing.text
    unknown = quality.post(
        f"/tasks/{task_id}/assessment", json=first_assessment(defect_code="NO-SUCH")
    )
    assert unknown.status_code == 422
    assert unknown.json()["detail"][0]["loc"] == ["body", "defect_code"]
    retired = quality.post(
        "/codes/defects", json={"code": "LK-OLD", "family": "leak", "label": "x"}
    )
    quality.patch(f"/codes/defects/{retired.json()['id']}", json={"active": False})
    inactive = quality.post(
        f"/tasks/{task_id}/assessment", json=first_assessment(defect_code="LK-OLD")
    )
    assert inactive.status_code == 422
    assert "no longer in use" in inactive.text
    not_valid = quality.post(
        f"/tasks/{task_id}/assessment",
        json={"valid": False, "investigate": False, "no_investigation_reason": "Misuse."},
    )
    assert not_valid.status_code == 200  # no defect code needed for a complaint not valid

    no_defect = quality.post(f"/tasks/{task_id}/complete", json=quality_result(defect_code=None))
    assert no_defect.status_code == 422
    assert no_defect.json()["detail"][0]["loc"] == ["body", "defect_code"]
    no_cause = quality.post(f"/tasks/{task_id}/complete", json=quality_result(cause_code=None))
    assert no_cause.status_code == 422
    bad_cause = quality.post(f"/tasks/{task_id}/complete", json=quality_result(cause_code="X"))
    assert bad_cause.status_code == 422
    assert bad_cause.json()["detail"][0]["loc"] == ["body", "cause_code"]
    assert quality.record(reference)["status"] == "with_quality"  # nothing was saved

    done = quality.post(
        f"/tasks/{task_id}/complete",
        json=quality_result(defect_code="FP-FLOW", cause_code="MAC-WEAR"),
    )
    assert done.status_code == 200, done.text
    record = quality.record(reference)
    assert record["defect_code"] == {
        "code": "FP-FLOW", "label": "Flow or pressure below specification",
        "group": "function and performance",
    }  # fmt: skip
    assert record["cause_code"] == {
        "code": "MAC-WEAR", "label": "Worn tool or fixture", "group": "machine"
    }  # fmt: skip
    (returned,) = [h for h in record["history"] if h["action"] == "return_result"]
    assert (returned["changes"]["defect_code"], returned["changes"]["cause_code"]) == (
        "FP-FLOW",
        "MAC-WEAR",
    )


def test_the_defect_code_of_the_assessment_is_kept_when_the_result_names_none(as_user):
    sales, quality = as_user("sales"), as_user("quality")
    reference, task_id = _routed(sales, quality)
    assessed = quality.post(
        f"/tasks/{task_id}/assessment", json=first_assessment(defect_code="DM-TOL")
    )
    assert assessed.status_code == 200, assessed.text
    assert quality.record(reference)["defect_code"]["code"] == "DM-TOL"
    history = quality.record(reference)["history"]
    entry = next(h for h in history if h["action"] == "first_assessment_recorded")
    assert entry["changes"]["defect_code"] == "DM-TOL"
    done = quality.post(f"/tasks/{task_id}/complete", json=quality_result(defect_code=None))
    assert done.status_code == 200, done.text
    assert quality.record(reference)["defect_code"]["code"] == "DM-TOL"


def test_the_deadline_report_groups_complaints_by_defect_and_by_cause_code(as_user):
    sales, quality, manager = as_user("sales"), as_user("quality"), as_user("manager")
    coded = {"LK-SEAL": "MAT-BTCH", "EL-MOTR": "MAN-ERR"}
    for defect, cause in coded.items():
        _, task_id = _routed(sales, quality)
        body = quality_result(defect_code=defect, cause_code=cause)
        assert quality.post(f"/tasks/{task_id}/complete", json=body).status_code == 200
    sales.log_complaint()  # not assessed yet
    for group_by, expected in (
        ("defect_code", {"LK-SEAL (leak)", "EL-MOTR (electrical)", "(no code yet)"}),
        ("cause_code", {"MAT-BTCH (material)", "MAN-ERR (man)", "(no code yet)"}),
    ):
        rows = manager.get("/reports/deadlines", params={"group_by": group_by})
        assert rows.status_code == 200, rows.text
        assert {r["group"]: r["complaints"] for r in rows.json()} == dict.fromkeys(expected, 1)
