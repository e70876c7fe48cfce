"""Reading one inbound mail: who sent it, what it says, what it answers, whether a robot sent
it. Pure functions of the raw bytes; the intake (``workflow/mail_intake.py``) decides."""

import hashlib
import re
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage, Message
from email.parser import BytesHeaderParser
from email.utils import getaddresses, parseaddr

import html2text
from mailparser_reply import EmailReplyParser

REFERENCE_IN_SUBJECT = re.compile(r"\b(?:CMP|FBK)-\d{4}-\d{6}\b")
MESSAGE_ID = re.compile(r"<[^<>\s]+@[^<>\s]+>")
ROBOT_SENDERS = ("mailer-daemon", "postmaster")
BULK_PRECEDENCE = frozenset({"bulk", "list", "junk"})
# mail-parser-reply knows the quote headers and sign-offs of these languages.
REPLY_LANGUAGES = ["en", "de", "fr", "es", "it", "nl"]
MAX_TEXT = 8_000


@dataclass(frozen=True)
class ParsedMail:
    message_key: str  # the Message-ID, else sha256:<hash of the raw mail>
    sender: str  # the address, lower case; empty if none could be read
    sender_name: str
    subject: str
    text: str  # the new text: HTML made plain, quoted history and signature stripped
    answers: list[str]  # Message-IDs named in In-Reply-To and References
    reference: str | None  # our complaint reference found in the subject
    content_language: str | None
    robot_reason: str | None  # why no person sent it; None for a person's mail
    bounced_ids: list[str] = field(default_factory=list)  # Message-IDs a DSN reports on
    attachments: list[tuple[str, bytes]] = field(default_factory=list)


def message_key(raw: bytes, message_id: str | None) -> str:
    if message_id and MESSAGE_ID.fullmatch(message_id.strip()):
        return message_id.strip()[:300]
    return "sha256:" + hashlib.sha256(raw).hexdigest()


def robot_reason(mail: Message, sender: str) -> str | None:
    """Why this mail was sent by a machine (RFC 3834, list and DSN headers), or None."""
    auto_submitted = str(mail.get("Auto-Submitted", "no")).strip().lower()
    if auto_submitted != "no":
        return f"Auto-Submitted: {auto_submitted}"
    for header in ("X-Autoreply", "X-Autorespond", "List-Id"):
        if mail.get(header) is not None:
            return f"{header} header"
    precedence = str(mail.get("Precedence", "")).strip().lower()
    if precedence in BULK_PRECEDENCE:
        return f"Precedence: {precedence}"
    if mail.get_content_type() == "multipart/report":
        return "delivery status notification"
    if sender.split("@")[0] in ROBOT_SENDERS:
        return f"sent by {sender}"
    return None


def _reported_ids(mail: Message) -> list[str]:
    """The Message-IDs of the mails a delivery report is about (RFC 3464: the returned
    message, or its headers)."""
    found: list[str] = []
    for part in mail.walk():
        kind = part.get_content_type()
        if kind == "message/rfc822" and part.is_multipart():
            inner = part.get_payload(0)
            if isinstance(inner, Message) and inner.get("Message-ID"):
                found.append(str(inner["Message-ID"]).strip())
        elif kind == "text/rfc822-headers":
            payload = part.get_payload(decode=True)
            if isinstance(payload, bytes):
                headers = BytesHeaderParser().parsebytes(payload)
                if headers.get("Message-ID"):
                    found.append(str(headers["Message-ID"]).strip())
    return found


def _html_as_text(html: str) -> str:
    converter = html2text.HTML2Text()
    converter.body_width = 0
    converter.ignore_images = True
    converter.ignore_emphasis = True
    return converter.handle(html)


def _body_text(mail: EmailMessage) -> str:
    body = mail.get_body(preferencelist=("plain", "html"))
    if body is None:
        return ""
    content = body.get_content()
    text = _html_as_text(content) if body.get_content_type() == "text/html" else content
    return str(text)


def new_text(text: str) -> str:
    """The text the sender wrote now: quoted history and signature removed."""
    replies = EmailReplyParser(languages=REPLY_LANGUAGES).read(text=text).replies
    kept = (replies[0].body if replies else "").strip() or text.strip()
    return kept[:MAX_TEXT]


def _attachments(mail: EmailMessage) -> list[tuple[str, bytes]]:
    found = []
    for part in mail.iter_attachments():
        if part.get_content_maintype() in ("multipart", "message"):
            continue
        data = part.get_payload(decode=True)
        if isinstance(data, bytes):
            found.append((part.get_filename() or "attachment", data))
    return found


def _answers(mail: Message) -> list[str]:
    headers = " ".join(str(mail.get(h, "")) for h in ("In-Reply-To", "References"))
    return MESSAGE_ID.findall(headers)


def parse_mail(raw: bytes) -> ParsedMail:
    mail = message_from_bytes(raw, policy=policy.default)
    assert isinstance(mail, EmailMessage)
    name, address = parseaddr(str(mail.get("From", "")))
    if not address:
        _, address = (getaddresses([str(mail.get("Sender", ""))]) or [("", "")])[0]
    sender = address.strip().lower() if "@" in address else ""
    subject = " ".join(str(mail.get("Subject", "")).split())[:500]
    robot = robot_reason(mail, sender)
    match = REFERENCE_IN_SUBJECT.search(subject)
    language = str(mail.get("Content-Language", "")).split(",")[0].strip() or None
    return ParsedMail(
        message_key=message_key(raw, str(mail.get("Message-ID", "")) or None),
        sender=sender,
        sender_name=" ".join(name.split())[:200],
        subject=subject,
        text="" if robot else new_text(_body_text(mail)),
        answers=_answers(mail),
        reference=match.group(0) if match else None,
        content_language=language[:35] if language else None,
        robot_reason=robot,
        bounced_ids=_reported_ids(mail) if robot else [],
        attachments=[] if robot else _attachments(mail),
    )
