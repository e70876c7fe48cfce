"""Deadlines on the business calendar, reminders, escalation to the general manager, pauses,
the digest and the report, on a controlled clock with real sweeps through Prefect."""

import asyncio
import signal
import time
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import col, select

from models.notification import NoticeKind, NoticeStatus, Notification
from tests.faults import start_relay
from tests.support import drain_outbox, freeze_at, mail_body, quality_result, sweep, wait_for
from workflow.db import read_session
from workflow.sweep import due_clocks, process_clock, process_clocks

BERLIN = ZoneInfo("Europe/Berlin")


def berlin(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=BERLIN)


def notices(kind: NoticeKind) -> list[Notification]:
    with read_session() as session:
        return list(
            session.exec(
                select(Notification).where(Notification.kind == kind).order_by(col(Notification.id))
            )
        )


def clock(record: dict, step: str) -> dict:
    (found,) = [d for d in record["deadlines"] if d["step"] == step]
    return found


def test_a_complaint_logged_on_friday_evening_is_not_late_on_saturday(as_user, mailbox):
    sales, manager = as_user("sales"), as_user("manager")
    freeze_at(berlin(2026, 11, 20, 16, 55))
    reference = sales.log_complaint(severity="minor")["reference"]
    record = sales.record(reference)
    ack = clock(record, "acknowledgement")
    assert datetime.fromisoformat(ack["due_at"]) == berlin(2026, 11, 23, 8, 55)

    freeze_at(berlin(2026, 11, 21, 12, 0))
    assert manager.get("/overdue").json() == []
    assert sweep().clocks == 0

    freeze_at(berlin(2026, 11, 23, 9, 25))
    late = manager.get("/overdue").json()
    assert [(i["reference"], i["step"]) for i in late] == [(reference, "acknowledgement")]
    assert late[0]["late_hours"] == 0.5
    sweep()
    escalations = notices(NoticeKind.escalation)
    assert [(n.recipient, n.subject.split(":")[0]) for n in escalations] == [
        ("sales@example.com", "OVERDUE (level 1)")
    ]


def test_an_untouched_complaint_climbs_every_level_to_the_general_manager(as_user, mailbox):
    sales = as_user("sales")
    freeze_at(berlin(2026, 11, 23, 9, 0))
    reference = sales.log_complaint(severity="major")["reference"]
    drain_outbox()

    freeze_at(berlin(2026, 11, 23, 16, 0))  # 7 of 9 business hours used: past 75 %
    sweep()
    sweep()  # the same minute again: nothing twice
    reminders = notices(NoticeKind.reminder)
    assert [(n.recipient, n.subject) for n in reminders] == [
        (
            "quality@example.com",
            f"Reminder: Quality's first assessment for {reference} due 2026-11-24 08:00 UTC",
        )
    ]

    chain = [
        (berlin(2026, 11, 24, 9, 30), "quality@example.com"),  # due 09:00: the department
        (berlin(2026, 11, 24, 13, 30), "manager@example.com"),  # head of quality
        (berlin(2026, 11, 25, 8, 30), "manager@example.com"),  # quality manager
        (berlin(2026, 11, 25, 12, 30), "gm@example.com"),  # general manager
    ]
    for level, (moment, recipient) in enumerate(chain, start=1):
        freeze_at(moment)
        sweep()
        sweep()
        escalations = notices(NoticeKind.escalation)
        assert len(escalations) == level
        assert escalations[-1].recipient == recipient
        assert escalations[-1].subject.startswith(f"OVERDUE (level {level}): Quality's first")
    freeze_at(berlin(2026, 11, 27, 12, 0))
    sweep()
    assert len(notices(NoticeKind.escalation)) == 4
    drain_outbox()  # the relay sends what the sweeps queued

    record = sales.record(reference)
    escalated = [h for h in record["history"] if h["action"] == "escalated"]
    assert [(h["changes"]["level"], h["changes"]["to"]) for h in escalated] == [
        (1, ["quality@example.com"]),
        (2, ["manager@example.com"]),
        (3, ["manager@example.com"]),
        (4, ["gm@example.com"]),
    ]
    assert all(h["actor"] == "flow:sweep-deadlines" for h in escalated)
    assert clock(record, "first_assessment")["escalation_level"] == 4
    sent = {n["kind"]: n["status"] for n in record["notifications"]}
    assert sent["escalation"] == "sent"
    gm_mail = [m for m in mailbox.snapshot() if m["To"] == "gm@example.com"]
    assert len(gm_mail) == 1


def test_the_clock_stops_while_waiting_on_the_customer(as_user):
    sales, quality, manager = as_user("sales"), as_user("quality"), as_user("manager")
    freeze_at(berlin(2026, 11, 23, 9, 0))
    reference = sales.log_complaint(severity="major")["reference"]
    drain_outbox()
    task_due = datetime.fromisoformat(quality.open_task(reference, "quality_assessment")["due_at"])

    freeze_at(berlin(2026, 11, 23, 10, 0))
    waiting = quality.post(
        f"/complaints/{reference}/wait-for-customer", json={"reason": "Asked for photos."}
    )
    assert waiting.status_code == 200, waiting.text
    assert waiting.json()["status"] == "waiting_on_customer"
    assert all(d["paused"] for d in waiting.json()["deadlines"] if d["met_at"] is None)

    freeze_at(berlin(2026, 11, 25, 10, 0))  # two business days later
    assert sweep().clocks == 0
    assert manager.get("/overdue").json() == []
    answered = sales.post(
        f"/complaints/{reference}/customer-answered", json={"note": "Photos arrived."}
    )
    assert answered.status_code == 200, answered.text
    record = answered.json()
    assert record["status"] == "with_quality"
    assessment = clock(record, "first_assessment")
    assert assessment["paused_hours"] == 18.0
    assert assessment["hours_used"] == 1.0
    assert datetime.fromisoformat(assessment["due_at"]) == berlin(2026, 11, 26, 9, 0)
    task = quality.open_task(reference, "quality_assessment")
    assert datetime.fromisoformat(task["due_at"]) > task_due
    resumed = [h for h in record["history"] if h["action"] == "clocks_resumed"]
    assert resumed[0]["changes"]["paused_hours"] == 18.0
    again = sales.post(f"/complaints/{reference}/customer-answered", json={"note": "Twice?"})
    assert again.status_code == 409


def test_a_sweep_that_died_halfway_is_rerun_without_repeats_or_misses(as_user, mailbox):
    sales = as_user("sales")
    freeze_at(berlin(2026, 11, 23, 9, 0))
    references = [sales.log_complaint(severity="major")["reference"] for _ in range(4)]
    drain_outbox()
    freeze_at(berlin(2026, 11, 23, 16, 0))
    due = due_clocks(100)
    assert sorted(c.reference for c in due) == sorted(references)
    for clock_ in due[:2]:  # a sweep that committed two clocks, then died before sending
        process_clock(clock_.id)
    sweep()
    sweep()
    drain_outbox()  # the relay sends what the dead sweep had queued
    reminders = notices(NoticeKind.reminder)
    assert len(reminders) == 4
    assert {n.status for n in reminders} == {"sent"}
    reminder_mails = [m for m in mailbox.snapshot() if m["Subject"].startswith("Reminder")]
    assert sorted(m["X-Notice-Id"] for m in reminder_mails) == sorted(str(n.id) for n in reminders)


def test_a_clock_that_cannot_be_handled_holds_up_none_of_the_others_in_its_chunk(
    as_user, monkeypatch
):
    from workflow import sweep as sweep_module

    sales = as_user("sales")
    freeze_at(berlin(2026, 11, 23, 9, 0))
    for _ in range(4):
        sales.log_complaint(severity="major")
    drain_outbox()
    freeze_at(berlin(2026, 11, 23, 16, 0))
    due = due_clocks(100)
    assert len(due) == 4
    broken = due[1]
    real_context = sweep_module._context

    def context_failing_for_one(session, complaint, clock, now):  # a fault inside one clock
        if clock.id == broken.id:
            raise RuntimeError("cannot render this reminder")
        return real_context(session, complaint, clock, now)

    monkeypatch.setattr(sweep_module, "_context", context_failing_for_one)
    with pytest.raises(RuntimeError, match="cannot render"):
        process_clocks([c.id for c in due])
    reminded = {n.dedupe_key.split("-")[1] for n in notices(NoticeKind.reminder)}
    assert reminded == {str(c.id) for c in due if c.id != broken.id}
    assert [c.id for c in due_clocks(100)] == [broken.id]  # tried again by the next sweep
    monkeypatch.setattr(sweep_module, "_context", real_context)
    assert len(process_clocks([broken.id])) >= 1
    assert due_clocks(100) == []


def test_the_sweep_only_queues_a_reminder_and_the_relay_sends_it_once_when_it_starts(
    as_user, mailbox
):
    sales = as_user("sales")
    freeze_at(berlin(2026, 11, 23, 9, 0))
    reference = sales.log_complaint(severity="major")["reference"]
    drain_outbox()
    freeze_at(berlin(2026, 11, 23, 16, 0))  # past 75 % of the first assessment's time

    report = sweep()  # no relay is running
    (reminder,) = notices(NoticeKind.reminder)
    assert reminder.status == NoticeStatus.pending
    assert reference in reminder.subject
    assert (report.clocks, report.notices_queued) == (1, 1)

    def reminder_mails() -> list:
        return [m for m in mailbox.snapshot() if m["Subject"].startswith("Reminder")]

    assert reminder_mails() == []
    relay = start_relay()
    try:
        wait_for(reminder_mails, timeout=120)
        time.sleep(3.0)  # several more polling rounds: nothing may be sent twice
    finally:
        relay.send_signal(signal.SIGTERM)
        relay.wait(timeout=30)
    assert [m["X-Notice-Id"] for m in reminder_mails()] == [str(reminder.id)]
    (reminder,) = notices(NoticeKind.reminder)
    assert (reminder.status, reminder.attempts) == (NoticeStatus.sent, 1)


def test_the_digest_lists_what_is_late_and_what_falls_due_once_a_day(as_user, mailbox):
    from flows.send_digests import send_digests

    sales = as_user("sales")
    freeze_at(berlin(2026, 11, 23, 9, 0))
    late = sales.log_complaint(severity="major", product="Gearbox G-7")["reference"]
    freeze_at(berlin(2026, 11, 24, 9, 30))
    soon = sales.log_complaint(severity="major", product="Valve V-3")["reference"]
    drain_outbox()
    freeze_at(berlin(2026, 11, 24, 10, 0))
    assert asyncio.run(send_digests()) == 2  # the quality manager and the general manager
    assert asyncio.run(send_digests()) == 0
    digests = {m["To"]: m for m in mailbox.snapshot() if m["Subject"].startswith("Daily digest")}
    assert set(digests) == {"manager@example.com", "gm@example.com"}
    assert digests["manager@example.com"]["Subject"] == (
        "Daily digest 2026-11-24: 1 overdue, 1 due within a business day"
    )
    body = mail_body(digests["manager@example.com"])
    assert body.index(late) < body.index("Due within the next business day") < body.index(soon)
    assert "Gearbox G-7" in body


def test_no_digest_for_a_manager_who_switched_it_off(as_user, mailbox):
    from flows.send_digests import send_digests

    gm = as_user("gm")
    assert gm.patch("/auth/me", json={"digest_enabled": False}).json()["digest_enabled"] is False
    freeze_at(berlin(2026, 11, 23, 9, 0))
    as_user("sales").log_complaint()
    drain_outbox()
    freeze_at(berlin(2026, 11, 24, 10, 0))
    asyncio.run(send_digests())
    assert [m["To"] for m in mailbox.snapshot() if "digest" in m["Subject"]] == [
        "manager@example.com"
    ]


def test_policy_changes_apply_to_new_steps_and_are_kept(as_user):
    sales, admin = as_user("sales"), as_user("admin")
    freeze_at(berlin(2026, 11, 23, 9, 0))
    before = sales.log_complaint()["reference"]
    change = {"step": "acknowledgement", "hours": 2, "reason": "Phone lines are busy."}
    assert sales.put("/policies", json=change).status_code == 403
    assert admin.put("/policies", json=change).status_code == 200
    after = sales.log_complaint()["reference"]
    assert clock(sales.record(before), "acknowledgement")["hours_allowed"] == 1
    assert clock(sales.record(after), "acknowledgement")["hours_allowed"] == 2
    policies = {(p["step"], p["kind"], p["severity"]): p for p in sales.get("/policies").json()}
    assert policies[("acknowledgement", None, None)]["source"].startswith("override by admin")
    assert admin.put("/policies", json={**change, "hours": 3}).status_code == 200
    history = as_user("manager").get("/policies/history").json()
    assert [(h["hours"], h["superseded_at"] is not None) for h in history] == [
        (2, True),
        (3, False),
    ]


def test_report_figures_match_a_hand_count(as_user):
    sales, quality, manager = as_user("sales"), as_user("quality"), as_user("manager")
    freeze_at(berlin(2026, 11, 23, 9, 0))
    major = sales.log_complaint(severity="major")["reference"]
    critical = sales.log_complaint(severity="critical")["reference"]
    freeze_at(berlin(2026, 11, 23, 9, 30))
    drain_outbox()  # both acknowledged after 0.5 h
    task_major = quality.open_task(major, "quality_assessment")["id"]
    task_critical = quality.open_task(critical, "quality_assessment")["id"]
    freeze_at(berlin(2026, 11, 23, 12, 0))
    assert (
        quality.post(
            f"/tasks/{task_critical}/containment", json={"containment": "Stock blocked."}
        ).status_code
        == 200
    )
    freeze_at(berlin(2026, 11, 23, 13, 0))
    assessment = {"valid": True, "investigate": True, "defect_code": "LK-SEAL"}
    assert quality.post(f"/tasks/{task_major}/assessment", json=assessment).status_code == 200
    freeze_at(berlin(2026, 11, 23, 14, 0))
    quality.post(f"/tasks/{task_major}/complete", json=quality_result())
    drain_outbox()
    freeze_at(berlin(2026, 11, 23, 15, 0))
    sales.log_complaint(severity="minor")
    freeze_at(berlin(2026, 11, 23, 16, 0))
    review = sales.open_task(major, "sales_review")["id"]
    sales.post(f"/tasks/{review}/complete", json={"kind": "sales_review", "approved": True})
    # the relay is down until Tuesday 09:00: the minor complaint is acknowledged after 3 h,
    # the approved complaint resolved after 9 business hours
    freeze_at(berlin(2026, 11, 24, 9, 0))
    drain_outbox()
    freeze_at(berlin(2026, 11, 24, 11, 0))
    assert quality.post(f"/tasks/{task_critical}/assessment", json=assessment).status_code == 200

    freeze_at(berlin(2026, 11, 24, 12, 0))
    period = {"from": "2026-11-23", "to": "2026-11-24"}
    rows = manager.get("/reports/deadlines", params={**period, "group_by": "severity"})
    assert rows.status_code == 200, rows.text
    by_severity = {r["group"]: r for r in rows.json()}
    major_row = by_severity["major"]
    # acknowledgement, first assessment, investigation, sales review, reply: all on time
    assert (major_row["steps_done"], major_row["steps_on_time"]) == (5, 5)
    assert major_row["first_assessment_median_hours"] == 4.0
    assert major_row["resolution_median_hours"] == 9.0
    assert major_row["open_0_2_days"] == 0
    critical_row = by_severity["critical"]
    # acknowledgement and containment on time; first assessment after 11 h of 9: late
    assert (critical_row["steps_done"], critical_row["steps_on_time"]) == (3, 2)
    assert critical_row["on_time_share"] == 0.6667
    assert critical_row["first_assessment_median_hours"] == 11.0
    assert critical_row["open_0_2_days"] == 1
    assert critical_row["open_tasks"] == 1
    minor_row = by_severity["minor"]
    assert (minor_row["steps_done"], minor_row["steps_on_time"]) == (1, 0)
    assert minor_row["acknowledge_median_hours"] == 3.0

    sales_row = {
        r["group"]: r
        for r in manager.get(
            "/reports/deadlines", params={**period, "group_by": "department"}
        ).json()
    }["sales"]
    assert sales_row["acknowledge_median_hours"] == 0.5  # of 0.5, 0.5 and 3
    assert sales_row["acknowledge_p90_hours"] == 3.0  # nearest rank: the 3rd of 3

    as_csv = manager.get(
        "/reports/deadlines",
        params={**period, "group_by": "severity"},
        headers={"Accept": "text/csv"},
    )
    assert as_csv.headers["content-type"].startswith("text/csv")
    lines = as_csv.text.strip().splitlines()
    assert lines[0].startswith("group,complaints,steps_done,steps_on_time,on_time_share")
    assert lines[2].startswith("major,1,5,5,1.0,")
    assert sales.get("/reports/deadlines", params=period).status_code == 403


def test_the_sweep_finds_due_clocks_by_index_not_by_scanning(settings):
    from sqlalchemy import text

    from workflow.db import get_engine

    engine = get_engine()
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            plan = conn.execute(
                text(
                    "EXPLAIN QUERY PLAN SELECT id FROM deadline WHERE next_check_at <= :now "
                    "ORDER BY next_check_at LIMIT 100"
                ),
                {"now": "2026-11-24 00:00:00"},
            ).all()
            detail = " ".join(str(row[-1]) for row in plan)
            assert "SEARCH deadline USING" in detail, detail
            assert "INDEX ix_deadline_next_check_at" in detail, detail
        else:
            conn.execute(text("SET enable_seqscan = off"))
            plan = conn.execute(
                text(
                    "EXPLAIN SELECT id FROM deadline WHERE next_check_at <= now() "
                    "ORDER BY next_check_at LIMIT 100"
                )
            ).all()
            assert "ix_deadline_next_check_at" in " ".join(str(r[0]) for r in plan)


def test_policies_are_listed_and_changed_from_the_command_line(settings):
    from typer.testing import CliRunner

    from workflow.cli import app

    runner = CliRunner()
    listed = runner.invoke(app, ["policies"])
    assert listed.exit_code == 0, listed.output
    assert "containment kind=complaint severity=critical" in listed.output
    changed = runner.invoke(
        app, ["set-policy", "sales_review", "4.5", "--reason", "Sales reviews within half a day"]
    )
    assert changed.exit_code == 0, changed.output
    listed = runner.invoke(app, ["policies"])
    (line,) = [row for row in listed.output.splitlines() if row.startswith("sales_review")]
    assert "4.5 business h" in line
    assert "override by admin" in line
    refused = runner.invoke(app, ["set-policy", "sales_review", "0", "--reason", "nope"])
    assert refused.exit_code == 1
    assert "policy not changed" in refused.output


def test_clock_jumps_fire_each_reminder_and_escalation_once(as_user):
    freeze_at(berlin(2026, 11, 23, 9, 0))
    as_user("sales").log_complaint(severity="major")
    drain_outbox()
    freeze_at(berlin(2026, 11, 25, 9, 0))  # two days forward: first assessment is late
    sweep()
    freeze_at(berlin(2026, 11, 25, 8, 0))  # an hour back
    sweep()
    sweep()
    freeze_at(berlin(2026, 11, 25, 9, 0))
    sweep()
    escalations = notices(NoticeKind.escalation)
    assert [n.subject.split(":")[0] for n in escalations] == ["OVERDUE (level 1)"]
    assert notices(NoticeKind.reminder) == []  # late already: no reminder after the fact
    freeze_at(berlin(2026, 11, 25, 13, 0))  # the next level's wait has passed
    sweep()
    freeze_at(berlin(2026, 11, 25, 12, 0))
    sweep()
    assert [n.subject.split(":")[0] for n in notices(NoticeKind.escalation)] == [
        "OVERDUE (level 1)",
        "OVERDUE (level 2)",
    ]


def test_the_deadline_report_without_a_period_covers_the_last_90_days(as_user):
    sales, manager = as_user("sales"), as_user("manager")
    freeze_at(berlin(2026, 8, 3, 10, 0))  # 118 days before the report: outside
    sales.log_complaint(severity="minor")
    freeze_at(berlin(2026, 10, 1, 10, 0))  # 59 days before: inside
    sales.log_complaint(severity="major")
    freeze_at(berlin(2026, 11, 29, 10, 0))
    answer = manager.get("/reports/deadlines", params={"group_by": "severity"})
    assert answer.status_code == 200, answer.text
    counted = {row["group"]: row["complaints"] for row in answer.json()}
    assert counted.get("major") == 1
    assert counted.get("minor", 0) == 0
    only_to = manager.get("/reports/deadlines", params={"to": "2026-08-04"})
    assert only_to.status_code == 200, only_to.text
    assert sum(row["complaints"] for row in only_to.json()) == 1


def test_a_report_day_not_written_yyyy_mm_dd_is_refused(as_user):
    manager = as_user("manager")
    for bad in ("0", "20261101", "2026-1-1", "yesterday"):
        answer = manager.get("/reports/deadlines", params={"to": bad})
        assert answer.status_code == 422, (bad, answer.text)
        assert "YYYY-MM-DD" in answer.text
