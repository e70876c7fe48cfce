"""The task queue in a real browser (Chromium) at 1280 and 390 px: sorted by keyboard, filtered
with the filters kept in the address, refreshed without a reload, Claim and Open reachable and
at least 44 px, no horizontal scroll of the page, axe-core finding nothing serious."""

import re

import pytest
from playwright.sync_api import Locator, Page, ViewportSize, expect

from tests.support import Api
from tests.test_web_browser import (  # noqa: F401 - the module's browser fixtures
    DESKTOP,
    PHONE,
    browser,
    check_page,
    drain,
    signed_in,
    web,
)

pytestmark = pytest.mark.sqlite_leg_only(
    reason="a browser on the pages, whose routes the HTTP tests run on PostgreSQL too"
)


BERG = {"name": "Bo Berg", "company": "Berg AB", "email": "bo@berg.example"}
CHEN = {"name": "Cleo Chen", "company": "Chen GmbH", "email": "cleo@chen.example"}


def no_horizontal_scroll(page: Page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def three_complaints(base_url: str) -> dict[str, str]:
    sales = Api(base_url, "sales")
    refs = {
        "critical": sales.log_complaint(severity="critical", product="Pump P-200"),
        "major": sales.log_complaint(severity="major", product="Valve V-10", customer=BERG),
        "minor": sales.log_complaint(severity="minor", product="Filter F-3", customer=CHEN),
    }
    drain()
    return {key: complaint["reference"] for key, complaint in refs.items()}


def within_viewport(locator: Locator, viewport: ViewportSize) -> None:
    box = locator.bounding_box()
    assert box is not None
    assert box["x"] >= 0
    assert box["x"] + box["width"] <= viewport["width"]
    assert box["height"] >= 44  # a touch target


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1280", "390"])
def test_a_quality_engineer_sorts_filters_and_claims_from_the_queue(
    browser,  # noqa: F811
    web,  # noqa: F811
    viewport,
):
    refs = three_complaints(web)
    size = viewport["width"]
    quality = signed_in(browser, web, "quality", viewport)
    quality.goto("/queue")
    expect(quality.locator("h1")).to_have_text("Quality queue")
    rows = quality.locator("#queue-table tbody tr")
    expect(rows).to_have_count(3)
    critical = rows.filter(has_text=refs["critical"])
    expect(critical.locator(".badge-critical")).to_have_text("critical")
    assert no_horizontal_scroll(quality)
    check_page(quality, f"10-quality-queue-{size}")

    # By keyboard: the Severity header is a link; Enter sorts, most severe first.
    header = quality.get_by_role("link", name="Severity")
    header.focus()
    assert quality.evaluate("getComputedStyle(document.activeElement).outlineStyle") != "none"
    quality.keyboard.press("Enter")
    expect(quality).to_have_url(re.compile(r"/queue\?sort=severity&dir=asc$"))
    expect(quality.locator("th[aria-sort=ascending]")).to_contain_text("Severity")
    expect(rows.first).to_contain_text(refs["critical"])
    expect(rows.last).to_contain_text(refs["minor"])

    # A filter changed: the table alone is swapped, and the address keeps filter and sort.
    quality.get_by_label("Severity", exact=True).select_option("major")
    expect(quality).to_have_url(re.compile(r"severity=major"))
    expect(quality).to_have_url(re.compile(r"sort=severity"))
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Bo Berg")

    # Nobody reloads: the table fetches itself again and shows the complaint routed since,
    # but not while someone is in it by keyboard (the swap would take their focus away).
    link = rows.first.get_by_role("link", name=refs["major"])
    link.focus()
    newer = Api(web, "sales").log_complaint(severity="major", customer=BERG)["reference"]
    drain()
    quality.wait_for_timeout(17_000)  # longer than the 15 s between refreshes
    expect(link).to_be_focused()
    expect(rows.filter(has_text=newer)).to_have_count(0)
    quality.locator("h1").click()  # the focus leaves the table
    expect(rows.filter(has_text=newer)).to_have_count(1, timeout=40_000)
    assert no_horizontal_scroll(quality)

    row = rows.filter(has_text=refs["major"])
    claim = row.get_by_role("button", name=re.compile("Claim"))
    within_viewport(claim, viewport)
    within_viewport(row.get_by_role("button", name=re.compile("Open")), viewport)
    claim.click()
    expect(quality.get_by_role("status").first).to_contain_text("Claimed")


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1280", "390"])
def test_the_managers_queue_across_departments_in_the_browser(browser, web, viewport):  # noqa: F811
    refs = three_complaints(web)
    manager = signed_in(browser, web, "manager", viewport)
    manager.goto("/queue")
    expect(manager.locator("h1")).to_have_text("Tasks of every department")
    rows = manager.locator("#queue-table tbody tr")
    expect(rows).to_have_count(3)
    expect(manager.get_by_role("button", name=re.compile("Claim"))).to_have_count(0)
    manager.get_by_label("Product or customer").fill("chen")
    manager.get_by_label("Product or customer").press("Enter")
    expect(manager).to_have_url(re.compile(r"q=chen"))
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(refs["minor"])
    assert no_horizontal_scroll(manager)
    check_page(manager, f"11-manager-queue-{viewport['width']}")
    opened = rows.first.get_by_role("button", name=re.compile("Open"))
    within_viewport(opened, viewport)
    opened.click()
    expect(manager).to_have_url(re.compile(r"/tasks/\d+$"))
