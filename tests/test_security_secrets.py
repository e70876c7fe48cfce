"""Secrets that must not reach staff or the database: the customer's status token (only the
customer's mail carries it), the SMTP password (built into the transport at send time);
and the resolution preview sales approve is the mail the customer receives."""

import re
from pathlib import Path

import httpx
import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from markupsafe import escape
from sqlalchemy import String, Text, inspect, text
from sqlmodel import col, select, update

from models.complaint import Complaint
from models.notification import NoticeKind, NoticeStatus, Notification
from models.outbox import OutboxEvent
from models.resolution import Resolution
from notifications.smtp_catcher import MailStore
from tests.support import Api, drain_outbox, free_port, quality_result
from tests.test_web_pages import Browser
from workflow import db
from workflow.config import get_settings
from workflow.notices import resolution_preview
from workflow.routing import handle_event

ROLES = ("sales", "quality", "technical", "manager", "gm", "admin")
LINK_ROLES = {"sales", "admin"}  # the complaint page shows them the link, on purpose


def _complaint(reference: str) -> Complaint:
    with db.read_session() as session:
        return session.exec(select(Complaint).where(Complaint.reference == reference)).one()


def _to_sales_review(base_url: str) -> str:
    sales, quality = Api(base_url, "sales"), Api(base_url, "quality")
    reference = sales.log_complaint()["reference"]
    drain_outbox()
    task = quality.open_task(reference, "quality_assessment")
    assert quality.post(f"/tasks/{task['id']}/complete", json=quality_result()).status_code == 200
    drain_outbox()
    return reference


def _approve(base_url: str, reference: str) -> None:
    sales = Api(base_url, "sales")
    review = sales.open_task(reference, "sales_review")
    done = sales.post(
        f"/tasks/{review['id']}/complete", json={"kind": "sales_review", "approved": True}
    )
    assert done.status_code == 200, done.text
    drain_outbox()


def _part(message, content_type: str) -> str:
    """One part as the reader sees it (SMTP carries lines ending in CRLF)."""
    (part,) = [p for p in message.walk() if p.get_content_type() == content_type]
    raw = part.get_payload(decode=True).decode(part.get_content_charset() or "utf-8")
    return raw.replace("\r\n", "\n")


def _text_part(message) -> str:
    return _part(message, "text/plain")


def _mails_of(mailbox, kind: NoticeKind) -> list:
    with db.read_session() as session:
        ids = {
            str(i) for i in session.exec(select(Notification.id).where(Notification.kind == kind))
        }
    return [m for m in mailbox.snapshot() if m["X-Notice-Id"] in ids]


def _staff_answers(base_url: str, reference: str, role: str) -> dict[str, str]:
    """Every answer a staff user of ``role`` gets about the complaint, by where it came from."""
    api, web = Api(base_url, role), Browser(base_url)
    try:
        assert web.sign_in(role).status_code == 303
        answers = {"api record": api.get(f"/complaints/{reference}").text}
        answers["api held notices"] = api.get("/admin/notices/held").text
        answers["web complaint page"] = web.client.get(f"/complaints/{reference}").text
        for task in api.record(reference)["tasks"]:
            answers[f"web task {task['id']} ({task['kind']})"] = web.client.get(
                f"/tasks/{task['id']}"
            ).text
        answers["web review queue"] = web.client.get("/review").text
        return answers
    finally:
        api.close()
        web.client.close()


def test_no_staff_answer_carries_the_customer_token_and_the_customer_link_still_works(
    base_url, mailbox
):
    reference = _to_sales_review(base_url)
    _approve(base_url, reference)
    token = _complaint(reference).status_token
    assert token is not None
    with db.write_session() as session:  # one held notice, for the admins' list
        session.exec(
            update(Notification)
            .where(col(Notification.kind) == NoticeKind.acknowledgement)
            .values(status=NoticeStatus.unknown)
        )
        session.commit()

    for role in ROLES:
        answers = _staff_answers(base_url, reference, role)
        if role in LINK_ROLES:  # the page and the sales review's preview show the link
            answers.pop("web complaint page")
            answers = {k: v for k, v in answers.items() if not k.endswith("(sales_review)")}
        leaking = [where for where, body in answers.items() if token in body]
        assert leaking == [], role
    assert "[customer-only]" in Api(base_url, "admin").get("/admin/notices/held").text

    for kind in (NoticeKind.acknowledgement, NoticeKind.resolution):
        (mail,) = _mails_of(mailbox, kind)
        links = set(re.findall(r"https?://\S+/status/[A-Za-z0-9_-]+", _text_part(mail)))
        assert links == {f"{get_settings().public_base_url}/status/{token}"}, kind
    page = httpx.get(f"{base_url}/status/{token}")
    assert page.status_code == 200
    assert reference in page.text


def test_the_resolution_preview_is_the_mail_the_customer_receives(base_url, mailbox):
    reference = _to_sales_review(base_url)
    with db.read_session() as session:
        complaint = session.exec(select(Complaint).where(Complaint.reference == reference)).one()
        resolution = session.exec(
            select(Resolution).where(Resolution.complaint_id == complaint.id)
        ).one()
        preview = resolution_preview(session, complaint, resolution, with_status_link=True)
        withheld = resolution_preview(session, complaint, resolution)
    sales = Browser(base_url)
    assert sales.sign_in("sales").status_code == 303
    review = Api(base_url, "sales").open_task(reference, "sales_review")
    page = sales.client.get(f"/tasks/{review['id']}").text
    assert str(escape(preview.body_text)) in page  # the review page shows both parts
    assert f'srcdoc="{escape(preview.body_html)}"' in page
    _approve(base_url, reference)

    (mail,) = _mails_of(mailbox, NoticeKind.resolution)
    assert mail["Subject"] == preview.subject
    assert _text_part(mail) == preview.body_text
    assert _part(mail, "text/html") == preview.body_html  # both parts, byte for byte
    assert complaint.status_token is not None
    link = f"/status/{complaint.status_token}"
    assert link in preview.body_text
    assert "A faulty seal batch caused the leak" in preview.body_text
    assert complaint.status_token not in withheld.body_text  # for roles without the link
    assert withheld.body_text == preview.body_text.replace(
        complaint.status_token, "[customer-only]"
    )


class RecordsLogins(MailStore):
    def __init__(self) -> None:
        super().__init__(None)
        self.passwords: list[str] = []

    def authenticate(self, server, session, envelope, mechanism, auth_data) -> AuthResult:
        self.passwords.append(auth_data.password.decode())
        return AuthResult(success=True)


@pytest.fixture
def smtp_with_login(settings, monkeypatch):
    store, port = RecordsLogins(), free_port()
    controller = Controller(
        store,
        hostname="127.0.0.1",
        port=port,
        authenticator=store.authenticate,
        auth_require_tls=False,
    )
    controller.start()
    monkeypatch.setenv("CW_SMTP_PORT", str(port))
    monkeypatch.setenv("CW_SMTP_USER", "relay-user")
    monkeypatch.setenv("CW_SMTP_PASSWORD", "First-Secret-4711")
    get_settings.cache_clear()
    yield store
    controller.stop()


def _stored_text_containing(needle: str) -> list[str]:
    """Every text column of every table, searched on the server (SQLite and PostgreSQL)."""
    found = []
    with db.read_session() as session:
        inspector = inspect(session.connection())
        for table in inspector.get_table_names():
            for column in inspector.get_columns(table):
                if not isinstance(column["type"], String | Text):
                    continue
                query = text(f'SELECT COUNT(*) FROM "{table}" WHERE "{column["name"]}" LIKE :n')  # noqa: S608
                if session.execute(query, {"n": f"%{needle}%"}).scalar_one():
                    found.append(f"{table}.{column['name']}")
    return found


def _raw_database_files() -> bytes:
    if not get_settings().sqlalchemy_url.startswith("sqlite"):
        return b""
    path = Path(get_settings().var_dir) / "complaints.db"
    return b"".join(p.read_bytes() for p in (path, Path(f"{path}-wal")) if p.exists())


def test_no_smtp_password_is_stored_and_a_changed_one_reaches_queued_notices(
    base_url, smtp_with_login, monkeypatch
):
    reference = Api(base_url, "sales").log_complaint()["reference"]
    with db.read_session() as session:
        (event_id,) = session.exec(select(OutboxEvent.id)).all()
    assert handle_event(event_id)  # routed: notices queued, none sent yet

    monkeypatch.setenv("CW_SMTP_PASSWORD", "Second-Secret-0815")
    get_settings.cache_clear()
    drain_outbox()
    with db.read_session() as session:
        statuses = session.exec(select(Notification.status)).all()
    assert len(statuses) >= 2
    assert set(statuses) == {NoticeStatus.sent}
    assert smtp_with_login.passwords
    assert set(smtp_with_login.passwords) == {"Second-Secret-0815"}
    assert smtp_with_login.snapshot()
    for password in ("First-Secret-4711", "Second-Secret-0815"):
        assert _stored_text_containing(password) == []
        assert password.encode() not in _raw_database_files()
    assert Api(base_url, "sales").record(reference)["status"] == "with_quality"
