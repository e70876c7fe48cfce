"""Handing a task on from its page, in a real browser (Chromium via Playwright, axe-core):
the manager assigns it on a phone, the colleague puts it back in the queue at a desk."""

from concurrent.futures import ThreadPoolExecutor

import pytest
from playwright.sync_api import expect

from models.enums import Department, Role
from tests.support import Api, drain_outbox
from tests.test_assignment import add_colleague
from tests.test_web_browser import DESKTOP, PHONE, browser, check_page, signed_in, web

pytestmark = pytest.mark.sqlite_leg_only(
    reason="a browser on the pages, whose routes the HTTP tests run on PostgreSQL too"
)


__all__ = ["browser", "web"]  # the fixtures this module borrows


def routed_quality_task(web: str) -> tuple[str, int]:
    """A complaint routed to quality (off this thread: Playwright owns its event loop)."""

    def route() -> tuple[str, int]:
        reference = Api(web, "sales").log_complaint()["reference"]
        drain_outbox()
        return reference, Api(web, "quality").open_task(reference, "quality_assessment")["id"]

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(route).result()


def test_a_manager_assigns_on_a_phone_and_the_colleague_unclaims_at_a_desk(browser, web):
    reference, task_id = routed_quality_task(web)
    quality = signed_in(browser, web, "quality", DESKTOP)
    quality.goto(f"/tasks/{task_id}")
    expect(quality.get_by_label("Assign to")).to_have_count(0)  # open, and no manager

    manager = signed_in(browser, web, "manager", PHONE)
    manager.goto(f"/tasks/{task_id}")
    manager.get_by_label("Assign to").select_option(label="Quinn Quality (quality)")
    manager.get_by_label("Why them").fill("Quinn knows the P-200 seals.")
    assert manager.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    check_page(manager, "30-assign-phone")
    manager.get_by_role("button", name="Assign").click()
    expect(manager.get_by_text("Assigned: task")).to_be_visible()

    quality.goto(f"/tasks/{task_id}")
    quality.get_by_label("Why it goes back to the queue").fill("Away until Monday.")
    check_page(quality, "31-unclaim-desktop")
    quality.get_by_role("button", name="Unclaim").click()
    expect(quality.get_by_text(f"Task {task_id} is back in the queue.")).to_be_visible()

    history = Api(web, "manager").record(reference)["history"]
    handed = [(e["actor"], e["action"]) for e in history if e["action"].startswith("task_")]
    assert ("manager", "task_assigned") in handed
    assert ("quality", "task_unclaimed") in handed


def test_away_with_a_deputy_on_a_phone_and_the_assign_form_sends_the_task_to_the_deputy(
    browser, web
):
    add_colleague("quentin", Department.quality, Role.quality)
    _, task_id = routed_quality_task(web)
    held_reference, held = routed_quality_task(web)
    assert Api(web, "quality").post(f"/tasks/{held}/claim").status_code == 200
    quality = signed_in(browser, web, "quality", PHONE)
    quality.get_by_role("link", name="Away").click()
    quality.get_by_label("Last day away").fill("2030-01-31")
    quality.get_by_label("Deputy").select_option(label="Quentin Colleague (quentin)")
    assert quality.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    check_page(quality, "32-away-phone")
    quality.get_by_role("button", name="Save").click()
    expect(quality.locator("#away-state")).to_contain_text("You are away until 2030-01-31")

    manager = signed_in(browser, web, "manager", DESKTOP)
    manager.goto("/queue?department=quality")
    row = manager.get_by_role("row").filter(has_text=held_reference)
    expect(row.get_by_role("cell", name="quality away")).to_be_visible()
    manager.goto(f"/tasks/{task_id}")
    choice = "Quinn Quality (quality; away, deputy Quentin Colleague)"
    manager.get_by_label("Assign to").select_option(label=choice)
    check_page(manager, "33-assign-away-desktop")
    manager.get_by_role("button", name="Assign").click()
    expect(manager.get_by_text("quality is away: it went to their deputy.")).to_be_visible()
    task = Api(web, "manager").get("/tasks?department=quality&assignee=quentin").json()
    assert [t["id"] for t in task["items"]] == [task_id]
