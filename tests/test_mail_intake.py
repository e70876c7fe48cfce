"""Complaints by e-mail, on real components: Dovecot serves the mailbox over IMAP, the
reader takes its mails into the intake, the relay acknowledges through the SMTP catcher,
and the development SMTP listener takes mail the same way."""

import asyncio
import smtplib
import struct
import zlib
from collections.abc import Iterator
from email.message import EmailMessage
from email.utils import make_msgid

import pytest
from sqlmodel import col, func, select

from flows.read_mailbox import read_mailbox_flow
from models.attachment import Attachment
from models.complaint import Complaint
from models.customer import Customer
from models.history import HistoryEntry
from models.mail import CustomerMessage, InboundMail
from models.notification import NoticeKind, NoticeStatus, Notification
from tests.conftest import _reset_caches
from tests.imap_server import PASSWORD, USER, DovecotServer
from tests.support import drain_outbox, free_port
from tests.test_web_pages import browser  # noqa: F401  (the signed-in page client)
from workflow import mailbox as mailbox_reader
from workflow.config import Settings
from workflow.db import read_session
from workflow.inbound_smtp import InboundSmtp
from workflow.mail_intake import PRODUCT_NOT_STATED
from workflow.mail_replies import held_mails

JANE = "Jane Miller <jane@acme.example>"


def tiny_png() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\x00\x00")
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


def mail(
    text: str,
    *,
    sender: str = JANE,
    subject: str = "Pump P-200 leaks",
    html: bool = False,
    attachments: tuple[tuple[str, str, bytes], ...] = (),
    **headers: str,
) -> bytes:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = "complaints@example.com"
    message["Subject"] = subject
    message["Message-ID"] = make_msgid(domain="acme.example")
    message.set_content(text, subtype="html" if html else "plain")
    for filename, kind, data in attachments:
        maintype, subtype = kind.split("/")
        message.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    for name, value in headers.items():  # after the content, which drops Content-* headers
        message[name.replace("_", "-")] = value
    return message.as_bytes()


@pytest.fixture(scope="module")
def imap_server() -> Iterator[DovecotServer]:
    server = DovecotServer().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def intake(
    settings: Settings, imap_server: DovecotServer, monkeypatch: pytest.MonkeyPatch
) -> DovecotServer:
    for name, value in {
        "CW_IMAP_HOST": "127.0.0.1",
        "CW_IMAP_PORT": str(imap_server.port),
        "CW_IMAP_USER": USER,
        "CW_IMAP_PASSWORD": PASSWORD,
        "CW_IMAP_TLS": "false",
    }.items():
        monkeypatch.setenv(name, value)
    _reset_caches()
    return imap_server


def complaints() -> list[Complaint]:
    with read_session() as session:
        return list(session.exec(select(Complaint).order_by(col(Complaint.id))))


def mail_complaint(intake: DovecotServer, raw: bytes) -> Complaint:
    """Deliver a new mail, read the mailbox, and return the one complaint made."""
    intake.deliver(raw)
    assert mailbox_reader.read_mailbox().outcomes == {"complaint": 1}
    (complaint,) = [c for c in complaints() if c.channel == "email"]
    return complaint


def acknowledgement_to(mailbox, address: str, reference: str):
    drain_outbox()
    (sent,) = [m for m in mailbox.snapshot() if m["To"] == address and reference in m["Subject"]]
    return sent


def test_a_new_mail_becomes_a_complaint_and_the_sender_is_acknowledged(intake, mailbox):
    raw = mail(
        "Hello,\n\nthe seal of our pump P-200 leaks after two hours.\n\nBest regards\nJane",
        Content_Language="de",
    )
    complaint = mail_complaint(intake, raw)
    assert complaint.status == "received"
    assert complaint.product == PRODUCT_NOT_STATED
    assert complaint.description.startswith("Pump P-200 leaks\n\n")
    assert "seal of our pump P-200 leaks" in complaint.description
    assert "Best regards" not in complaint.description
    with read_session() as session:
        customer = session.get(Customer, complaint.customer_id)
        taken = session.exec(select(InboundMail)).one()
    assert customer is not None
    assert (customer.name, customer.email) == ("Jane Miller", "jane@acme.example")
    assert (taken.outcome, taken.complaint_id) == ("complaint", complaint.id)
    assert taken.content_language == "de"
    assert intake.unseen() == 0
    acknowledgement = acknowledgement_to(mailbox, "jane@acme.example", complaint.reference)
    with read_session() as session:
        notice = session.exec(
            select(Notification).where(Notification.kind == NoticeKind.acknowledgement)
        ).one()
    assert acknowledgement["Message-ID"] == notice.message_id


def test_a_reply_threads_into_its_complaint_and_the_department_is_told(intake, mailbox):
    complaint = mail_complaint(intake, mail("The seal leaks."))
    acknowledgement = acknowledgement_to(mailbox, "jane@acme.example", complaint.reference)
    reply = mail(
        "Here is a photo of the leak.\n\nOn Mon, Complaints <complaints@example.com> wrote:\n"
        "> We received your complaint.",
        subject="Re: your message",
        In_Reply_To=acknowledgement["Message-ID"],
        attachments=(("leak.png", "image/png", tiny_png()),),
    )
    intake.deliver(reply)
    assert mailbox_reader.read_mailbox().outcomes == {"reply": 1}
    assert len(complaints()) == 1
    with read_session() as session:
        message = session.exec(select(CustomerMessage)).one()
        files = session.exec(select(Attachment)).all()
        told = session.exec(
            select(Notification).where(Notification.kind == NoticeKind.customer_message)
        ).all()
        history = session.exec(
            select(HistoryEntry.action).where(HistoryEntry.case_id == complaint.id)
        ).all()
    assert message.complaint_id == complaint.id
    assert message.body == "Here is a photo of the leak."
    assert [f.filename for f in files] == ["leak.png"]
    assert told
    assert all(n.case_id == complaint.id for n in told)
    assert "customer_message" in history


def test_a_reply_naming_our_reference_from_someone_else_is_held_for_sales(intake, mailbox):
    complaint = mail_complaint(intake, mail("The seal leaks."))
    stranger = mail(
        "I am not the customer.",
        sender="Mallory <mallory@elsewhere.example>",
        subject=f"Re: {complaint.reference} received",
    )
    intake.deliver(stranger)
    assert mailbox_reader.read_mailbox().outcomes == {"held": 1}
    assert len(complaints()) == 1
    with read_session() as session:
        assert session.exec(select(func.count()).select_from(CustomerMessage)).one() == 0
        (held,) = held_mails(session)
    assert (held.sender, held.complaint_id) == ("mallory@elsewhere.example", complaint.id)
    assert held.raw is not None


def test_sales_add_or_drop_held_mails_on_their_page_with_a_reason(intake, base_url, browser):  # noqa: F811
    complaint = mail_complaint(intake, mail("The seal leaks."))
    for who, words in (
        ("Bob <bob@acme-buyer.example>", "Bob, Jane's buyer, adds photos."),
        ("Mallory <mallory@elsewhere.example>", "Unrelated sales pitch."),
    ):
        intake.deliver(mail(words, sender=who, subject=f"Re: {complaint.reference}"))
    assert mailbox_reader.read_mailbox().outcomes == {"held": 2}
    sales = browser("sales")
    page = sales.client.get("/mail/held")
    assert page.status_code == 200
    for shown in (
        "bob@acme-buyer.example",
        "Bob, Jane&#39;s buyer, adds photos.",
        "mallory@elsewhere.example",
        complaint.reference,
    ):
        assert shown in page.text
    assert browser("quality").client.get("/mail/held").status_code == 403
    with read_session() as session:
        bob, mallory = (m.id for m in held_mails(session))
    attached = sales.form(
        f"/mail/held/{bob}/attach", {"reason": "Called Jane: Bob buys for her."}, page="/mail/held"
    )
    assert attached.status_code == 303
    dropped = sales.form(f"/mail/held/{mallory}/drop", {"reason": "Spam."}, page="/mail/held")
    assert dropped.status_code == 303
    with read_session() as session:
        (message,) = session.exec(select(CustomerMessage)).all()
        outcomes = {m.sender: m.outcome for m in session.exec(select(InboundMail))}
    assert message.body == "Bob, Jane's buyer, adds photos."
    assert outcomes["mallory@elsewhere.example"] == "dropped"
    assert 'id="no-held-mail"' in sales.client.get("/mail/held").text


def test_an_auto_reply_and_a_bounce_make_nothing_and_the_bounce_marks_our_notice(intake, mailbox):
    complaint = mail_complaint(intake, mail("The seal leaks."))
    acknowledgement = acknowledgement_to(mailbox, "jane@acme.example", complaint.reference)
    sent_before = len(mailbox.snapshot())
    intake.deliver(
        mail(
            "I am out of the office until Monday.",
            subject=f"Automatic reply: {complaint.reference}",
            Auto_Submitted="auto-replied",
            In_Reply_To=acknowledgement["Message-ID"],
        )
    )
    intake.deliver(bounce_of(acknowledgement))
    assert mailbox_reader.read_mailbox().outcomes == {"robot": 1, "bounce": 1}
    assert len(complaints()) == 1
    with read_session() as session:
        notice = session.exec(
            select(Notification).where(Notification.kind == NoticeKind.acknowledgement)
        ).one()
        sales_told = session.exec(
            select(Notification).where(Notification.kind == NoticeKind.notice_bounced)
        ).all()
        assert session.exec(select(func.count()).select_from(CustomerMessage)).one() == 0
    assert notice.status == NoticeStatus.bounced
    assert sales_told
    drain_outbox()
    answered_robot = [m for m in mailbox.snapshot()[sent_before:] if "acme.example" in m["To"]]
    assert answered_robot == []


def bounce_of(original) -> bytes:
    """A delivery status notification (RFC 3464) as Postfix sends one."""
    return (
        "From: Mail Delivery System <MAILER-DAEMON@mx.acme.example>\r\n"
        "To: complaints@example.com\r\n"
        "Subject: Undelivered Mail Returned to Sender\r\n"
        f"Message-ID: {make_msgid(domain='mx.acme.example')}\r\n"
        "MIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="b1"\r\n'
        "\r\n--b1\r\nContent-Type: text/plain\r\n\r\n"
        "Your message could not be delivered: mailbox unknown.\r\n"
        "\r\n--b1\r\nContent-Type: message/delivery-status\r\n\r\n"
        "Reporting-MTA: dns; mx.acme.example\r\n\r\n"
        "Final-Recipient: rfc822; jane@acme.example\r\nAction: failed\r\nStatus: 5.1.1\r\n"
        "\r\n--b1\r\nContent-Type: text/rfc822-headers\r\n\r\n"
        f"Message-ID: {original['Message-ID']}\r\nSubject: {original['Subject']}\r\n"
        "\r\n--b1--\r\n"
    ).encode()


def test_a_mail_read_again_after_a_crash_before_flagging_makes_one_complaint(intake, monkeypatch):
    def crash(*_: object) -> None:
        raise RuntimeError("the reader died after the commit, before flagging the mail")

    intake.deliver(mail("The seal leaks."))
    with monkeypatch.context() as patch:
        patch.setattr(mailbox_reader, "_flag_taken", crash)
        with pytest.raises(RuntimeError, match="before flagging"):
            mailbox_reader.read_mailbox()
    assert intake.unseen() == 1
    assert len(complaints()) == 1
    assert mailbox_reader.read_mailbox().outcomes == {"complaint": 1}
    assert len(complaints()) == 1
    assert intake.unseen() == 0
    with read_session() as session:
        assert session.exec(select(func.count()).select_from(InboundMail)).one() == 1


def test_an_html_mail_with_a_photo_becomes_a_complaint_with_the_photo_and_plain_text(intake):
    html = (
        "<html><body><p>The valve body is <b>cracked</b>.</p><p>Line stopped.</p>"
        "<div class='gmail_quote'>On Mon, Sales wrote:<blockquote>Earlier text"
        "</blockquote></div></body></html>"
    )
    raw = mail(html, html=True, attachments=(("valve.png", "image/png", tiny_png()),))
    complaint = mail_complaint(intake, raw)
    assert "The valve body is cracked." in complaint.description
    assert "<" not in complaint.description
    assert "Earlier text" not in complaint.description
    with read_session() as session:
        files = session.exec(select(Attachment)).all()
    assert [(f.filename, f.content_type) for f in files] == [("valve.png", "image/png")]


def test_an_attachment_the_form_would_refuse_is_left_out_and_recorded(intake):
    program = b"MZ\x90\x00" + b"\x00" * 200
    raw = mail(
        "See the attached file.",
        attachments=(("invoice.exe", "application/octet-stream", program),),
    )
    complaint = mail_complaint(intake, raw)
    with read_session() as session:
        assert session.exec(select(func.count()).select_from(Attachment)).one() == 0
        taken = session.exec(select(InboundMail)).one()
        history = session.exec(
            select(HistoryEntry).where(HistoryEntry.case_id == complaint.id)
        ).all()
    assert taken.reason is not None
    assert "invoice.exe is not a photo" in taken.reason
    assert any("attachments_refused" in (h.changes or {}) for h in history)


def test_a_mail_sent_to_the_development_listener_becomes_a_complaint(settings, mailbox):
    port = free_port()
    with InboundSmtp("127.0.0.1", port), smtplib.SMTP("127.0.0.1", port, timeout=30) as client:
        refused = client.sendmail(
            "jane@acme.example", ["anyone@complaints.test"], mail("The seal leaks.")
        )
    assert refused == {}
    (complaint,) = complaints()
    assert (complaint.channel, complaint.status) == ("email", "received")
    acknowledgement_to(mailbox, "jane@acme.example", complaint.reference)


def test_sales_attach_one_held_mail_and_drop_another_each_in_the_history(intake, as_user):
    complaint = mail_complaint(intake, mail("The seal leaks."))
    for sender, text in (
        ("Bob Buyer <bob@acme-group.example>", "I am Jane's colleague: the pump leaks again."),
        ("Spam <offers@elsewhere.example>", "Cheap seals!"),
    ):
        intake.deliver(mail(text, sender=sender, subject=f"Re: {complaint.reference}"))
    assert mailbox_reader.read_mailbox().outcomes == {"held": 2}
    sales = as_user("sales")
    held = sales.get("/mail/held").json()
    by_sender = {h["sender"]: h["id"] for h in held}
    assert {h["complaint_reference"] for h in held} == {complaint.reference}
    assert as_user("quality").get("/mail/held").status_code == 403
    assert (
        sales.post(
            f"/mail/held/{by_sender['bob@acme-group.example']}/attach", json={"reason": ""}
        ).status_code
        == 422
    )

    attached = sales.post(
        f"/mail/held/{by_sender['bob@acme-group.example']}/attach",
        json={"reason": "Called Jane: Bob is their buyer."},
    )
    assert attached.status_code == 200, attached.text
    assert attached.json()["body"] == "I am Jane's colleague: the pump leaks again."
    dropped = sales.post(
        f"/mail/held/{by_sender['offers@elsewhere.example']}/drop", json={"reason": "Spam."}
    )
    assert dropped.status_code == 200, dropped.text
    again = sales.post(
        f"/mail/held/{by_sender['offers@elsewhere.example']}/attach", json={"reason": "Oops."}
    )
    assert again.status_code == 409
    assert sales.get("/mail/held").json() == []
    with read_session() as session:
        messages = session.exec(select(CustomerMessage)).all()
        history = session.exec(
            select(HistoryEntry).where(HistoryEntry.case_id == complaint.id)
        ).all()
    assert [m.sender for m in messages] == ["bob@acme-group.example"]
    decisions = {(h.action, h.actor, h.reason) for h in history}
    assert ("customer_message", "sales", "Called Jane: Bob is their buyer.") in decisions
    assert ("held_mail_dropped", "sales", "Spam.") in decisions


def test_the_scheduled_flow_reads_the_mailbox_as_a_prefect_run(intake):
    intake.deliver(mail("The seal leaks."))
    assert asyncio.run(read_mailbox_flow()) == {"complaint": 1}
    assert intake.unseen() == 0
    assert asyncio.run(read_mailbox_flow()) == {}
    assert len(complaints()) == 1


def _triaged_as_a_complaint(sales, reference: str) -> None:
    """Sales triage the mail complaint; it routes to quality, whose task opens."""
    drain_outbox()  # acknowledged: sales' triage task is open
    triage = sales.open_task(reference, "triage_mail")
    triaged = sales.post(
        f"/tasks/{triage['id']}/complete",
        json={"kind": "triage", "complaint_kind": "complaint", "product": "Pump P-200"},
    )
    assert triaged.status_code == 200, triaged.text
    drain_outbox()


def test_a_reply_is_told_to_whoever_claimed_the_task_else_to_the_department(
    intake, mailbox, as_user, monkeypatch
):
    monkeypatch.setenv("CW_DEPARTMENT_EMAILS", '{"quality": ["quality-team@example.com"]}')
    _reset_caches()
    complaint = mail_complaint(intake, mail("The seal leaks."))
    _triaged_as_a_complaint(as_user("sales"), complaint.reference)  # quality's task is open

    def reply_told_to(text: str) -> list[str]:
        intake.deliver(mail(text, subject=f"Re: {complaint.reference}"))
        assert mailbox_reader.read_mailbox().outcomes == {"reply": 1}
        with read_session() as session:
            told = session.exec(
                select(Notification)
                .where(Notification.kind == NoticeKind.customer_message)
                .order_by(col(Notification.id).desc())
            ).first()
        assert told is not None
        return [told.recipient]

    assert reply_told_to("First photo attached later.") == ["quality-team@example.com"]
    quality = as_user("quality")
    task = quality.open_task(complaint.reference, "quality_assessment")
    assert quality.post(f"/tasks/{task['id']}/claim").status_code == 200
    assert reply_told_to("Second message.") == ["quality@example.com"]


def test_a_mailed_answer_to_our_question_resumes_the_clocks_in_the_same_commit(intake, as_user):
    complaint = mail_complaint(intake, mail("The seal leaks."))
    _triaged_as_a_complaint(as_user("sales"), complaint.reference)
    quality = as_user("quality")
    task = quality.open_task(complaint.reference, "quality_assessment")
    assert quality.post(f"/tasks/{task['id']}/claim").status_code == 200
    asked = quality.post(
        f"/complaints/{complaint.reference}/wait-for-customer",
        json={"reason": "Please send us a photo of the seal."},
    )
    assert asked.status_code == 200, asked.text
    intake.deliver(
        mail(
            "Here is the photo of the seal.",
            subject=f"Re: {complaint.reference}",
            attachments=(("seal.png", "image/png", tiny_png()),),
        )
    )
    assert mailbox_reader.read_mailbox().outcomes == {"reply": 1}
    record = quality.record(complaint.reference)
    assert record["status"] == "with_quality"
    actions = [h["action"] for h in record["history"]]
    assert actions[-3:] == ["customer_message", "resume_after_customer", "clocks_resumed"]
    resumed = record["history"][-2]
    assert (resumed["actor"], resumed["changes"]["attachments"]) == ("mail-intake", ["seal.png"])
    with read_session() as session:
        message = session.exec(select(CustomerMessage)).one()
    assert message.body == "Here is the photo of the seal."


def test_our_own_notice_come_back_to_the_intake_makes_nothing(intake, settings):
    intake.deliver(
        mail("Your complaint was received.", sender=f"Complaints <{settings.mail_from}>")
    )
    assert mailbox_reader.read_mailbox().outcomes == {"refused": 1}
    assert complaints() == []
