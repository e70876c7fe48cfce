"""Replies to our mails: added to their complaint as the customer's message, or held for
sales when the sender is not the complaint's customer."""

from sqlmodel import Session, col, select

from models.base import id_of
from models.complaint import Complaint
from models.customer import Customer
from models.enums import HistoryAction
from models.mail import CustomerMessage, InboundMail, MailOutcome
from models.notification import Notification
from workflow.attachments import add_attachments
from workflow.customer_answers import (
    MAX_ANSWER_CHARACTERS,
    resume_after_answer,
    tell_department,
    waits_on_customer,
)
from workflow.errors import NotFound, RuleViolation
from workflow.history import record_history
from workflow.mail_common import checked_attachments, intake_actor, record_of
from workflow.mail_parse import ParsedMail, parse_mail
from workflow.rules import Action, Actor, require_permission
from workflow.transitions import lock_complaint, lock_complaint_by_id


def answered_complaint(session: Session, parsed: ParsedMail) -> Complaint | None:
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
        select(Notification.case_id)
        .where(col(Notification.message_id).in_(parsed.answers))
        .where(col(Notification.case_id).is_not(None))
        .limit(1)
    ).first()
    return session.get(Complaint, complaint_id) if complaint_id else None


def _is_customer(session: Session, complaint: Complaint, sender: str) -> bool:
    customer = session.get(Customer, complaint.customer_id)
    return bool(customer and customer.email and customer.email.lower() == sender)


def take_reply(
    session: Session, parsed: ParsedMail, answered: Complaint, raw: bytes
) -> MailOutcome:
    if not _is_customer(session, answered, parsed.sender):
        reason = f"{parsed.sender} is not the customer of {answered.reference}: held for sales"
        session.add(
            record_of(parsed, MailOutcome.held, complaint_id=answered.id, reason=reason, raw=raw)
        )
        session.commit()
        return MailOutcome.held
    complaint = lock_complaint(session, answered.reference)
    mail = record_of(parsed, MailOutcome.reply, complaint_id=id_of(complaint))
    session.add(mail)
    session.flush()
    _add_customer_message(session, complaint, mail, parsed, intake_actor(session))
    session.commit()
    return MailOutcome.reply


def _add_customer_message(
    session: Session,
    complaint: Complaint,
    mail: InboundMail,
    parsed: ParsedMail,
    actor: Actor,
    *,
    reason: str | None = None,
) -> CustomerMessage:
    """The message, its attachments and its history entry; the department is told."""
    body = parsed.text or "(no text)"
    message = CustomerMessage(
        complaint_id=id_of(complaint),
        inbound_mail_id=id_of(mail),
        sender=parsed.sender,
        subject=parsed.subject,
        body=body[:20_000],
        received_at=mail.taken_at,
    )
    session.add(message)
    kept, refused = checked_attachments(parsed.attachments)
    if kept:
        add_attachments(session, complaint, kept, actor)
    record_history(
        session,
        case_id=id_of(complaint),
        actor=actor.name,
        action=HistoryAction.customer_message,
        changes={
            "sender": parsed.sender,
            "subject": parsed.subject,
            "attachments": [a.filename for a in kept],
            "attachments_refused": refused,
        },
        reason=reason,
    )
    tell_department(session, complaint, subject=parsed.subject, body=body, key=f"mail:{mail.id}")
    if waits_on_customer(complaint):
        # The mail answers what we asked: the clocks restart as a status-page answer does.
        resume_after_answer(
            session,
            complaint,
            note=body[:MAX_ANSWER_CHARACTERS],
            actor=actor,
            customer_wrote_note=True,
            attachments=[a.filename for a in kept],
        )
    return message


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


def _lock_held(session: Session, mail_id: int) -> tuple[InboundMail, Complaint]:
    mail = session.exec(
        select(InboundMail).where(InboundMail.id == mail_id).with_for_update()
    ).first()
    if mail is None or mail.complaint_id is None:
        raise NotFound(f"no held mail {mail_id}")
    if mail.outcome is not MailOutcome.held:
        raise RuleViolation(f"mail {mail_id} is not held: it was {mail.outcome.value}")
    return mail, lock_complaint_by_id(session, mail.complaint_id)


def attach_held_mail(
    session: Session, *, mail_id: int, actor: Actor, reason: str
) -> CustomerMessage:
    """Sales found the held mail is the customer's after all (a colleague of theirs, a new
    address): it is added to the complaint as a reply would have been."""
    require_permission(actor.role, Action.handle_held_mail)
    mail, complaint = _lock_held(session, mail_id)
    assert mail.raw is not None
    parsed = parse_mail(mail.raw)
    mail.outcome = MailOutcome.reply
    mail.raw = None
    mail.reason = f"attached by {actor.name}: {reason}"[:500]
    session.add(mail)
    message = _add_customer_message(session, complaint, mail, parsed, actor, reason=reason)
    session.commit()
    return message


def drop_held_mail(session: Session, *, mail_id: int, actor: Actor, reason: str) -> InboundMail:
    """Sales decided the held mail does not belong to the complaint: it is dropped, and the
    complaint's history says who dropped what, and why."""
    require_permission(actor.role, Action.handle_held_mail)
    mail, complaint = _lock_held(session, mail_id)
    mail.outcome = MailOutcome.dropped
    mail.raw = None
    mail.reason = f"dropped by {actor.name}: {reason}"[:500]
    session.add(mail)
    record_history(
        session,
        case_id=id_of(complaint),
        actor=actor.name,
        action=HistoryAction.held_mail_dropped,
        changes={"sender": mail.sender, "subject": mail.subject},
        reason=reason,
    )
    session.commit()
    return mail
