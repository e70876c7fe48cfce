"""The customer's status page follows the customer's language, and switches to another
shipped language by its links (the page's choice: the record keeps its language). In a real
browser (Debian's Chromium driven by Playwright), checked with axe-core."""

import re

import httpx
import pytest
from playwright.sync_api import expect
from sqlmodel import select

from models.customer import Customer
from tests.support import Api
from tests.test_web_browser import DESKTOP, browser, check_page, drain, status_link, web  # noqa: F401
from workflow.db import read_session

pytestmark = pytest.mark.sqlite_leg_only(
    reason="a browser on the pages, whose routes the HTTP tests run on PostgreSQL too"
)


GERMAN_CUSTOMER = {"name": "Jörg Bauer", "email": "joerg@werk.example", "language": "de"}


def test_the_status_page_is_in_german_and_switches_to_french_by_its_link(browser, web, mailbox):  # noqa: F811
    reference = Api(web, "sales").log_complaint(customer=GERMAN_CUSTOMER)["reference"]
    drain()
    link = status_link(mailbox, reference, "Wir haben")
    page = browser.new_context(base_url=web, viewport=DESKTOP).new_page()
    page.goto(link)
    expect(page.locator("html")).to_have_attribute("lang", "de")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Ihre Reklamation {reference}")
    expect(page.locator("#customer-status")).to_have_text("Unsere Qualitätsabteilung prüft sie.")
    german_date = r"eingegangen am \d{1,2}\. (November|Dezember) 2026, \d\d:\d\d"
    expect(page.get_by_text(re.compile(german_date))).to_be_visible()
    check_page(page, "status-de")

    page.get_by_role("link", name="Français").click()
    expect(page).to_have_url(re.compile(r"\?lang=fr$"))
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Votre réclamation {reference}")
    expect(page.locator("#customer-status")).to_have_text("Notre service qualité l\u2019examine.")
    expect(page.get_by_role("navigation", name="Langue")).to_contain_text("Deutsch")
    check_page(page, "status-fr")
    with read_session() as session:
        languages = session.exec(select(Customer.language)).all()
    assert languages == ["de"]  # the page's choice did not change the record


def test_a_language_the_page_is_not_shown_in_is_a_clear_422(web, mailbox):  # noqa: F811
    reference = Api(web, "sales").log_complaint(customer=GERMAN_CUSTOMER)["reference"]
    drain()
    link = status_link(mailbox, reference, "Wir haben")
    answer = httpx.get(f"{link}?lang=tlh")
    assert answer.status_code == 422
    assert "is not one of them" in answer.text
