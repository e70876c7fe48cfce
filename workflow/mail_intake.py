"""Mail into the workflow: a new mail becomes a complaint through the same intake as the API,
a reply to one of our mails is added to its complaint, a robot's mail makes nothing, and a
bounce marks our notice. Each mail is taken once: its key is unique in ``inbound_mail``, and
the row commits with whatever the mail made (docs/architecture.md, "Mail intake")."""

import logging
import secrets
from collections.abc import Sequence
from typing import Any

from pydantic import ValidationError
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, func, select

from models.base import id_of
from models.complaint import Complaint, ComplaintCreate
from models.customer import Customer, CustomerCreate
from models.enums import Channel, Department, HistoryAction, Kind, Role
from models.mail import CustomerMessage, InboundMail, MailOutcome
from models.notification import NoticeKind, NoticeStatus, Notification
from models.user import User
from workflow import notices
from workflow.attachments import (
    MAX_ATTACHMENTS,
    AttachmentRefused,
    NewAttachment,
    add_attachments,
    check_upload,
)
from workflow.clock import utcnow
from workflow.complaints import customer_by_email, log_complaint
from workflow.config import get_settings
from workflow.db import write_session
from workflow.history import record_history
from workflow.mail_parse import ParsedMail, parse_mail
from workflow.rules import Actor
from workflow.security import hash_password
from workflow.transitions import lock_complaint

logger = logging.getLogger(__name__)

INTAKE_USERNAME = "mail-intake"
# A mail names no product: quality maps it in the assessment (see "Mail intake").
PRODUCT_NOT_STATED = "not stated (e-mail)"
MAX_DESCRIPTION = 10_000


def take_mail(raw: bytes) -> MailOutcome:
    """Take one mail into the workflow, once; what it made (or had made, if taken before)."""
    parsed = parse_mail(raw)
    with write_session() as session:
        done = _taken(session, parsed.message_key)
        if done is not None:
            return done.outcome
        try:
            outcome = _take(session, parsed, raw)
        except IntegrityError:
            # Another reader took the same mail and committed first.
            session.rollback()
            done = _taken(session, parsed.message_key)
            if done is None:
                raise
            return done.outcome
    logger.info("mail %s from %s: %s", parsed.message_key, parsed.sender, outcome.value)
    return outcome


def _taken(session: Session, key: str) -> InboundMail | None:
    return session.exec(select(InboundMail).where(InboundMail.message_key == key)).first()


def _record(
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


def _take(session: Session, parsed: ParsedMail, raw: bytes) -> MailOutcome:
    if parsed.robot_reason is not None:
        return _take_robot_mail(session, parsed)
    if not parsed.sender:
        session.add(_record(parsed, MailOutcome.refused, reason="no sender address"))
        session.commit()
        return MailOutcome.refused
    answered = _answered_complaint(session, parsed)
    if answered is not None:
        return _take_reply(session, parsed, answered, raw)
    return _take_new_complaint(session, parsed)


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


def _checked_attachments(
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


def _new_complaint_data(session: Session, parsed: ParsedMail) -> ComplaintCreate:
    description = "\n\n".join(p for p in (parsed.subject, parsed.text) if p) or "(empty mail)"
    known = customer_by_email(session, parsed.sender)
    customer = (
        None
        if known
        else CustomerCreate(name=parsed.sender_name or parsed.sender, email=parsed.sender)
    )
    return ComplaintCreate(
        kind=Kind.complaint,
        channel=Channel.email,
        product=PRODUCT_NOT_STATED,
        description=description[:MAX_DESCRIPTION],
        customer_id=known.id if known else None,
        customer=customer,
    )


def _take_new_complaint(session: Session, parsed: ParsedMail) -> MailOutcome:
    try:
        data = _new_complaint_data(session, parsed)
    except ValidationError as exc:
        reason = "; ".join(str(e["msg"]) for e in exc.errors())[:500]
        session.add(_record(parsed, MailOutcome.refused, reason=reason))
        session.commit()
        return MailOutcome.refused
    kept, refused = _checked_attachments(parsed.attachments)
    actor = intake_actor(session)

    def with_mail(session: Session, complaint: Complaint) -> None:
        reason = ("attachments refused: " + "; ".join(refused))[:500] if refused else None
        session.add(
            _record(parsed, MailOutcome.complaint, complaint_id=id_of(complaint), reason=reason)
        )
        if refused:
            record_history(
                session,
                complaint_id=id_of(complaint),
                actor=actor.name,
                action=HistoryAction.customer_message,
                changes={"attachments_refused": refused},
                reason="attachments of the mail that the web form would refuse too",
            )

    log_complaint(
        session,
        data=data,
        actor=actor,
        idempotency_key=None,
        attachments=kept,
        before_commit=with_mail,
    )
    return MailOutcome.complaint


def _answered_complaint(session: Session, parsed: ParsedMail) -> Complaint | None:
    """The complaint a mail answers: our reference in its subject, or a Message-ID we sent."""
    if parsed.reference:
        found = session.exec(
            select(Complaint).where(Complaint.reference == parsed.reference)
        ).first()
        if found is not None:
            return found
    if not parsed.answers:
        return None
    complaint_id = session.exec(
        select(Notification.complaint_id)
        .where(col(Notification.message_id).in_(parsed.answers))
        .where(col(Notification.complaint_id).is_not(None))
        .limit(1)
    ).first()
    return session.get(Complaint, complaint_id) if complaint_id else None


def _is_customer(session: Session, complaint: Complaint, sender: str) -> bool:
    customer = session.get(Customer, complaint.customer_id)
    return bool(customer and customer.email and customer.email.lower() == sender)


def _take_reply(
    session: Session, parsed: ParsedMail, answered: Complaint, raw: bytes
) -> MailOutcome:
    if not _is_customer(session, answered, parsed.sender):
        reason = f"{parsed.sender} is not the customer of {answered.reference}: held for sales"
        session.add(
            _record(parsed, MailOutcome.held, complaint_id=answered.id, reason=reason, raw=raw)
        )
        session.commit()
        return MailOutcome.held
    complaint = lock_complaint(session, answered.reference)
    actor = intake_actor(session)
    mail = _record(parsed, MailOutcome.reply, complaint_id=id_of(complaint))
    session.add(mail)
    session.flush()
    body = parsed.text or "(no text)"
    session.add(
        CustomerMessage(
            complaint_id=id_of(complaint),
            inbound_mail_id=id_of(mail),
            sender=parsed.sender,
            subject=parsed.subject,
            body=body[:20_000],
            received_at=mail.taken_at,
        )
    )
    kept, refused = _checked_attachments(parsed.attachments)
    if kept:
        add_attachments(session, complaint, kept, actor)
    record_history(
        session,
        complaint_id=id_of(complaint),
        actor=actor.name,
        action=HistoryAction.customer_message,
        changes={
            "sender": parsed.sender,
            "subject": parsed.subject,
            "attachments": [a.filename for a in kept],
            "attachments_refused": refused,
        },
    )
    _tell_department(session, complaint, parsed, body, key=f"mail:{mail.id}")
    session.commit()
    return MailOutcome.reply


def _tell_department(
    session: Session, complaint: Complaint, parsed: ParsedMail, body: str, *, key: str
) -> None:
    """The department holding the complaint (sales once it has left quality) hears of it."""
    department = (complaint.current_department or Department.sales).value
    customer = session.get(Customer, complaint.customer_id)
    context = {
        "reference": complaint.reference,
        "product": complaint.product,
        "customer_name": customer.name if customer else parsed.sender,
        "message_subject": parsed.subject,
        "message_body": body,
    }
    addresses = get_settings().department_emails.get(department, [])
    notices.queue_to_addresses(
        session, complaint, NoticeKind.customer_message, addresses, context, key
    )


def _take_robot_mail(session: Session, parsed: ParsedMail) -> MailOutcome:
    bounced = (
        session.exec(
            select(Notification).where(col(Notification.message_id).in_(parsed.bounced_ids))
        ).all()
        if parsed.bounced_ids
        else []
    )
    for notice in bounced:
        _mark_bounced(session, notice, parsed)
    outcome = MailOutcome.bounce if bounced else MailOutcome.robot
    complaint_id = next((n.complaint_id for n in bounced if n.complaint_id), None)
    session.add(_record(parsed, outcome, complaint_id=complaint_id, reason=parsed.robot_reason))
    session.commit()
    return outcome


def _mark_bounced(session: Session, notice: Notification, parsed: ParsedMail) -> None:
    notice.status = NoticeStatus.bounced
    notice.next_attempt_at = None
    notice.last_error = "bounced: a delivery report says the mail did not arrive"
    session.add(notice)
    if notice.complaint_id is None:
        return
    complaint = session.get(Complaint, notice.complaint_id)
    assert complaint is not None
    record_history(
        session,
        complaint_id=id_of(complaint),
        actor=INTAKE_USERNAME,
        action=HistoryAction.notice_bounced,
        changes={"notice_id": notice.id, "recipient": notice.recipient, "kind": notice.kind},
        reason=parsed.robot_reason,
    )
    customer = session.get(Customer, complaint.customer_id)
    context = {
        "reference": complaint.reference,
        "customer_name": customer.name if customer else notice.recipient,
        "bounced_subject": notice.subject,
        "bounced_recipient": notice.recipient,
    }
    addresses = get_settings().department_emails.get(Department.sales.value, [])
    notices.queue_to_addresses(
        session, complaint, NoticeKind.notice_bounced, addresses, context, f"bounce:{notice.id}"
    )


def held_mails(session: Session, *, limit: int = 100) -> list[InboundMail]:
    """Replies held for sales: the sender is not the complaint's customer."""
    return list(
        session.exec(
            select(InboundMail)
            .where(InboundMail.outcome == MailOutcome.held)
            .order_by(col(InboundMail.id))
            .limit(limit)
        )
    )


def mails_taken(session: Session) -> int:
    return session.exec(select(func.count()).select_from(InboundMail)).one()
