"""The admin area walked in a real browser on a desk and on a phone: every page passes axe
(no serious or critical violation) and never scrolls sideways."""

from datetime import date, timedelta

import pytest
from playwright.sync_api import Page, ViewportSize, expect

from tests.support import Api
from tests.test_admin_pages import held_notice, parked_event
from tests.test_web_browser import DESKTOP, PHONE, browser, check_page, signed_in, web  # noqa: F401
from workflow.calendar import BusinessCalendar

pytestmark = pytest.mark.sqlite_leg_only(
    reason="a browser on the pages, whose routes the HTTP tests run on PostgreSQL too"
)


NO_SIDEWAYS_SCROLL = "document.documentElement.scrollWidth <= window.innerWidth"


def look(page: Page, name: str) -> None:
    check_page(page, name)
    assert page.evaluate(NO_SIDEWAYS_SCROLL), name


@pytest.mark.parametrize(("screen", "viewport"), [("desktop", DESKTOP), ("phone", PHONE)])
def test_an_admin_walks_the_admin_area_on_a_desk_and_on_a_phone(
    browser,  # noqa: F811
    web,  # noqa: F811
    screen: str,
    viewport: ViewportSize,
):
    reference = Api(web, "sales").log_complaint()["reference"]
    notice_id = held_notice(reference)
    parked_event(reference, "KeyError: 'policy' " + "x" * 500)
    admin = signed_in(browser, web, "admin", viewport)

    admin.get_by_role("link", name="Admin", exact=True).click()
    expect(admin.locator("h1")).to_have_text("Administration")
    look(admin, f"admin-start-{screen}")

    admin.get_by_role("link", name="Held notices").click()
    look(admin, f"admin-notices-{screen}")
    admin.get_by_label("Why it is sent once more").fill("Mail server log: never left.")
    admin.get_by_role("button", name="Release for one more attempt").click()
    expect(admin.get_by_role("status")).to_have_text(
        f"Notice {notice_id} released: the relay sends it once more."
    )
    look(admin, f"admin-notices-released-{screen}")

    admin.goto("/admin/events")
    expect(admin.get_by_text("KeyError: 'policy'")).to_be_visible()
    look(admin, f"admin-events-{screen}")
    admin.get_by_label("What was fixed").fill("Added the missing policy.")
    admin.get_by_role("button", name="Retry").click()
    expect(admin.get_by_role("status")).to_contain_text("Event sent round again")

    admin.goto("/admin/history")
    admin.get_by_role("button", name="Verify now").click()
    expect(admin.get_by_role("heading", name="Intact")).to_be_visible()
    look(admin, f"admin-history-{screen}")

    admin.goto("/admin/policies")
    look(admin, f"admin-policies-{screen}")
    admin.get_by_role("link", name="acknowledgement: any kind, any severity").click()
    admin.get_by_label("Time allowed (hours)").fill("2")
    admin.get_by_label("Why it changes").fill("The first answer is promised within two hours.")
    admin.get_by_role("button", name="Save the policy").click()
    expect(admin.get_by_role("status")).to_contain_text("Saved: 2 business hours")
    expect(admin.get_by_role("cell", name="The first answer is promised")).to_be_visible()
    look(admin, f"admin-policy-edit-{screen}")

    admin.goto("/admin/calendar")
    look(admin, f"admin-calendar-{screen}")
    day = a_working_day_ahead()
    admin.get_by_role("textbox", name="Day").fill(day.isoformat())
    admin.get_by_label("Why the company is closed").fill("Stocktaking.")
    admin.get_by_role("button", name="Close the company that day").click()
    expect(admin.get_by_role("status")).to_contain_text(f"Closed on {day:%A %d %B %Y}")
    expect(admin.get_by_role("cell", name="Stocktaking.")).to_be_visible()
    look(admin, f"admin-calendar-closed-{screen}")
    admin.context.close()


def a_working_day_ahead() -> date:
    """A working weekday about a month ahead that is no public holiday where the company is."""
    calendar = BusinessCalendar()
    day = date.today() + timedelta(days=30)
    while not calendar.is_working_day(day):
        day += timedelta(days=1)
    return day
