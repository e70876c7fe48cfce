"""Silent resolved complaints close by themselves; every closed complaint asks its customer
once for a rating, taken on the status page; the satisfaction report counts them. Real HTTP,
real sweeps and delivery through Prefect, mail caught by the SMTP server."""

import asyncio
import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from models.complaint import Complaint
from tests.support import Api, drain_outbox, freeze_at, mail_body, quality_result, sweep
from tests.test_web_pages import Browser
from workflow.db import read_session

BERLIN = ZoneInfo("Europe/Berlin")
CUSTOMER = "jane@acme.example"
QUALITY_MANAGER = "manager@example.com"


def berlin(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=BERLIN)


def resolve(sales: Api, quality: Api, **complaint: object) -> str:
    """Log a complaint and take it through quality and sales review to resolved."""
    reference = sales.log_complaint(**complaint)["reference"]
    drain_outbox()
    task = quality.open_task(reference, "quality_assessment")
    assert quality.post(f"/tasks/{task['id']}/complete", json=quality_result()).status_code == 200
    drain_outbox()
    review = sales.open_task(reference, "sales_review")
    approved = sales.post(
        f"/tasks/{review['id']}/complete", json={"kind": "sales_review", "approved": True}
    )
    assert approved.status_code == 200, approved.text
    drain_outbox()
    assert sales.record(reference)["status"] == "resolved"
    return reference


def answer_clock(record: dict) -> dict:
    (clock,) = [d for d in record["deadlines"] if d["step"] == "customer_acceptance"]
    return clock


def subjects_to(mailbox, address: str, reference: str) -> list[str]:
    return [
        m["Subject"] for m in mailbox.snapshot() if m["To"] == address and reference in m["Subject"]
    ]


def status_link(reference: str) -> str:
    with read_session() as session:
        complaint = session.exec(select(Complaint).where(Complaint.reference == reference)).one()
    return f"/status/{complaint.status_token}"


def rate(base_url: str, reference: str, **answer: object) -> tuple[int, str]:
    """The customer rates on their status page, through its form; the status and the page."""
    customer, link = Browser(base_url), status_link(reference)
    sent = customer.form(f"{link}/rating", {"comment": "", **answer}, page=link)
    page = customer.client.get(link).text if sent.status_code == 303 else sent.text
    return sent.status_code, page


def test_a_silent_resolved_complaint_closes_itself_after_the_policy_time_and_says_so(
    as_user, mailbox
):
    freeze_at(berlin(2026, 11, 23, 9, 0))  # a Monday
    sales, quality = as_user("sales"), as_user("quality")
    reference = resolve(sales, quality)
    clock = answer_clock(sales.record(reference))
    assert clock["hours_allowed"] == 90  # 10 business days of 9 hours
    due = datetime.fromisoformat(clock["due_at"])
    assert due == berlin(2026, 12, 7, 9, 0)  # two calendar weeks on: weekends do not count

    freeze_at(due - timedelta(minutes=1))
    sweep()
    assert sales.record(reference)["status"] == "resolved"
    assert subjects_to(mailbox, CUSTOMER, reference) == [
        f"We have received your complaint {reference}",
        f"Resolution of your complaint {reference}",
    ]

    freeze_at(due + timedelta(minutes=1))
    sweep()
    sweep()  # the same minute again: nothing twice
    drain_outbox()
    record = sales.record(reference)
    assert record["status"] == "closed"
    (closing,) = [h for h in record["history"] if h["to_status"] == "closed"]
    assert (closing["actor"], closing["action"]) == ("flow:sweep-deadlines", "close_without_answer")
    assert "closed for lack of an answer" in closing["reason"]
    assert answer_clock(record)["met_at"] is not None
    # Queued together and sent by the relay's threads side by side: in either order, as mail
    # servers never promise an order anyway.
    assert sorted(subjects_to(mailbox, CUSTOMER, reference)[2:]) == [
        f"How did we handle your complaint {reference}?",
        f"Your complaint {reference} is closed",
    ]
    closed_mail = next(m for m in mailbox.snapshot() if m["Subject"].endswith("is closed"))
    assert status_link(reference) in mail_body(closed_mail)


def test_a_customer_who_answered_is_not_closed_for_silence(as_user, mailbox):
    freeze_at(berlin(2026, 11, 23, 9, 0))
    sales, quality = as_user("sales"), as_user("quality")
    reopened = resolve(sales, quality)
    refused = sales.post(
        f"/complaints/{reopened}/customer-response",
        json={"accepted": False, "comment": "It still leaks."},
    )
    assert refused.status_code == 200, refused.text
    accepted = resolve(sales, quality)
    assert (
        sales.post(f"/complaints/{accepted}/customer-response", json={"accepted": True}).status_code
        == 200
    )
    drain_outbox()

    freeze_at(berlin(2026, 12, 21, 9, 0))  # long past the ten business days
    sweep()
    drain_outbox()
    assert sales.record(reopened)["status"] != "closed"
    for reference in (reopened, accepted):
        history = sales.record(reference)["history"]
        assert not [h for h in history if h["action"] == "close_without_answer"]
        assert not [s for s in subjects_to(mailbox, CUSTOMER, reference) if "is closed" in s]
    # Accepted: the one invitation, none for the reopened complaint.
    assert [s for s in subjects_to(mailbox, CUSTOMER, accepted) if s.startswith("How did")] == [
        f"How did we handle your complaint {accepted}?"
    ]
    assert not [s for s in subjects_to(mailbox, CUSTOMER, reopened) if s.startswith("How did")]


def test_a_rating_is_taken_once_after_closing_and_a_low_score_tells_the_quality_manager(
    as_user, base_url, mailbox
):
    sales, quality = as_user("sales"), as_user("quality")
    reference = resolve(sales, quality)
    early, _ = rate(base_url, reference, score="2", solved="no")
    assert early == 409  # not closed yet

    sales.post(f"/complaints/{reference}/customer-response", json={"accepted": True})
    status, page = rate(base_url, reference, score="2", solved="no", comment="Took too long.")
    assert status == 303
    assert "You rated how we handled it 2 out of 5, problem not solved" in page
    assert 'id="rating-form"' not in page

    again, answer = rate(base_url, reference, score="5", solved="yes")
    assert again == 409
    assert "you have rated this complaint already" in answer
    out_of_range, _ = rate(base_url, reference, score="9", solved="yes")
    assert out_of_range == 422

    record = sales.record(reference)
    (rated,) = [h for h in record["history"] if h["action"] == "rate_satisfaction"]
    assert (rated["actor"], rated["changes"]["score"], rated["changes"]["solved"]) == (
        "customer",
        2,
        False,
    )
    assert rated["changes"]["customer_comment"] == "Took too long."
    drain_outbox()
    assert subjects_to(mailbox, QUALITY_MANAGER, reference) == [
        f"Low satisfaction: 2/5 on {reference}"
    ]


def test_a_good_score_tells_nobody(as_user, base_url, mailbox):
    sales, quality = as_user("sales"), as_user("quality")
    reference = resolve(sales, quality)
    sales.post(f"/complaints/{reference}/customer-response", json={"accepted": True})
    assert rate(base_url, reference, score="4", solved="yes")[0] == 303
    drain_outbox()
    assert subjects_to(mailbox, QUALITY_MANAGER, reference) == []


def test_the_satisfaction_report_matches_a_hand_count(as_user, base_url):
    freeze_at(berlin(2026, 11, 23, 9, 0))
    sales, quality, manager = as_user("sales"), as_user("quality"), as_user("manager")
    happy = resolve(sales, quality, severity="major")
    unhappy = resolve(sales, quality, severity="minor")
    silent = resolve(sales, quality, severity="major")
    reopened = resolve(sales, quality, severity="minor")  # not closed: no invitation
    for reference in (happy, unhappy):
        sales.post(f"/complaints/{reference}/customer-response", json={"accepted": True})
    sales.post(
        f"/complaints/{reopened}/customer-response",
        json={"accepted": False, "comment": "Still leaks."},
    )
    freeze_at(berlin(2026, 12, 8, 9, 0))
    sweep()
    assert sales.record(silent)["status"] == "closed"
    assert rate(base_url, happy, score="5", solved="yes")[0] == 303
    assert rate(base_url, unhappy, score="2", solved="no")[0] == 303
    period = {"from": "2026-11-01", "to": "2027-01-01"}

    by_severity = manager.get("/reports/satisfaction", params={**period, "group_by": "severity"})
    assert by_severity.status_code == 200, by_severity.text
    assert by_severity.json() == [
        # happy (5, solved) and silent (no answer)
        {"group": "major", "invitations": 2, "responses": 1, "response_rate": 0.5,
         "average_score": 5.0, "satisfied_share": 1.0, "solved_share": 1.0},
        # unhappy (2, not solved); the reopened one is not closed
        {"group": "minor", "invitations": 1, "responses": 1, "response_rate": 1.0,
         "average_score": 2.0, "satisfied_share": 0.0, "solved_share": 0.0},
    ]  # fmt: skip
    by_department = manager.get("/reports/satisfaction", params=period).json()
    assert [
        (r["group"], r["invitations"], r["responses"], r["average_score"]) for r in by_department
    ] == [
        ("quality", 3, 2, 3.5),
        ("sales", 3, 2, 3.5),
    ]  # every complaint had a task in quality and in sales
    before = manager.get("/reports/satisfaction", params={"from": "2026-10-01", "to": "2026-11-01"})
    assert before.json() == []


@pytest.mark.parametrize("role", ["sales", "quality", "technical"])
def test_the_satisfaction_report_is_refused_to_roles_that_may_not_read_reports(as_user, role):
    answer = as_user(role).get("/reports/satisfaction")
    assert answer.status_code == 403
    assert "may not read reports" in answer.json()["detail"]


def test_the_satisfaction_report_explains_bad_parameters(as_user):
    manager = as_user("manager")
    bad_group = manager.get("/reports/satisfaction", params={"group_by": "colour"})
    assert bad_group.status_code == 422
    backwards = manager.get(
        "/reports/satisfaction", params={"from": "2026-12-01", "to": "2026-11-01"}
    )
    assert backwards.status_code == 422
    assert "`to` must be after `from`" in backwards.text


def test_the_silence_policy_is_listed_and_editable_like_the_others(as_user):
    admin = as_user("admin")
    policies = admin.get("/policies").json()
    (silence,) = [p for p in policies if p["step"] == "customer_acceptance"]
    assert (silence["hours"], silence["business_time"], silence["source"]) == (90, True, "default")
    changed = admin.put(
        "/policies",
        json={"step": "customer_acceptance", "hours": 45, "reason": "Five business days suffice."},
    )
    assert changed.status_code in (200, 201), changed.text
    freeze_at(berlin(2026, 11, 23, 9, 0))
    reference = resolve(as_user("sales"), as_user("quality"))
    assert answer_clock(as_user("sales").record(reference))["hours_allowed"] == 45


def test_the_dashboard_and_the_digest_show_the_months_satisfaction(as_user, base_url, mailbox):
    from flows.send_digests import send_digests

    freeze_at(berlin(2026, 11, 23, 9, 0))
    sales, quality = as_user("sales"), as_user("quality")
    reference = resolve(sales, quality)
    sales.post(f"/complaints/{reference}/customer-response", json={"accepted": True})
    assert rate(base_url, reference, score="4", solved="yes")[0] == 303
    sales.log_complaint()  # open work, so the managers get a digest
    drain_outbox()
    freeze_at(berlin(2026, 11, 24, 10, 0))

    manager = Browser(base_url)
    assert manager.sign_in("manager").status_code == 303
    page = manager.client.get("/dashboard").text
    (trend,) = re.findall(r'<table id="satisfaction-figures">(.*?)</table>', page, re.S)
    assert "2026-11</th><td>4.0 of 5, 1 of 1 answered, 100% satisfied</td>" in trend

    assert asyncio.run(send_digests()) == 2
    (digest,) = [
        m
        for m in mailbox.snapshot()
        if m["To"] == QUALITY_MANAGER and m["Subject"].startswith("Daily digest")
    ]
    assert (
        "Customer satisfaction this month: 1 of 1 invited customers answered, average score "
        "4.0 of 5, 100% satisfied, 100% say the problem was solved."
    ) in " ".join(mail_body(digest).split())
