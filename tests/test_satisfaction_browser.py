"""The customer rates a closed complaint on the status page, in a real browser (Chromium via
Playwright), after following the link in the invitation mail."""

import json
from concurrent.futures import ThreadPoolExecutor

import pytest
from playwright.sync_api import expect

from tests.support import Api
from tests.test_satisfaction import resolve
from tests.test_web_browser import PHONE, browser, check_page, drain, status_link, web

pytestmark = pytest.mark.sqlite_leg_only(
    reason="a browser on the pages, whose routes the HTTP tests run on PostgreSQL too"
)


__all__ = ["browser", "web"]  # the fixtures this module borrows


def closed_complaint(web: str) -> str:
    """Resolved through quality and sales, then accepted (off this thread: Playwright owns
    its event loop, and the delivery flow runs one of its own)."""
    sales, quality = Api(web, "sales"), Api(web, "quality")
    with ThreadPoolExecutor(max_workers=1) as pool:
        reference = pool.submit(resolve, sales, quality).result()
    accepted = sales.post(f"/complaints/{reference}/customer-response", json={"accepted": True})
    assert accepted.status_code == 200, accepted.text
    drain()
    return reference


def test_the_customer_rates_a_closed_complaint_once_on_the_status_page(browser, web, mailbox):
    reference = closed_complaint(web)
    link = status_link(mailbox, reference, "How did we handle")
    customer = browser.new_context(viewport=PHONE).new_page()
    customer.goto(link)
    form = customer.locator("#rating-form")
    expect(form).to_be_visible()
    check_page(customer, "20-satisfaction-survey")
    form.get_by_label("4").check()
    form.get_by_label("Yes").check()
    form.get_by_label("Anything you would like to tell us (optional)").fill("Quick and clear.")
    form.get_by_role("button", name="Send my rating").click()
    expect(customer.locator("#customer-rating")).to_contain_text(
        "You rated how we handled it 4 out of 5, problem solved"
    )
    expect(customer.locator("#rating-form")).to_have_count(0)
    check_page(customer, "21-satisfaction-thanks")

    headers = customer.locator("body").get_attribute("hx-headers") or "{}"
    csrf = json.loads(headers)["X-CSRF-Token"]
    again = customer.request.post(
        f"{link}/rating", form={"score": "1", "solved": "no", "csrf_token": csrf}
    )
    assert again.status == 409
    assert "you have rated this complaint already" in again.text()
    record = Api(web, "sales").record(reference)
    ratings = [h for h in record["history"] if h["action"] == "rate_satisfaction"]
    assert [(h["changes"]["score"], h["changes"]["solved"]) for h in ratings] == [(4, True)]
