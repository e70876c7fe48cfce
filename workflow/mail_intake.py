"""Mail into the workflow: a new mail becomes a complaint through the same intake as the API,
a reply to one of our mails is added to its complaint, a robot's mail makes nothing, and a
bounce marks our notice. Each mail is taken once: its key is unique in ``inbound_mail``, and
the row commits with whatever the mail made (docs/architecture.md, "Mail intake")."""

import logging

from pydantic import ValidationError
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, func, select

from models.base import id_of
from models.complaint import Complaint, ComplaintCreate
from models.customer import CustomerCreate
from models.enums import Channel, HistoryAction, Kind
from models.mail import InboundMail, MailOutcome
from workflow.complaints import customer_by_email, log_complaint
from workflow.config import get_settings
from workflow.db import write_session
from workflow.history import record_history
from workflow.language_detection import detect_language
from workflow.languages import SHIPPED_LANGUAGES, shipped_language
from workflow.mail_bounces import take_robot_mail
from workflow.mail_common import checked_attachments, intake_actor, record_of
from workflow.mail_parse import ParsedMail, parse_mail
from workflow.mail_replies import answered_complaint, take_reply

logger = logging.getLogger(__name__)

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
    logger.info("mail %s: %s", parsed.message_key, outcome.value)  # no address in logs
    return outcome


def _taken(session: Session, key: str) -> InboundMail | None:
    return session.exec(select(InboundMail).where(InboundMail.message_key == key)).first()


def _take(session: Session, parsed: ParsedMail, raw: bytes) -> MailOutcome:
    if parsed.robot_reason is not None:
        return take_robot_mail(session, parsed)
    if not parsed.sender or parsed.sender == get_settings().mail_from.lower():
        # Our own address: a notice of ours came back to the intake mailbox (a loop).
        reason = "our own address" if parsed.sender else "no sender address"
        session.add(record_of(parsed, MailOutcome.refused, reason=reason))
        session.commit()
        return MailOutcome.refused
    answered = answered_complaint(session, parsed)
    if answered is not None:
        return take_reply(session, parsed, answered, raw)
    return _take_new_complaint(session, parsed)


def language_of(parsed: ParsedMail) -> str:
    """The language to answer a new sender in: the mail's ``Content-Language`` if we ship it,
    else the one its text is written in, else the company's default."""
    if parsed.content_language:
        return shipped_language(parsed.content_language)
    detected = detect_language("\n".join((parsed.subject, parsed.text)))
    return detected if detected in SHIPPED_LANGUAGES else shipped_language(None)


def _new_complaint_data(session: Session, parsed: ParsedMail) -> ComplaintCreate:
    description = "\n\n".join(p for p in (parsed.subject, parsed.text) if p) or "(empty mail)"
    known = customer_by_email(session, parsed.sender)
    customer = (
        None
        if known
        else CustomerCreate(
            name=parsed.sender_name or parsed.sender,
            email=parsed.sender,
            language=language_of(parsed),
        )
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
        session.add(record_of(parsed, MailOutcome.refused, reason=reason))
        session.commit()
        return MailOutcome.refused
    kept, refused = checked_attachments(parsed.attachments)
    actor = intake_actor(session)

    def with_mail(session: Session, complaint: Complaint) -> None:
        reason = ("attachments refused: " + "; ".join(refused))[:500] if refused else None
        session.add(
            record_of(parsed, MailOutcome.complaint, complaint_id=id_of(complaint), reason=reason)
        )
        if refused:
            record_history(
                session,
                case_id=id_of(complaint),
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


def mails_taken(session: Session) -> int:
    return session.exec(select(func.count()).select_from(InboundMail)).one()
