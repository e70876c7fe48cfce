"""Admins manage staff accounts over real HTTP, and one-time links mailed through the real
SMTP catcher let people choose their password."""

import re
from datetime import timedelta

import httpx
import pytest
from sqlmodel import select

from api.ratelimit import reset_rate_limits
from models.notification import NoticeKind, Notification
from models.user_admin import AccountUpdate, PasswordResetToken
from tests.support import Api, drain_outbox, freeze_at, mail_body
from tests.test_web_pages import Browser
from workflow.clock import utcnow
from workflow.config import get_settings
from workflow.db import read_session, write_session
from workflow.errors import RuleViolation
from workflow.rules import Actor
from workflow.user_accounts import update_account

NEW_PASSWORD = "violet-harbour-lantern"
TOM = {
    "username": "tom",
    "full_name": "Tom Technical",
    "email": "tom@example.com",
    "role": "technical",
    "department": "technical",
}


@pytest.fixture
def web(base_url, monkeypatch):
    monkeypatch.setenv("CW_PUBLIC_BASE_URL", base_url)
    get_settings.cache_clear()
    reset_rate_limits()
    yield base_url
    reset_rate_limits()


def _link_in_mail(mailbox, address: str) -> str:
    mails = [m for m in mailbox.snapshot() if m["To"] == address]
    assert len(mails) == 1, [(m["To"], m["Subject"]) for m in mailbox.snapshot()]
    links = set(
        re.findall(r"https?://[^\s\"<>]+/password-reset/[A-Za-z0-9_-]+", mail_body(mails[0]))
    )
    assert len(links) == 1, links
    return links.pop()


def _without_csrf(page: str) -> str:
    return re.sub(r'"X-CSRF-Token": "[^"]+"', "", page)


def _choose_password(web: str, link: str, password: str = NEW_PASSWORD) -> httpx.Response:
    path = link.removeprefix(web)
    return Browser(web).form(path, {"password": password, "repeat": password})


def _sign_in(web: str, username: str, password: str) -> int:
    answer = httpx.post(
        f"{web}/api/v1/auth/token", data={"username": username, "password": password}
    )
    return answer.status_code


def test_a_new_account_gets_a_mailed_link_chooses_a_password_and_signs_in(web, mailbox):
    admin = Api(web, "admin")
    created = admin.post("/admin/users", json=TOM)
    assert created.status_code == 201, created.text
    answer = created.json()
    assert answer["password_link"]["sent_to"] == "tom@example.com"
    assert answer["account"]["is_active"] is True
    assert "hashed_password" not in answer["account"]
    assert _sign_in(web, "tom", "demo") == 401  # no password of theirs yet

    drain_outbox()
    link = _link_in_mail(mailbox, "tom@example.com")
    token = link.rsplit("/", 1)[1]
    with read_session() as session:
        notices = session.exec(
            select(Notification).where(Notification.kind == NoticeKind.password_reset)
        ).all()
        rows = session.exec(select(PasswordResetToken)).all()
    assert [n.status for n in notices] == ["sent"]
    assert token not in (notices[0].body_html or "")
    assert token not in notices[0].body_text
    assert all(token not in (r.token_hash, r.nonce) for r in rows)

    page = httpx.get(link)
    assert page.status_code == 200
    assert "Choose your password" in page.text
    assert token not in page.text  # the form posts to its own address
    assert _choose_password(web, link).status_code == 303
    assert _sign_in(web, "tom", NEW_PASSWORD) == 200

    user_id = answer["account"]["id"]
    changes = admin.get(f"/admin/users/{user_id}/changes").json()
    assert [c["action"] for c in changes] == ["password_set", "password_link_sent", "created"]
    assert changes[2]["actor"] == "admin"
    assert changes[0]["actor"] == "tom"


def test_a_password_set_by_link_ends_old_sessions_and_the_link_works_once(web, mailbox):
    signed_in = Browser(web)
    assert signed_in.sign_in("technical").status_code == 303
    assert signed_in.client.get("/queue").status_code == 200
    admin = Api(web, "admin")
    technical_id = next(
        u["id"] for u in admin.get("/admin/users").json() if u["username"] == "technical"
    )

    sent = admin.post(f"/admin/users/{technical_id}/password-reset")
    assert sent.status_code == 200, sent.text
    assert sent.json()["sent_to"] == "technical@example.com"
    drain_outbox()
    link = _link_in_mail(mailbox, "technical@example.com")

    assert _choose_password(web, link).status_code == 303
    assert signed_in.client.get("/queue").status_code == 303  # back to the sign-in
    assert _sign_in(web, "technical", "demo") == 401
    assert _sign_in(web, "technical", NEW_PASSWORD) == 200

    again = _choose_password(web, link, "another-quiet-meadow")
    assert again.status_code == 404
    assert "This link does not work" in again.text
    assert _sign_in(web, "technical", NEW_PASSWORD) == 200


def test_a_new_link_voids_the_one_sent_before(web, mailbox):
    admin = Api(web, "admin")
    user_id = admin.post("/admin/users", json=TOM).json()["account"]["id"]
    drain_outbox()
    first = _link_in_mail(mailbox, "tom@example.com")
    mailbox.messages.clear()
    assert admin.post(f"/admin/users/{user_id}/password-reset").status_code == 200
    drain_outbox()
    second = _link_in_mail(mailbox, "tom@example.com")
    assert first != second
    assert httpx.get(first).status_code == 404
    assert httpx.get(second).status_code == 200


def test_an_expired_link_gets_the_same_page_as_an_unknown_one(web, mailbox):
    start = utcnow()
    freeze_at(start)
    admin = Api(web, "admin")
    created = admin.post("/admin/users", json=TOM).json()
    assert created["password_link"]["expires_at"].startswith(
        (start + timedelta(hours=24)).strftime("%Y-%m-%dT%H:%M")
    )
    drain_outbox()
    link = _link_in_mail(mailbox, "tom@example.com")
    freeze_at(start + timedelta(hours=23, minutes=59))
    assert httpx.get(link).status_code == 200
    freeze_at(start + timedelta(hours=24, minutes=1))
    expired = httpx.get(link)
    unknown = httpx.get(f"{web}/password-reset/not-a-token-we-sent")
    assert expired.status_code == unknown.status_code == 404
    assert "This link does not work" in expired.text
    assert _without_csrf(expired.text) == _without_csrf(unknown.text)  # no hint which
    assert _choose_password(web, link).status_code == 404


def test_a_weak_password_is_refused_on_the_page_in_words(web, mailbox):
    Api(web, "admin").post("/admin/users", json=TOM)
    drain_outbox()
    link = _link_in_mail(mailbox, "tom@example.com")
    weak = _choose_password(web, link, "password1234")
    assert weak.status_code == 422
    assert "one of the most common passwords" in weak.text
    short = _choose_password(web, link, "short")
    assert "at least 12 characters" in short.text
    differ = Browser(web).form(
        link.removeprefix(web), {"password": NEW_PASSWORD, "repeat": NEW_PASSWORD + "x"}
    )
    assert differ.status_code == 422
    assert "the two passwords differ" in differ.text
    assert _choose_password(web, link).status_code == 303  # the link was not spent


def test_tries_of_unknown_links_are_limited_like_sign_ins(web, monkeypatch):
    monkeypatch.setenv("CW_FAILED_LOGIN_RATE", "3/minute")
    get_settings.cache_clear()
    tries = [httpx.get(f"{web}/password-reset/guess-{n}").status_code for n in range(4)]
    assert tries == [404, 404, 404, 429]


def test_only_admins_manage_users_and_refusals_say_why(web):
    assert Api(web, "manager").get("/admin/users").status_code == 403
    assert Api(web, "quality").post("/admin/users", json=TOM).status_code == 403
    admin = Api(web, "admin")
    me = admin.get("/auth/me").json()

    own = admin.patch(f"/admin/users/{me['id']}", json={"active": False})
    assert own.status_code == 409
    assert "cannot deactivate your own account" in own.json()["detail"]
    demote = admin.patch(f"/admin/users/{me['id']}", json={"role": "quality"})
    assert demote.status_code == 409
    assert admin.post("/admin/users", json={**TOM, "username": "sales"}).status_code == 409
    bad = admin.post("/admin/users", json={**TOM, "email": "not-an-address"})
    assert bad.status_code == 422
    assert admin.patch("/admin/users/999999", json={"full_name": "X"}).status_code == 404
    assert admin.get("/auth/me").json()["role"] == "admin"


def test_the_last_active_admin_cannot_be_removed(web):
    admin = Api(web, "admin")
    users = admin.get("/admin/users", params={"role": "admin"}).json()
    assert [u["username"] for u in users] == ["admin"]
    admin_id = users[0]["id"]
    # Another admin's session could not reach it (it would not be the last); a tool that
    # acts as the system (the CLI) is refused all the same.
    with write_session() as session, pytest.raises(RuleViolation, match="last active admin"):
        update_account(
            session,
            actor=Actor(name="cli", role="admin"),
            user_id=admin_id,
            update=AccountUpdate(active=False),
        )
    second = admin.post("/admin/users", json={**TOM, "username": "ada2", "role": "admin"})
    second_id = second.json()["account"]["id"]
    demoted = admin.patch(f"/admin/users/{second_id}", json={"role": "quality"})
    assert demoted.status_code == 200
    assert demoted.json()["role"] == "quality"


def test_deactivating_ends_the_users_sessions_and_is_logged_with_the_reason(web):
    signed_in = Browser(web)
    assert signed_in.sign_in("technical").status_code == 303
    admin = Api(web, "admin")
    technical = admin.get("/admin/users", params={"department": "technical"}).json()
    assert [u["username"] for u in technical] == ["technical"]
    changed = admin.patch(
        f"/admin/users/{technical[0]['id']}", json={"active": False, "reason": "Left the company."}
    )
    assert changed.status_code == 200
    assert changed.json()["is_active"] is False
    assert signed_in.client.get("/queue").status_code == 303
    assert _sign_in(web, "technical", "demo") == 401
    assert [u["username"] for u in admin.get("/admin/users", params={"active": False}).json()] == [
        "technical"
    ]
    log = admin.get(f"/admin/users/{technical[0]['id']}/changes").json()
    assert log[0]["changes"] == {"is_active": {"old": True, "new": False}}
    assert log[0]["reason"] == "Left the company."
    refused = admin.post(f"/admin/users/{technical[0]['id']}/password-reset")
    assert refused.status_code == 409
    assert "deactivated" in refused.json()["detail"]
