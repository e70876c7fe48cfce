"""The company profile: its name, logo, signature and contact details on every customer mail
and page, changed by admins through the API (with a reason in the change log), seen by the
next mail any process sends. Real SMTP catcher, real HTTP, a real relay process."""

import hashlib
from email.message import Message
from email.utils import parseaddr

import httpx
import pytest

from models.notification import NoticeKind
from notifications.templates import render_notice
from tests.faults import start_relay, stop
from tests.support import drain_outbox, wait_for
from tests.test_web_browser import tiny_png
from workflow.company import current_company
from workflow.config import get_settings
from workflow.languages import SHIPPED_LANGUAGES

PROFILE = {
    "name": "Acme Pumps GmbH",
    "address": "Industriestr. 5\n12345 Musterstadt",
    "phone": "+49 30 1234567",
    "email": "service@acme.example",
    "website": "https://acme.example",
    "signature": "Kind regards,\nyour Acme customer service",
    "mail_display_name": "Acme Customer Service",
    "reason": "Our details for customers",
}
FOOT = ("your Acme customer service", "Acme Pumps GmbH", "Industriestr. 5", "12345 Musterstadt",
        "+49 30 1234567", "service@acme.example", "https://acme.example")  # fmt: skip


def set_profile(admin, **overrides: str) -> dict:
    answer = admin.put("/admin/company", json={**PROFILE, **overrides})
    assert answer.status_code == 200, answer.text
    return answer.json()


def set_logo(admin, data: bytes) -> httpx.Response:
    return admin.put(
        "/admin/company/logo",
        params={"reason": "The new logo"},
        content=data,
        headers={"Content-Type": "image/png"},
    )


def parts(mail: Message) -> dict[str, str]:
    """The mail's text and HTML parts, decoded."""
    found = {}
    for part in mail.walk():
        if part.get_content_type() in ("text/plain", "text/html"):
            payload = part.get_payload(decode=True)
            assert isinstance(payload, bytes)
            found[part.get_content_type()] = payload.decode(part.get_content_charset() or "utf-8")
    return found


def acknowledgements(mailbox, reference: str) -> list[Message]:
    return [
        m
        for m in mailbox.snapshot()
        if m["To"] == "jane@acme.example" and reference in str(m["Subject"])
    ]


def test_an_acknowledgement_carries_the_display_name_the_signature_in_both_parts_and_the_logo(
    as_user, mailbox
):
    admin = as_user("admin")
    set_profile(admin)
    assert set_logo(admin, tiny_png()).status_code == 200
    reference = as_user("sales").log_complaint()["reference"]
    drain_outbox()

    [mail] = acknowledgements(mailbox, reference)
    assert parseaddr(mail["From"]) == ("Acme Customer Service", get_settings().mail_from)
    body = parts(mail)
    for line in FOOT:
        assert line in body["text/plain"], line
        assert line in body["text/html"], line
    digest = hashlib.sha256(tiny_png()).hexdigest()
    logo = f'<img src="{get_settings().public_base_url.rstrip("/")}/company/logo?v={digest[:16]}"'
    assert logo in body["text/html"]
    # Staff mails carry no customer signature.
    staff = [m for m in mailbox.snapshot() if m["To"] != "jane@acme.example"]
    assert staff
    assert all("Industriestr. 5" not in parts(m)["text/html"] for m in staff)


def test_the_signature_is_at_the_foot_of_the_mail_in_every_language_the_mails_speak(as_user):
    set_profile(as_user("admin"))
    for language in SHIPPED_LANGUAGES:
        context = {
            "reference": "CMP-2026-00001",
            "kind": "complaint",
            "investigated": True,
            "product": "Pump",
            "description": "Leaks",
            "customer_name": "Jane",
            "reply_due_at": None,
            "status_url": None,
            "language": language,
            "time_zone": "UTC",
            "company": current_company(),
        }
        rendered = render_notice(NoticeKind.acknowledgement, context)
        for body in (rendered.body_text, rendered.body_html):
            foot = body[body.index("Kind regards") :]
            assert all(line in foot for line in FOOT), (language, foot)


def test_an_empty_profile_falls_back_to_the_settings(as_user, mailbox):
    profile = as_user("admin").get("/admin/company").json()
    assert profile["name"] == ""
    assert profile["in_use"]["name"] == get_settings().company_name
    assert profile["logo_url"] is None
    reference = as_user("sales").log_complaint()["reference"]
    drain_outbox()
    [mail] = acknowledgements(mailbox, reference)
    assert parseaddr(mail["From"])[0] == get_settings().company_name


def test_a_change_through_the_api_shows_in_the_next_mail_the_relay_process_sends(as_user, mailbox):
    admin, sales = as_user("admin"), as_user("sales")
    set_profile(admin, name="Before GmbH", mail_display_name="")
    relay = start_relay()
    try:
        first = sales.log_complaint()["reference"]
        [before] = wait_for(lambda: acknowledgements(mailbox, first), timeout=120)
        set_profile(admin, name="After AG", mail_display_name="", signature="Yours, After AG")
        second = sales.log_complaint()["reference"]
        [after] = wait_for(lambda: acknowledgements(mailbox, second), timeout=120)
    finally:
        stop(relay)
    assert parseaddr(before["From"])[0] == "Before GmbH"
    assert parseaddr(after["From"])[0] == "After AG"
    assert "Yours, After AG" in parts(after)["text/plain"]
    assert "Yours, After AG" in parts(after)["text/html"]


def test_every_change_is_in_the_change_log_with_who_what_and_why(as_user):
    admin = as_user("admin")
    set_profile(admin)
    set_profile(admin, phone="+49 30 7654321", reason="New switchboard")
    changes = admin.get("/admin/company/changes").json()
    assert changes[0]["actor"] == "admin"
    assert changes[0]["reason"] == "New switchboard"
    assert changes[0]["changes"] == {"phone": {"old": "+49 30 1234567", "new": "+49 30 7654321"}}
    assert changes[0]["action"] == "company_profile_changed"
    assert changes[1]["changes"]["name"] == {"old": "", "new": "Acme Pumps GmbH"}


SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (SVG, "the logo must be a PNG or JPEG image (SVG is not taken)"),
        (b"", "the logo file is empty"),
        (tiny_png() + b"\0" * 600_000, "at most 512 KB"),
    ],
    ids=["svg", "empty", "too-large"],
)
def test_a_logo_that_is_not_a_small_png_or_jpeg_is_refused_in_words(as_user, data, words):
    answer = set_logo(as_user("admin"), data)
    assert answer.status_code == 422, answer.text
    assert words in answer.text
    assert as_user("admin").get("/admin/company").json()["logo_url"] is None


@pytest.mark.parametrize(
    ("field", "value", "words"),
    [
        ("website", "javascript:alert(1)", "the website must be an address starting https://"),
        ("email", "not an address", "the e-mail must be an address"),
        ("mail_display_name", "Evil\r\nBcc: x@example.com", "String should match pattern"),
        ("reason", "", "at least 3 characters"),
    ],
)
def test_a_profile_with_a_bad_field_is_refused_in_words(as_user, field, value, words):
    answer = as_user("admin").put("/admin/company", json={**PROFILE, field: value})
    assert answer.status_code == 422, answer.text
    assert words in answer.text
    assert field in str(answer.json()["detail"])


@pytest.mark.parametrize("role", ["sales", "quality", "manager", "gm"])
def test_only_admins_may_read_or_change_the_profile(as_user, role):
    client = as_user(role)
    assert client.get("/admin/company").status_code == 403
    assert client.put("/admin/company", json=PROFILE).status_code == 403
    assert set_logo(client, tiny_png()).status_code == 403


def test_the_logo_is_served_publicly_with_caching_headers(as_user, base_url):
    assert httpx.get(f"{base_url}/company/logo").status_code == 404
    assert set_logo(as_user("admin"), tiny_png()).status_code == 200
    digest = hashlib.sha256(tiny_png()).hexdigest()
    versioned = httpx.get(f"{base_url}/company/logo", params={"v": digest[:16]})
    assert versioned.status_code == 200
    assert versioned.content == tiny_png()
    assert versioned.headers["content-type"] == "image/png"
    assert versioned.headers["cache-control"] == "public, max-age=31536000, immutable"
    plain = httpx.get(f"{base_url}/company/logo")
    assert plain.headers["cache-control"] == "public, max-age=300"
    again = httpx.get(f"{base_url}/company/logo", headers={"If-None-Match": plain.headers["etag"]})
    assert again.status_code == 304


def test_the_status_page_shows_the_companys_name_and_logo(as_user, base_url, mailbox):
    from tests.test_satisfaction import status_link

    admin = as_user("admin")
    set_profile(admin)
    set_logo(admin, tiny_png())
    reference = as_user("sales").log_complaint()["reference"]
    drain_outbox()
    page = httpx.get(f"{base_url}{status_link(reference)}")
    assert page.status_code == 200
    assert "<strong>Acme Pumps GmbH</strong>" in page.text
    digest = hashlib.sha256(tiny_png()).hexdigest()
    assert f'src="/company/logo?v={digest[:16]}"' in page.text
    assert "<title>" in page.text
    assert "· Acme Pumps GmbH</title>" in page.text
