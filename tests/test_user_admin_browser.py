"""The users page and the one-time password page in a real browser (Chromium via Playwright,
axe-core), at a desk and on a phone: an admin creates an account, the new colleague chooses
a password from the mailed link on their phone and signs in, the admin deactivates them."""

import re

import pytest
from playwright.sync_api import Page, expect

from tests.test_user_admin import _link_in_mail
from tests.test_web_browser import DESKTOP, PHONE, browser, check_page, drain, signed_in, web

pytestmark = pytest.mark.sqlite_leg_only(
    reason="a browser on the pages, whose routes the HTTP tests run on PostgreSQL too"
)


__all__ = ["browser", "web"]  # the fixtures this module borrows

NEW_PASSWORD = "violet-harbour-lantern"


def _no_sideways_scroll(page: Page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def _create_tom(admin: Page) -> None:
    admin.get_by_label("Username").fill("tom")
    admin.get_by_label("Full name").fill("Tom Technical")
    admin.get_by_label("E-mail").fill("tom@example.com")
    admin.get_by_label("Role").select_option("technical")
    admin.get_by_label("Department").select_option("technical")
    admin.get_by_role("button", name="Create account").click()


def test_an_admin_creates_an_account_and_the_colleague_sets_a_password_on_a_phone(
    browser, web, mailbox
):
    admin = signed_in(browser, web, "admin", DESKTOP)
    admin.goto("/admin/users")
    expect(admin.locator("#users")).to_contain_text("Grace General-Manager")
    check_page(admin, "40-users-desktop")
    _create_tom(admin)
    expect(admin.get_by_text("Account tom created")).to_contain_text("tom@example.com")
    expect(admin).to_have_url(re.compile(r"/admin/users/\d+$"))
    check_page(admin, "41-user-edit-desktop")

    drain()
    link = _link_in_mail(mailbox, "tom@example.com")
    phone = browser.new_context(base_url=web, viewport=PHONE).new_page()
    phone.goto(link)
    expect(phone.get_by_role("heading", name="Choose your password")).to_be_visible()
    _no_sideways_scroll(phone)
    check_page(phone, "42-password-link-phone")
    phone.get_by_label("New password").fill("password1234")
    phone.get_by_label("The same password again").fill("password1234")
    phone.get_by_role("button", name="Save password").click()
    expect(phone.locator("#password-error")).to_contain_text("most common passwords")
    phone.get_by_label("New password").fill(NEW_PASSWORD)
    phone.get_by_label("The same password again").fill(NEW_PASSWORD)
    phone.get_by_role("button", name="Save password").click()
    expect(phone.get_by_text("Your password is saved")).to_be_visible()
    phone.get_by_label("Username").fill("tom")
    phone.get_by_label("Password").fill(NEW_PASSWORD)
    phone.get_by_role("button", name="Sign in").click()
    expect(phone.get_by_role("button", name="Sign out tom")).to_be_visible()

    phone.goto(link)
    expect(phone.get_by_role("heading", name="This link does not work")).to_be_visible()

    admin.get_by_role("button", name="Send a password-reset link").click()
    expect(
        admin.get_by_text("A one-time password link was mailed to tom@example.com")
    ).to_be_visible()
    expect(admin.locator("#changes")).to_contain_text("password set")


def test_on_a_phone_the_users_are_cards_and_refusals_are_in_words(browser, web):
    admin = signed_in(browser, web, "admin", PHONE)
    admin.goto("/admin/users")
    _no_sideways_scroll(admin)
    check_page(admin, "43-users-phone")
    admin.get_by_label("Username").fill("sales")
    admin.get_by_label("Full name").fill("Another Sales")
    admin.get_by_label("E-mail").fill("another@example.com")
    admin.get_by_label("Role").select_option("sales")
    admin.get_by_role("button", name="Create account").click()
    expect(admin.locator("#username-error")).to_contain_text("user sales exists")

    admin.get_by_role("link", name="admin", exact=True).click()
    admin.get_by_label("Deactivated (ends their sessions now)").check()
    _no_sideways_scroll(admin)
    check_page(admin, "44-user-edit-phone")
    admin.get_by_role("button", name="Save").click()
    expect(admin.locator("#form-error")).to_contain_text("cannot deactivate your own account")

    admin.goto("/admin/users")
    admin.get_by_role("link", name="technical", exact=True).click()
    admin.get_by_label("Deactivated (ends their sessions now)").check()
    admin.get_by_label("Why (kept in the account's log)").fill("Left the company.")
    admin.get_by_role("button", name="Save").click()
    expect(admin.locator("#account-state")).to_contain_text("Deactivated")
    expect(admin.locator("#changes")).to_contain_text("Left the company.")

    manager = signed_in(browser, web, "manager", DESKTOP)
    answer = manager.goto("/admin/users")
    assert answer is not None
    assert answer.status == 403
