"""The quality loop in a real browser: quality opens and cancels actions on the complaint
page, the owner completes one with evidence on its task page, the sweep opens the check, and
quality records it on the check's task page. Every page is checked with axe-core."""

import re
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.support import Api, freeze_at, sweep
from tests.test_web_browser import (  # noqa: F401 - the module's browser fixtures
    DESKTOP,
    browser,
    check_page,
    drain,
    signed_in,
    web,
)

pytestmark = pytest.mark.sqlite_leg_only(
    reason="a browser on the pages, whose routes the HTTP tests run on PostgreSQL too"
)


def _off_thread(work: Callable[[], Any]) -> Any:
    """Flows run their own event loop: off this thread, which Playwright's loop owns."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(work).result()


def test_actions_and_their_effectiveness_check_through_the_pages(browser, web):  # noqa: F811
    reference = Api(web, "sales").log_complaint()["reference"]
    drain()

    quality = signed_in(browser, web, "quality", DESKTOP)
    quality.goto(f"/complaints/{reference}")
    form = quality.locator("#open-action-form")
    form.get_by_label("Kind").select_option("corrective")
    form.get_by_label("What is to be done").fill("Reject supplier batch S-4411.")
    form.get_by_label("Owner department").select_option("technical")
    form.get_by_label("Owner (username, optional)").fill("technical")
    form.get_by_label("Business days (optional)").fill("2")
    form.get_by_role("button", name="Open the action").click()
    expect(
        quality.get_by_text(re.compile(r"Action \d+ opened in technical's queue"))
    ).to_be_visible()
    form.get_by_label("Kind").select_option("preventive")
    form.get_by_label("What is to be done").fill("Add seal hardness to the certificate.")
    form.get_by_label("Owner department").select_option("quality")
    form.get_by_role("button", name="Open the action").click()
    check_page(quality, "capa-01-complaint-with-actions")
    (cancel_id,) = [
        a["id"]
        for a in Api(web, "quality").record(reference)["actions"]
        if a["kind"] == "preventive"
    ]
    quality.get_by_label(f"Reason to cancel action {cancel_id}").fill(
        "The supplier's 8D covers it."
    )
    quality.get_by_role("button", name=f"Cancel action {cancel_id}").click()
    expect(quality.get_by_text(f"Action {cancel_id} cancelled.")).to_be_visible()
    expect(quality.get_by_role("button", name=re.compile("^Cancel action"))).to_have_count(1)

    (action,) = [
        a for a in Api(web, "quality").record(reference)["actions"] if a["kind"] == "corrective"
    ]
    technical = signed_in(browser, web, "technical", DESKTOP)
    technical.goto(f"/tasks/{action['task_id']}")
    expect(technical.get_by_text("Reject supplier batch S-4411.")).to_be_visible()
    check_page(technical, "capa-02-action-task")
    technical.get_by_label(re.compile("^Evidence")).fill("Batch S-4411 returned on 2026-11-30.")
    technical.get_by_role("button", name="Mark the action done").click()
    expect(technical).to_have_url(re.compile(r"/queue$"))

    check = Api(web, "quality").record(reference)["effectiveness_check"]
    freeze_at(datetime.fromisoformat(check["scheduled_for"]) + timedelta(minutes=1))
    assert _off_thread(sweep).checks_opened == 1
    task_id = Api(web, "quality").record(reference)["effectiveness_check"]["task_id"]
    quality = signed_in(browser, web, "quality", DESKTOP)  # the earlier session has expired
    quality.goto(f"/tasks/{task_id}")
    expect(quality.locator("#check-actions")).to_contain_text("Batch S-4411 returned")
    expect(quality.locator("#recurrences")).to_contain_text("None")
    check_page(quality, "capa-03-effectiveness-check")
    quality.get_by_label("Effective", exact=True).check()
    quality.get_by_label("Reasoning").fill("No leak reported since the batch was returned.")
    quality.get_by_role("button", name="Record the check").click()
    expect(quality).to_have_url(re.compile(r"/queue$"))
    quality.goto(f"/complaints/{reference}")
    expect(quality.locator("#quality-record")).to_contain_text("complete")
    check_page(quality, "capa-04-quality-record-complete")
