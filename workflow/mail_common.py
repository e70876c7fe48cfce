"""What the mail intake's parts share: the row a taken mail leaves, the account mail is
logged under, and the form's attachment checks applied to a mail."""

import secrets
from collections.abc import Sequence
from typing import Any

from sqlmodel import Session, select

from models.enums import Department, Role
from models.mail import InboundMail, MailOutcome
from models.user import User
from workflow.attachments import MAX_ATTACHMENTS, AttachmentRefused, NewAttachment, check_upload
from workflow.clock import utcnow
from workflow.config import get_settings
from workflow.mail_parse import ParsedMail
from workflow.rules import Actor
from workflow.security import hash_password

INTAKE_USERNAME = "mail-intake"


def record_of(
    parsed: ParsedMail, outcome: MailOutcome, *, complaint_id: int | None = None, **extra: Any
) -> InboundMail:
    return InboundMail(
        message_key=parsed.message_key,
        sender=parsed.sender[:320],
        subject=parsed.subject,
        outcome=outcome,
        complaint_id=complaint_id,
        content_language=parsed.content_language,
        taken_at=utcnow(),
        **extra,
    )


def intake_actor(session: Session) -> Actor:
    """The account mail complaints are logged under: a sales account nobody can sign in to."""
    user = session.exec(select(User).where(User.username == INTAKE_USERNAME)).first()
    if user is None:
        user = User(
            username=INTAKE_USERNAME,
            full_name="Mail intake",
            email=get_settings().mail_from,
            role=Role.sales,
            department=Department.sales,
            is_active=False,
            hashed_password=hash_password(secrets.token_urlsafe(32)),
            created_at=utcnow(),
        )
        session.add(user)
        session.flush()
    return Actor(name=INTAKE_USERNAME, role=Role.sales, user_id=user.id, department="sales")


def checked_attachments(
    uploads: Sequence[tuple[str, bytes]],
) -> tuple[list[NewAttachment], list[str]]:
    """The attachments the web form would take, and why the others were left out."""
    kept: list[NewAttachment] = []
    refused: list[str] = []
    for name, data in uploads:
        if len(kept) >= MAX_ATTACHMENTS:
            refused.append(f"{name}: at most {MAX_ATTACHMENTS} attachments")
            continue
        try:
            kept.append(check_upload(name, data))
        except AttachmentRefused as exc:
            refused.append(str(exc))
    return kept, refused
