"""Inquiries get an answer; praise and suggestions are read by quality; technical service and
quality log feedback too. Driven over HTTP with the real delivery flow and SMTP catcher."""

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlmodel import select

from models.deadline import Deadline
from tests.support import drain_outbox, freeze_at, mail_body
from tests.test_web_pages import Browser
from workflow.db import read_session

BERLIN = ZoneInfo("Europe/Berlin")
GERMAN_CUSTOMER = {
    "name": "Jana Müller",
    "company": "Acme GmbH",
    "email": "jana@acme.example",
    "language": "de",
    "time_zone": "Europe/Berlin",
}


def _mails_to(mailbox, address: str) -> list:
    return [m for m in mailbox.snapshot() if m["To"] == address]


def _inquiry(sales) -> str:
    return sales.log_complaint(
        kind="inquiry",
        severity="minor",
        description="Does the P-200 seal kit fit pumps made in 2018?",
        customer=GERMAN_CUSTOMER,
    )["reference"]


def test_an_inquiry_becomes_a_sales_task_on_a_two_business_day_clock(as_user):
    sales = as_user("sales")
    freeze_at(datetime(2026, 11, 23, 9, 0, tzinfo=BERLIN))  # a Monday
    reference = _inquiry(sales)
    drain_outbox()

    record = sales.record(reference)
    assert record["status"] == "with_sales"
    task = sales.open_task(reference, "answer_inquiry")
    assert task["department"] == "sales"
    assert datetime.fromisoformat(task["due_at"]) == datetime(2026, 11, 25, 9, 0, tzinfo=BERLIN)
    with read_session() as session:
        clock = session.exec(select(Deadline).where(Deadline.task_id == task["id"])).one()
    assert (clock.step, clock.department) == ("inquiry_answer", "sales")
    assert "close_as_feedback" not in [h["action"] for h in record["history"]]


def test_an_inquiry_forwarded_to_technical_is_answered_in_german_and_closed(as_user, mailbox):
    sales, technical = as_user("sales"), as_user("technical")
    reference = _inquiry(sales)
    drain_outbox()
    task = sales.open_task(reference, "answer_inquiry")

    forwarded = sales.post(
        f"/tasks/{task['id']}/forward",
        json={"department": "technical", "note": "Which pump series?"},
    )
    assert forwarded.status_code == 200, forwarded.text
    assert forwarded.json()["department"] == "technical"
    refused = sales.post(
        f"/tasks/{task['id']}/complete", json={"kind": "inquiry_answer", "answer": "Yes."}
    )
    assert refused.status_code == 403, refused.text  # technical's now

    answered = technical.post(
        f"/tasks/{task['id']}/complete",
        json={"kind": "inquiry_answer", "answer": "Ja, das Dichtungsset passt ab Baujahr 2017."},
    )
    assert answered.status_code == 200, answered.text
    drain_outbox()

    record = sales.record(reference)
    assert record["status"] == "closed"
    actions = [h["action"] for h in record["history"]]
    assert actions.index("forward_inquiry") < actions.index("answer_inquiry")
    answer_mails = [m for m in _mails_to(mailbox, "jana@acme.example") if "Antwort" in m["Subject"]]
    assert [m["Subject"] for m in answer_mails] == [f"Unsere Antwort auf Ihre Anfrage {reference}"]
    assert answer_mails[0]["Content-Language"] == "de"
    body = mail_body(answer_mails[0])
    assert "Ja, das Dichtungsset passt ab Baujahr 2017." in body
    assert "vielen Dank für Ihre Anfrage" in body


def test_an_inquiry_goes_only_to_quality_or_technical(as_user):
    sales = as_user("sales")
    reference = _inquiry(sales)
    drain_outbox()
    task = sales.open_task(reference, "answer_inquiry")

    refused = sales.post(f"/tasks/{task['id']}/forward", json={"department": "production"})
    assert refused.status_code == 422, refused.text
    assert "inquiries are answered by sales, quality, technical" in refused.text
    assert sales.open_task(reference, "answer_inquiry")["department"] == "sales"


def test_praise_is_listed_unread_for_quality_and_marked_read_once(as_user):
    sales, quality = as_user("sales"), as_user("quality")
    praise = sales.log_complaint(kind="praise", severity="minor", description="Great service!")
    drain_outbox()

    unread = quality.get("/feedback", params={"unread": "true"})
    assert unread.status_code == 200, unread.text
    assert [i["reference"] for i in unread.json()["items"]] == [praise["reference"]]

    read = quality.post(f"/feedback/{praise['reference']}/read")
    assert read.status_code == 200, read.text
    assert read.json()["read_by"] == "quality"
    assert quality.get("/feedback", params={"unread": "true"}).json()["items"] == []
    assert [i["reference"] for i in quality.get("/feedback").json()["items"]] == [
        praise["reference"]
    ]
    again = quality.post(f"/feedback/{praise['reference']}/read")
    assert again.status_code == 409, again.text
    history = sales.record(praise["reference"])["history"]
    assert [h["actor"] for h in history if h["action"] == "mark_feedback_read"] == ["quality"]


def test_sales_may_not_read_the_feedback_list_and_a_complaint_is_not_feedback(as_user):
    sales, quality = as_user("sales"), as_user("quality")
    complaint = sales.log_complaint()["reference"]
    assert sales.get("/feedback").status_code == 403
    refused = quality.post(f"/feedback/{complaint}/read")
    assert refused.status_code == 409, refused.text
    assert "not feedback to read" in refused.text


def test_technical_logs_a_suggestion_but_not_a_complaint(as_user):
    technical = as_user("technical")
    suggestion = technical.post(
        "/complaints",
        json={
            "kind": "suggestion",
            "channel": "visit",
            "product": "Pump P-200",
            "description": "Customer suggests a quick-release seal cover.",
            "severity": "minor",
            "customer": {"name": "Jane Miller", "email": "jane@acme.example"},
        },
    )
    assert suggestion.status_code == 201, suggestion.text

    complaint = technical.post(
        "/complaints",
        json={
            "kind": "complaint",
            "channel": "visit",
            "product": "Pump P-200",
            "description": "Seal leaks.",
            "severity": "minor",
            "customer": {"name": "Jane Miller", "email": "jane@acme.example"},
        },
    )
    assert complaint.status_code == 403, complaint.text
    assert "may not log complaint" in complaint.text


def test_sales_finds_an_inquiry_in_its_queue_forwards_it_and_technical_answers_on_the_page(
    as_user, base_url, mailbox
):
    sales_api = as_user("sales")
    reference = _inquiry(sales_api)
    drain_outbox()
    task = sales_api.open_task(reference, "answer_inquiry")
    sales, technical = Browser(base_url), Browser(base_url)
    try:
        assert sales.sign_in("sales").status_code == 303
        assert technical.sign_in("technical").status_code == 303
        assert f'href="/tasks/{task["id"]}"' in sales.client.get("/review").text
        page = f"/tasks/{task['id']}"
        assert "Forward the inquiry" in sales.client.get(page).text
        forwarded = sales.form(f"{page}/forward", {"department": "technical"}, page=page)
        assert forwarded.status_code == 303, forwarded.text
        assert "Forward the inquiry" not in technical.client.get(page).text
        answered = technical.form(f"{page}/answer", {"answer": "Ja, ab Baujahr 2017."}, page=page)
        assert answered.status_code == 303, answered.text
    finally:
        sales.client.close()
        technical.client.close()
    drain_outbox()
    assert sales_api.record(reference)["status"] == "closed"
    assert any(
        "Ja, ab Baujahr 2017." in mail_body(m) for m in _mails_to(mailbox, "jana@acme.example")
    )


def test_quality_reads_praise_on_its_feedback_page_and_marks_it_read(as_user, base_url):
    praise = as_user("sales").log_complaint(kind="praise", description="Quick, kind service.")
    drain_outbox()
    quality = Browser(base_url)
    try:
        assert quality.sign_in("quality").status_code == 303
        page = quality.client.get("/feedback")
        assert page.status_code == 200, page.text
        assert "Quick, kind service." in page.text
        marked = quality.form(f"/feedback/{praise['reference']}/read", {}, page="/feedback")
        assert marked.status_code == 303, marked.text
        after = quality.client.get("/feedback").text
        assert f"{praise['reference']} marked read." in after
        assert "Quick, kind service." not in after
    finally:
        quality.client.close()
    history = as_user("manager").record(praise["reference"])["history"]
    assert [h["actor"] for h in history if h["action"] == "mark_feedback_read"] == ["quality"]
