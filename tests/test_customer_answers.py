"""The customer's side of a complaint after our questions and our closing: an answer on the
status page takes photos (checked as the form checks them, refused in the customer's
language, nothing half kept); a complaint closed for lack of an answer is reopened by its
customer on the status page or by sales on the customer's word, within the window, to quality
as a reopen from resolved is. Real HTTP, real sweeps and delivery, mail caught by SMTP."""

from datetime import datetime, timedelta

import pytest
from sqlmodel import select

from models.attachment import Attachment
from models.complaint import Complaint
from tests.support import Api, drain_outbox, freeze_at, sweep
from tests.test_mail_intake import tiny_png
from tests.test_satisfaction import answer_clock, berlin, resolve, status_link
from tests.test_web_pages import Browser, browser  # noqa: F401  (the signed-in page client)
from workflow.db import read_session

GERMAN_JANE = {"name": "Jane Miller", "email": "jane@acme.example", "language": "de"}


def _waiting_on_customer(sales: Api, quality: Api, **complaint: object) -> str:
    reference = sales.log_complaint(**complaint)["reference"]
    drain_outbox()
    task = quality.open_task(reference, "quality_assessment")
    assert quality.post(f"/tasks/{task['id']}/claim").status_code == 200
    waiting = quality.post(
        f"/complaints/{reference}/wait-for-customer",
        json={"reason": "Please send us a photo of the seal."},
    )
    assert waiting.status_code == 200, waiting.text
    drain_outbox()
    return reference


def _stored_files(reference: str) -> list[Attachment]:
    with read_session() as session:
        complaint = session.exec(select(Complaint).where(Complaint.reference == reference)).one()
        return list(session.exec(select(Attachment).where(Attachment.case_id == complaint.id)))


def _closed_without_answer(sales: Api, quality: Api, **complaint: object) -> tuple[str, datetime]:
    """A resolved complaint left unanswered until the sweep closes it; and when it closed."""
    reference = resolve(sales, quality, **complaint)
    closed_at = datetime.fromisoformat(answer_clock(sales.record(reference))["due_at"])
    freeze_at(closed_at + timedelta(minutes=1))
    sweep()
    drain_outbox()
    assert sales.record(reference)["status"] == "closed"
    return reference, closed_at


def test_an_answer_with_a_photo_resumes_the_clocks_and_the_photo_is_on_the_complaint(
    as_user,
    base_url,
    browser,  # noqa: F811
):
    sales, quality = as_user("sales"), as_user("quality")
    reference = _waiting_on_customer(sales, quality)
    customer, link = Browser(base_url), status_link(reference)
    try:
        page = customer.client.get(link).text
        assert 'enctype="multipart/form-data"' in page
        sent = customer.form(
            f"{link}/reply",
            {"answer": "Here is the seal."},
            files=[("attachments", ("seal.png", tiny_png(), "image/png"))],
            page=link,
        )
        assert sent.status_code == 303, sent.text[:1000]
    finally:
        customer.client.close()
    record = sales.record(reference)
    assert record["status"] == "with_quality"
    assert [f.filename for f in _stored_files(reference)] == ["seal.png"]
    answered = next(h for h in record["history"] if h["action"] == "resume_after_customer")
    assert answered["changes"]["attachments"] == ["seal.png"]
    assert any(h["action"] == "clocks_resumed" for h in record["history"])
    staff_page = browser("sales").client.get(f"/complaints/{reference}").text
    assert "seal.png" in staff_page


def test_a_refused_file_is_named_in_the_customers_language_and_nothing_is_kept(as_user, base_url):
    sales, quality = as_user("sales"), as_user("quality")
    reference = _waiting_on_customer(sales, quality, customer=GERMAN_JANE)
    customer, link = Browser(base_url), status_link(reference)
    try:
        sent = customer.form(
            f"{link}/reply",
            {"answer": "Anbei das Foto."},
            files=[
                ("attachments", ("seal.png", tiny_png(), "image/png")),
                ("attachments", ("notes.jpg", b"just some text", "image/jpeg")),
            ],
            page=link,
        )
        assert sent.status_code == 303, sent.text[:1000]
        page = customer.client.get(sent.headers["location"]).text
    finally:
        customer.client.close()
    assert "Es wurde nichts gesendet: notes.jpg ist kein Foto" in page
    assert 'id="reply-form"' in page  # still asked: they can send it again
    assert sales.record(reference)["status"] == "waiting_on_customer"
    assert _stored_files(reference) == []


def test_photos_are_taken_only_from_a_visitor_who_opened_that_status_page(as_user, base_url):
    sales, quality = as_user("sales"), as_user("quality")
    first, second = (_waiting_on_customer(sales, quality) for _ in range(2))
    visitor = Browser(base_url)
    photo = [("attachments", ("seal.png", tiny_png(), "image/png"))]
    try:
        token = visitor.csrf(status_link(second))  # opened the second complaint's page only
        refused = visitor.client.post(
            f"{status_link(first)}/reply", data={"answer": "x", "csrf_token": token}, files=photo
        )
        assert refused.status_code == 303
        assert refused.headers["location"].startswith("/login")
        assert sales.record(first)["status"] == "waiting_on_customer"
        visitor.client.get(status_link(first))  # now both pages are theirs
        for reference in (first, second):
            sent = visitor.client.post(
                f"{status_link(reference)}/reply",
                data={"answer": "Here it is.", "csrf_token": token},
                files=photo,
            )
            assert sent.headers["location"].startswith("/status/"), sent.text[:500]
    finally:
        visitor.client.close()
    assert [sales.record(r)["status"] for r in (first, second)] == ["with_quality"] * 2


def test_a_silently_closed_complaint_is_reopened_by_its_customer_to_quality(as_user, base_url):
    freeze_at(berlin(2026, 11, 23, 9, 0))
    sales, quality = as_user("sales"), as_user("quality")
    reference, _ = _closed_without_answer(sales, quality, customer=GERMAN_JANE)
    customer, link = Browser(base_url), status_link(reference)
    try:
        page = customer.client.get(link).text
        assert "Ist das Problem noch nicht gelöst?" in page
        assert 'id="reopen-form"' in page
        sent = customer.form(
            f"{link}/answer",
            {"decision": "refuse", "comment": "Die Dichtung leckt wieder."},
            page=link,
        )
        assert sent.status_code == 303, sent.text[:1000]
    finally:
        customer.client.close()
    record = sales.record(reference)
    assert record["status"] == "reopened"
    assert record["closed_at"] is None
    reopening = next(h for h in record["history"] if h["action"] == "reopen")
    assert (reopening["from_status"], reopening["actor"]) == ("closed", "customer")
    drain_outbox()
    record = sales.record(reference)
    assert (record["status"], record["current_department"]) == ("with_quality", "quality")
    assert quality.open_task(reference, "quality_assessment")["status"] == "open"


@pytest.mark.parametrize("where", ["api", "complaint page"])
def test_sales_reopen_a_silently_closed_complaint_on_the_customers_word_with_a_reason(
    as_user,
    browser,  # noqa: F811
    where,
):
    freeze_at(berlin(2026, 11, 23, 9, 0))
    sales, quality = as_user("sales"), as_user("quality")
    reference, _ = _closed_without_answer(sales, quality)
    assert "reopen" in sales.record(reference)["available_actions"]
    bare = sales.post(f"/complaints/{reference}/customer-response", json={"accepted": False})
    assert bare.status_code == 422
    reason = "Called: the pump leaks again."
    if where == "api":
        reopened = sales.post(
            f"/complaints/{reference}/customer-response",
            json={"accepted": False, "comment": reason},
        )
        assert reopened.status_code == 200, reopened.text
    else:
        page_path, staff = f"/complaints/{reference}", browser("sales")
        page = staff.client.get(page_path).text
        assert "Does not solve the problem: reopen to quality" in page
        assert "Accepted: close it" not in page
        sent = staff.form(
            f"{page_path}/customer-response", {"accepted": "no", "comment": reason}, page=page_path
        )
        assert sent.status_code == 303, sent.text[:1000]
    record = sales.record(reference)
    assert record["status"] == "reopened"
    reopening = next(h for h in record["history"] if h["action"] == "reopen")
    assert (reopening["actor"], reopening["from_status"]) == ("sales", "closed")
    drain_outbox()
    assert sales.record(reference)["status"] == "with_quality"


def test_a_silently_closed_complaint_is_not_reopened_after_the_window(as_user, base_url):
    freeze_at(berlin(2026, 11, 23, 9, 0))
    sales, quality = as_user("sales"), as_user("quality")
    reference, closed_at = _closed_without_answer(sales, quality)
    freeze_at(closed_at + timedelta(days=31))
    assert "reopen" not in sales.record(reference)["available_actions"]
    late = sales.post(
        f"/complaints/{reference}/customer-response",
        json={"accepted": False, "comment": "It leaks again."},
    )
    assert late.status_code == 409
    assert "the time to reopen this complaint has passed" in late.text
    customer, link = Browser(base_url), status_link(reference)
    try:
        assert 'id="reopen-form"' not in customer.client.get(link).text
    finally:
        customer.client.close()
    assert sales.record(reference)["status"] == "closed"


def test_a_complaint_closed_with_the_customers_acceptance_is_not_reopened(as_user, base_url):
    sales, quality = as_user("sales"), as_user("quality")
    reference = resolve(sales, quality)
    accepted = sales.post(f"/complaints/{reference}/customer-response", json={"accepted": True})
    assert accepted.status_code == 200, accepted.text
    assert "reopen" not in sales.record(reference)["available_actions"]
    again = sales.post(
        f"/complaints/{reference}/customer-response",
        json={"accepted": False, "comment": "It leaks again."},
    )
    assert again.status_code == 409
    assert "closed with your agreement" in again.text
    customer, link = Browser(base_url), status_link(reference)
    try:
        assert 'id="reopen-form"' not in customer.client.get(link).text
    finally:
        customer.client.close()
    assert sales.record(reference)["status"] == "closed"
