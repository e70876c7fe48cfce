"""The admin area's deadline policies and history verification over real HTTP: the table, one
policy's form with its refusals in words and its history, the verification's findings, the
403 for other roles and the CSRF check."""

import re

import pytest
from sqlmodel import col, select

from models.history import HistoryEntry
from tests.support import Api
from tests.test_history import HISTORY, triggers_off
from tests.test_web_pages import browser  # noqa: F401  (the signed-in page client)
from workflow.db import read_session

ACKNOWLEDGEMENT = "/admin/policies/edit?step=acknowledgement"
CHANGE = {
    "hours": "2",
    "business_time": "no",
    "reminder_fraction": "0.5",
    "escalation_interval_hours": "1",
    "reason": "Customers wait for our first answer around the clock.",
}


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_the_policies_page_lists_each_policy_with_what_it_governs(browser):  # noqa: F811
    page = browser("admin").client.get("/admin/policies")
    assert page.status_code == 200, page.text
    words = text_of(page.text)
    assert "acknowledgement: any kind, any severity 1 business hours 75 % 1 h default" in words
    assert f'href="{ACKNOWLEDGEMENT}"' in page.text


def test_an_admin_changes_a_policy_with_a_reason_and_sees_its_history(browser, base_url):  # noqa: F811
    admin = browser("admin")
    before = admin.client.get(ACKNOWLEDGEMENT)
    assert before.status_code == 200
    assert "Never changed: the default applies." in before.text
    saved = admin.form(ACKNOWLEDGEMENT, CHANGE)
    assert saved.status_code == 303, saved.text
    assert saved.headers["location"] == ACKNOWLEDGEMENT
    after = text_of(admin.client.get(ACKNOWLEDGEMENT).text)
    assert "Saved: 2 hours around the clock from now on" in after
    assert (
        "admin 1 business hours 2 hours around the clock "
        "Customers wait for our first answer around the clock." in after
    )
    table = text_of(admin.client.get("/admin/policies").text)
    assert (
        "acknowledgement: any kind, any severity 2 hours around the clock 50 % 1 h admin," in table
    )
    (policy,) = [
        p
        for p in Api(base_url, "admin").get("/policies").json()
        if p["step"] == "acknowledgement" and p["kind"] is None and p["severity"] is None
    ]
    assert (policy["hours"], policy["business_time"], policy["reminder_fraction"]) == (
        2,
        False,
        0.5,
    )
    assert policy["source"].startswith("override by admin")


@pytest.mark.parametrize(
    ("field", "value", "words"),
    [
        ("reason", "", "Please say why the policy changes (at least three characters)."),
        ("hours", "0", "Input should be greater than or equal to 0.1"),
        ("hours", "two", "Input should be a valid number"),
        ("reminder_fraction", "1", "Input should be less than 1"),
    ],
)
def test_a_policy_change_the_rules_refuse_is_named_on_the_form(browser, field, value, words):  # noqa: F811
    admin = browser("admin")
    answer = admin.form(ACKNOWLEDGEMENT, {**CHANGE, field: value})
    assert answer.status_code == 422
    assert f'<small class="field-error" id="{field}-error">{words}' in answer.text
    assert "Never changed: the default applies." in answer.text


def test_a_policy_nobody_sets_is_not_found(browser):  # noqa: F811
    answer = browser("admin").client.get("/admin/policies/edit?step=subtask&kind=praise")
    assert answer.status_code == 404
    assert "no deadline policy governs that step" in answer.text


def test_an_admin_verifies_the_history_and_sees_it_intact(browser, base_url):  # noqa: F811
    Api(base_url, "sales").log_complaint()
    admin = browser("admin")
    page = admin.client.get("/admin/history")
    assert page.status_code == 200
    assert "Verify now" in page.text
    result = admin.form("/admin/history/verify", {}, page="/admin/history")
    assert result.status_code == 200
    words = text_of(result.text)
    assert "Intact" in words
    assert re.search(r"Checked [1-9]\d* entries of 1 complaints against \d+ checkpoints", words)


def test_a_rewritten_history_entry_is_named_with_its_complaint(browser, base_url):  # noqa: F811
    reference = Api(base_url, "sales").log_complaint()["reference"]
    with read_session() as session:
        entry = session.exec(select(HistoryEntry).order_by(col(HistoryEntry.chain_seq))).first()
        assert entry is not None
    with triggers_off() as conn:
        conn.execute(HISTORY.update().where(HISTORY.c.id == entry.id).values(reason="forged"))
    result = browser("admin").form("/admin/history/verify", {}, page="/admin/history")
    assert result.status_code == 200
    words = text_of(result.text)
    assert "Problems found" in words
    assert re.search(rf"rewritten entry {entry.chain_seq} {reference}", words), words[-1500:]


@pytest.mark.parametrize("user", ["sales", "quality"])
def test_policies_and_verification_are_refused_to_other_roles(browser, user):  # noqa: F811
    client = browser(user)
    for path in ("/admin/policies", ACKNOWLEDGEMENT, "/admin/history"):
        assert client.client.get(path).status_code == 403, path
    assert client.form(ACKNOWLEDGEMENT, CHANGE, page="/complaints").status_code == 403
    assert client.form("/admin/history/verify", {}, page="/complaints").status_code == 403


@pytest.mark.parametrize("user", ["manager", "gm"])
def test_managers_read_the_policies_and_their_changes_but_cannot_change_them(
    browser,  # noqa: F811
    user,
):
    assert browser("admin").form(ACKNOWLEDGEMENT, CHANGE).status_code == 303
    reader = browser(user)
    start = reader.client.get("/admin")
    assert start.status_code == 200
    assert 'href="/admin/policies"' in start.text
    assert 'href="/admin/users"' not in start.text
    table = reader.client.get("/admin/policies")
    assert table.status_code == 200
    assert "Only an admin changes" in text_of(table.text)
    one = reader.client.get(ACKNOWLEDGEMENT)
    assert one.status_code == 200
    assert 'id="read-only-policy"' in one.text
    assert "<form" not in one.text.split("<main", 1)[1].split("</main>", 1)[0]
    assert CHANGE["reason"] in text_of(one.text)  # the change made above, with its reason
    assert reader.form(ACKNOWLEDGEMENT, CHANGE, page="/admin/policies").status_code == 403
    assert reader.client.get("/admin/history").status_code == 403


def test_policy_and_verification_forms_refuse_a_forged_token(browser):  # noqa: F811
    admin = browser("admin")
    for path, data in ((ACKNOWLEDGEMENT, CHANGE), ("/admin/history/verify", {})):
        answer = admin.client.post(path, data={**data, "csrf_token": "forged"})
        assert answer.status_code == 403, path
        assert "did not come from this site" in answer.text
    assert "Never changed" in admin.client.get(ACKNOWLEDGEMENT).text
