"""The company profile page and the customer's status page in a real browser (Debian's
Chromium driven by Playwright) at desk and phone widths: axe-core finds nothing serious, no
horizontal scroll at 390 px, and what the admin saves is what the customer sees."""

import re

import pytest
from playwright.sync_api import Page, expect

from tests.support import Api
from tests.test_satisfaction import status_link
from tests.test_web_browser import (  # noqa: F401
    DESKTOP,
    PHONE,
    browser,
    check_page,
    drain,
    signed_in,
    tiny_png,
    web,
)

pytestmark = pytest.mark.sqlite_leg_only(
    reason="a browser on the pages, whose routes the HTTP tests run on PostgreSQL too"
)


SIZES = pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])


def no_horizontal_scroll(page: Page) -> bool:
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"))


@SIZES
def test_an_admin_sets_the_profile_and_logo_on_the_page_and_the_customer_sees_them(
    browser,  # noqa: F811
    web,  # noqa: F811
    mailbox,
    tmp_path,
    viewport,
):
    width = viewport["width"]
    admin = signed_in(browser, web, "admin", viewport)
    admin.goto("/admin/company")
    check_page(admin, f"company-empty-{width}")
    admin.get_by_label("Company name").fill("Acme Pumps GmbH")
    admin.get_by_label("Address (one line per line)").fill("Industriestr. 5\n12345 Musterstadt")
    admin.get_by_label("Website").fill("javascript:alert(1)")
    admin.get_by_label("Why (kept in the change log)").first.fill("Our details")
    admin.get_by_role("button", name="Save the profile").click()
    expect(admin.locator("#website-error")).to_contain_text("starting https://")
    check_page(admin, f"company-refused-{width}")
    admin.get_by_label("Website").fill("https://acme.example")
    admin.get_by_role("button", name="Save the profile").click()
    expect(admin.get_by_role("status")).to_contain_text("Company profile saved")
    expect(admin.locator("#mail-foot-preview")).to_contain_text("12345 Musterstadt")

    logo = tmp_path / "logo.png"
    logo.write_bytes(tiny_png())
    admin.get_by_label("Logo file").set_input_files(str(logo))
    admin.locator("#logo_reason").fill("Our logo")
    admin.get_by_role("button", name="Upload the logo").click()
    expect(admin.get_by_role("status")).to_contain_text("Logo saved")
    expect(admin.get_by_alt_text("The current logo")).to_be_visible()
    expect(admin.locator("header")).to_contain_text("Acme Pumps GmbH")
    check_page(admin, f"company-saved-{width}")
    assert no_horizontal_scroll(admin)

    reference = Api(web, "sales").log_complaint()["reference"]
    drain()
    customer = browser.new_context(base_url=web, viewport=viewport).new_page()
    customer.goto(status_link(reference))
    expect(customer).to_have_title(re.compile(r"· Acme Pumps GmbH$"))
    brand = customer.locator("header .brand")
    expect(brand).to_contain_text("Acme Pumps GmbH")
    expect(brand.locator("img.company-logo")).to_be_visible()
    check_page(customer, f"company-status-{width}")
    assert no_horizontal_scroll(customer)
