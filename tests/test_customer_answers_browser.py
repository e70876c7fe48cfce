"""In a real browser (Chromium via Playwright): the customer answers our question with a photo,
and reopens a complaint we closed for lack of their answer, on their status page."""

from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta

import pytest
from playwright.sync_api import expect

from tests.support import Api, drain_outbox, freeze_at, sweep
from tests.test_customer_answers import _stored_files, _waiting_on_customer
from tests.test_satisfaction import answer_clock, berlin, resolve, status_link
from tests.test_web_browser import PHONE, browser, check_page, tiny_png, web

pytestmark = pytest.mark.sqlite_leg_only(
    reason="a browser on the pages, whose routes the HTTP tests run on PostgreSQL too"
)


__all__ = ["browser", "web"]  # the fixtures this module borrows


def _off_this_thread(work, *args):  # Playwright owns this thread's event loop
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(work, *args).result()


def test_the_customer_answers_with_a_photo_and_the_clocks_resume(browser, web):
    sales, quality = Api(web, "sales"), Api(web, "quality")
    reference = _off_this_thread(_waiting_on_customer, sales, quality)
    customer = browser.new_context(viewport=PHONE).new_page()
    customer.goto(web + status_link(reference))
    form = customer.locator("#reply-form")
    form.get_by_label("Your answer").fill("Here is the seal, torn in two places.")
    form.get_by_label("Photos or PDFs (optional)").set_input_files(
        [{"name": "seal.png", "mimeType": "image/png", "buffer": tiny_png()}]
    )
    check_page(customer, "30-answer-with-photo")
    form.get_by_role("button", name="Send my answer").click()
    expect(customer.get_by_text("we have your answer")).to_be_visible()
    expect(customer.locator("#reply-form")).to_have_count(0)
    assert sales.record(reference)["status"] == "with_quality"
    assert [f.filename for f in _stored_files(reference)] == ["seal.png"]


def _closed_silently(sales: Api, quality: Api) -> str:
    freeze_at(berlin(2026, 11, 23, 9, 0))
    reference = resolve(
        sales,
        quality,
        customer={"name": "Jean Dupont", "email": "jean@acme.example", "language": "fr"},
    )
    due = datetime.fromisoformat(answer_clock(sales.record(reference))["due_at"])
    freeze_at(due + timedelta(days=2))
    sweep()
    drain_outbox()
    return reference


def test_the_customer_reopens_a_silently_closed_complaint_in_their_language(browser, web):
    sales, quality = Api(web, "sales"), Api(web, "quality")
    reference = _off_this_thread(_closed_silently, sales, quality)
    assert sales.record(reference)["status"] == "closed"
    customer = browser.new_context(viewport=PHONE).new_page()
    customer.goto(web + status_link(reference))
    form = customer.locator("#reopen-form")
    expect(
        customer.get_by_role("heading", name="Le problème n’est toujours pas réglé ?")  # noqa: RUF001
    ).to_be_visible()
    check_page(customer, "31-reopen-after-silence")
    form.get_by_label("Ce qui ne va toujours pas").fill("La pompe fuit de nouveau.")
    form.get_by_role("button", name="Rouvrir ma réclamation").click()
    expect(customer.locator("#reopen-form")).to_have_count(0)
    record = sales.record(reference)
    assert record["status"] == "reopened"
    reopening = next(h for h in record["history"] if h["action"] == "reopen")
    assert reopening["from_status"] == "closed"
