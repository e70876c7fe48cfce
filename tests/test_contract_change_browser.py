"""Starting a change of a contract on its page in a real browser (Chromium): sales fill in the
change form and land on the new change review; the contract's page then names the change in
review. axe-core checks the page with the form, on a desktop and on a phone."""

import re
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.test_contracts import accepted_contract
from tests.test_web_browser import (  # noqa: F401 - the module's browser fixtures
    DESKTOP,
    PHONE,
    browser,
    check_page,
    signed_in,
    web,
)

pytestmark = pytest.mark.sqlite_leg_only(
    reason="a browser on the pages, whose routes the HTTP tests run on PostgreSQL too"
)


def contract_accepted_off_the_browsers_thread(as_user: Any) -> dict[str, Any]:
    """Accepting runs the delivery flow (asyncio.run): off this thread, Playwright owns its loop."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(accepted_contract, as_user).result()


def test_sales_change_a_contract_on_its_page(browser, web, as_user):  # noqa: F811
    file = contract_accepted_off_the_browsers_thread(as_user)
    path = f"/contracts/{file['id']}"
    phone = signed_in(browser, web, "sales", PHONE)
    phone.goto(path)
    expect(phone.locator("#change-form")).to_be_visible()
    check_page(phone, "contract-01-change-form-390")

    sales = signed_in(browser, web, "sales", DESKTOP)
    sales.goto(path)
    form = sales.locator("#change-form")
    expect(form.get_by_text("Leave empty to keep the current one: 6000.")).to_be_visible()
    check_page(sales, "contract-02-change-form")
    form.get_by_label("New quantity").fill("8000")
    form.get_by_label("Received by").select_option("email")
    form.get_by_label("What changes, in the customer's words").fill("2,000 more pumps in 2029.")
    form.get_by_label("Production").check()
    form.get_by_label("Why the change concerns these departments").fill(
        "Only the quantity changes: production capacity and the price."
    )
    form.get_by_role("button", name="Start the change review").click()
    expect(sales).to_have_url(re.compile(r"/reviews/CR-\d{4}-\d+$"))
    reference = sales.url.rsplit("/", 1)[1]

    sales.goto(path)
    expect(sales.locator("#change-form")).to_have_count(0)
    expect(sales.locator("#change-in-review").get_by_role("link", name=reference)).to_be_visible()
    check_page(sales, "contract-03-change-in-review")
