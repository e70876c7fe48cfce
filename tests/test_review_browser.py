"""A special contract through the review pages in a real browser (Chromium): sales start it
in the form, each of the five departments claims and answers its part on the review page,
sales record the review meeting, the general manager approves it on the approvals page, and
the review page shows it accepted with its contract. axe-core checks the form and the review
page."""

import re

import pytest
from playwright.sync_api import Page, expect

from tests.support import Api
from tests.test_contract_review import FIVE, start
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


def start_special_contract(sales: Page) -> str:
    sales.get_by_role("link", name="Contract reviews").click()
    sales.get_by_role("button", name="Start a review").click()
    expect(sales.locator("h1")).to_have_text("Start a contract review")
    form = sales.locator("#review-form")
    form.get_by_label("Name", exact=True).fill("Ines Ortega")
    form.get_by_label("Company", exact=True).fill("Bombas Ortega SL")
    form.get_by_label("E-mail", exact=True).fill("ines@ortega.example")
    form.get_by_label("Kind").select_option("contract")
    form.get_by_label("Received by").select_option("email")
    form.get_by_label("Title").fill("Supply of 6,000 P-200 pumps, 2027 to 2029")
    form.get_by_label("Value", exact=True).fill("1250000.00")
    form.get_by_label("Requirements, in the customer's words").fill(
        "P-200 to drawing 4711 rev C; 500 pumps a quarter; pallets of 20."
    )
    form.get_by_label("Exceeds capacity").check()
    for department in FIVE:  # all five are asked by default
        expect(
            form.get_by_role("checkbox", name=re.compile(f"^{department}", re.I))
        ).to_be_checked()
    check_page(sales, "review-01-start-form")
    form.get_by_role("button", name="Start the review").click()
    expect(sales).to_have_url(re.compile(r"/reviews/CR-\d{4}-\d+$"))
    expect(sales.locator("#special-criteria")).to_contain_text("exceeds capacity, high value")
    return sales.url.rsplit("/", 1)[1]


def owner(department: str) -> str:
    return f"{department}'" if department.endswith("s") else f"{department}'s"


def answer_on_the_page(page: Page, department: str) -> None:
    name = owner(department).capitalize()
    task = page.get_by_role("region", name=f"{name} review")
    task.get_by_role("button", name=f"Claim {owner(department)} review").click()
    expect(page.get_by_role("status").first).to_contain_text("is yours now")
    form = page.locator("#answer-form")
    questions = form.locator("fieldset.review-question")
    for index in range(questions.count()):
        questions.nth(index).get_by_label("Yes").check()
    form.get_by_label("Can meet", exact=True).check()
    form.get_by_role("button", name=f"Send {owner(department)} answer").click()
    expect(page.get_by_role("status").first).to_contain_text(f"{name} answer is recorded")
    expect(page.locator("#answer-form")).to_have_count(0)


def test_a_special_contract_is_started_reviewed_met_and_approved_on_the_pages(browser, web):  # noqa: F811
    sales = signed_in(browser, web, "sales", DESKTOP)
    reference = start_special_contract(sales)
    drain()  # each department's task opens

    for department in FIVE:
        worker = signed_in(browser, web, department, DESKTOP)
        worker.goto("/queue")
        reviews = worker.get_by_role("region", name="Contract reviews to answer")
        reviews.get_by_role("link", name=reference).click()
        expect(worker).to_have_url(re.compile(f"/reviews/{reference}$"))
        if department == "quality":
            check_page(worker, "review-02-department-answers")
        answer_on_the_page(worker, department)
        worker.context.close()
    drain()  # the round is complete: sales' decision waits

    sales.reload()
    expect(sales.locator("#review-status")).to_have_text("with sales")
    expect(sales.locator("#accept-form")).to_have_count(0)  # special: the GM's decision
    meeting = sales.locator("#meeting-form")
    meeting.get_by_label("Attendees, one a line").fill("Sam Sales\nGrace General-Manager")
    meeting.get_by_label("Minutes").fill("Capacity confirmed with the second line from April.")
    meeting.get_by_role("button", name="Record the meeting").click()
    expect(sales.locator("#review-status")).to_have_text("awaiting approval")
    drain()  # the general manager is told

    gm = signed_in(browser, web, "gm", DESKTOP)
    gm.get_by_role("link", name="Approvals").click()
    expect(gm.get_by_role("heading", name=re.compile(reference))).to_be_visible()
    check_page(gm, "review-03-approvals")
    gm.get_by_role("button", name=f"Approve {reference}").click()
    expect(gm.get_by_role("status").first).to_contain_text(f"{reference}: Approved")
    expect(gm.get_by_text("Nothing waits for your approval.")).to_be_visible()

    gm.goto(f"/reviews/{reference}")
    expect(gm.locator("#review-status")).to_have_text("accepted")
    expect(gm.locator("#contract-reference")).to_contain_text(re.compile(r"CT-\d{4}-\d+"))
    expect(gm.locator("#customer-answer")).to_have_text("accepted")
    check_page(gm, "review-04-accepted")


def test_the_form_and_a_departments_review_page_on_a_phone(browser, web):  # noqa: F811
    sales = signed_in(browser, web, "sales", PHONE)
    sales.goto("/reviews/new")
    check_page(sales, "review-05-start-form-390")
    reference = start(Api(web, "sales"))["reference"]
    drain()
    production = signed_in(browser, web, "production", PHONE)
    production.goto(f"/reviews/{reference}")
    expect(production.locator("#answer-form")).to_be_visible()
    check_page(production, "review-06-department-answers-390")
    sales.goto("/reviews")
    expect(sales.get_by_role("link", name=reference)).to_be_visible()
    check_page(sales, "review-07-list-390")
