"""Erasing a customer's personal data on request, keeping the record and its figures.

What goes: the customer's name, company, address, phone, e-mail address and notification
targets; what they wrote (descriptions, mails, comments); their address as a notice's
recipient; and every occurrence of those values in notices' text, quality's texts and
stored API answers. What stays: the complaints with their dates, products, lots, codes,
decisions, clocks and every history entry, so the registers' figures and the chain do not
change. The history refers to personal values instead of sealing them
(``workflow.personal_data``); entries sealed before that existed are counted, not rewritten.
"""

import html
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import or_
from sqlmodel import Session, col, func, select

from models.base import id_of
from models.comment import Comment
from models.complaint import Complaint
from models.customer import Customer
from models.enums import HistoryAction
from models.history import HistoryEntry
from models.mail import CustomerMessage, InboundMail
from models.notification import Notification
from models.personal import PersonalValue
from models.quality import CapaAction, EffectivenessCheck
from models.resolution import Resolution
from models.satisfaction import SatisfactionResponse
from models.task import Task
from workflow.clock import utcnow
from workflow.customers import lock_customer
from workflow.errors import RuleViolation
from workflow.history import record_history
from workflow.locking import lock_complaint_by_id
from workflow.personal_data import ERASED, PERSONAL_FIELDS
from workflow.rules import Action, Actor, erasure_refusal, require_permission
from workflow.transitions import touch

# Values shorter than this are not searched for in other text (a one-letter company name
# would blank every "A" in a notice); the fields they came from are erased all the same.
MIN_SEARCHED_LENGTH = 3
FREE_TEXT_FIELDS = PERSONAL_FIELDS - {"recipient"}


@dataclass(frozen=True)
class Erasure:
    customer_id: int
    erased_at: datetime
    complaints: list[str]
    values_erased: int
    texts_cleaned: int
    entries_before_erasure_support: int


def erase_customer(session: Session, *, customer_id: int, reason: str, actor: Actor) -> Erasure:
    require_permission(actor.role, Action.erase_personal_data)
    customer = lock_customer(session, customer_id)
    complaints = [lock_complaint_by_id(session, i) for i in _complaint_ids(session, customer_id)]
    _refuse_while_owed(complaints)
    ids = [id_of(c) for c in complaints]
    addresses = _addresses_of(customer)
    searched = _searched_values(session, customer, complaints)
    now = utcnow()
    values = _erase_values(session, ids, addresses, now)
    cleaned = _clean_texts(session, ids, addresses, searched)
    for complaint in complaints:
        touch(session, complaint, description=ERASED, status_token=None)
        record_history(
            session,
            case_id=id_of(complaint),
            actor=actor.name,
            action=HistoryAction.personal_data_erased,
            changes={"customer_id": customer_id, "values_erased": values},
            reason=reason,
        )
    _erase_customer_row(session, customer, now)
    legacy = _entries_sealed_with_values(session, ids)
    session.commit()
    return Erasure(customer_id, now, [c.reference for c in complaints], values, cleaned, legacy)


def _complaint_ids(session: Session, customer_id: int) -> list[int]:
    query = select(Complaint.id).where(Complaint.customer_id == customer_id)
    return [i for i in session.exec(query.order_by(col(Complaint.id))) if i is not None]


def _refuse_while_owed(complaints: list[Complaint]) -> None:
    for complaint in complaints:
        refusal = erasure_refusal(complaint.status)
        if refusal:
            raise RuleViolation(f"complaint {complaint.reference} holds the erasure: {refusal}")


def _addresses_of(customer: Customer) -> set[str]:
    found = {customer.email.lower()} if customer.email else set()
    return found | {t.lower() for t in customer.notification_targets}


def _searched_values(
    session: Session, customer: Customer, complaints: list[Complaint]
) -> list[str]:
    """Every personal value to look for in other text, longest first."""
    found = {customer.name, customer.company, customer.email, customer.phone, customer.address}
    found |= set(customer.notification_targets)
    found |= {c.description for c in complaints}
    rows = session.exec(
        select(PersonalValue).where(
            col(PersonalValue.case_id).in_([id_of(c) for c in complaints]),
            col(PersonalValue.erased_at).is_(None),
        )
    )
    found |= {v for row in rows for v in _strings(row.value)}
    messages = session.exec(
        select(CustomerMessage).where(
            col(CustomerMessage.complaint_id).in_([id_of(c) for c in complaints])
        )
    )
    found |= {part for m in messages for part in (m.sender, m.subject, m.body)}
    kept = {v.strip() for v in found if v and len(v.strip()) >= MIN_SEARCHED_LENGTH}
    return sorted(kept, key=len, reverse=True)


def _strings(value: Any) -> Iterable[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def _is_customers(row: PersonalValue, addresses: set[str]) -> bool:
    """A notice's recipient is erased only when it is the customer; staff addresses stay."""
    if row.field in FREE_TEXT_FIELDS or row.field == "reason":
        return True
    return isinstance(row.value, str) and row.value.lower() in addresses


def _erase_values(
    session: Session, complaint_ids: list[int], addresses: set[str], now: datetime
) -> int:
    rows = session.exec(
        select(PersonalValue).where(
            col(PersonalValue.case_id).in_(complaint_ids),
            col(PersonalValue.erased_at).is_(None),
        )
    )
    erased = 0
    for row in rows:
        if _is_customers(row, addresses):
            row.value, row.salt, row.erased_at = None, None, now
            session.add(row)
            erased += 1
    return erased


def _erase_customer_row(session: Session, customer: Customer, now: datetime) -> None:
    customer.name = ERASED
    customer.company = customer.email = customer.phone = customer.address = None
    customer.notification_targets = []
    customer.erased_at = now
    session.add(customer)


def _scrubbed(text: str | None, searched: list[str]) -> str | None:
    if not text:
        return text
    for value in searched:
        for form in {value, html.escape(value), html.escape(value, quote=False)}:
            text = text.replace(form, ERASED)
    return text


def _scrub_columns(
    session: Session, rows: Iterable[Any], columns: tuple[str, ...], searched: list[str]
) -> int:
    """Remove the values from the rows' text or JSON columns; the rows changed."""
    cleaned = 0
    for row in rows:
        changed = False
        for column in columns:
            before = getattr(row, column)
            after = _scrubbed_json(before, searched)
            if after != before:
                setattr(row, column, after)
                changed = True
        if changed:
            session.add(row)
            cleaned += 1
    return cleaned


def _scrubbed_json(value: Any, searched: list[str]) -> Any:
    if isinstance(value, str):
        return _scrubbed(value, searched)
    if isinstance(value, dict):
        return {k: _scrubbed_json(v, searched) for k, v in value.items()}
    if isinstance(value, list):
        return [_scrubbed_json(v, searched) for v in value]
    return value


def _clean_texts(session: Session, ids: list[int], addresses: set[str], searched: list[str]) -> int:
    of_complaints = col(Notification.case_id).in_(ids)
    notices = list(
        session.exec(
            select(Notification).where(or_(of_complaints, col(Notification.case_id).is_(None)))
        )
    )
    for notice in notices:
        if notice.recipient.lower() in addresses:
            notice.recipient = ERASED
            session.add(notice)
    cleaned = _scrub_columns(
        session,
        notices,
        ("recipient", "subject", "body_text", "body_html", "last_error", "dedupe_key"),
        searched,
    )
    cleaned += _erase_mails(session, ids, addresses)
    cleaned += _scrub_columns(
        session,
        session.exec(select(Resolution).where(col(Resolution.complaint_id).in_(ids))),
        (
            "containment",
            "root_cause",
            "corrective_action",
            "preventive_action",
            "customer_summary",
            "review_comment",
            "no_investigation_reason",
        ),
        searched,
    )
    cleaned += _scrub_columns(
        session,
        session.exec(select(CapaAction).where(col(CapaAction.complaint_id).in_(ids))),
        ("description", "evidence", "cancel_reason"),
        searched,
    )
    cleaned += _scrub_columns(
        session,
        session.exec(
            select(EffectivenessCheck).where(col(EffectivenessCheck.complaint_id).in_(ids))
        ),
        ("reasoning",),
        searched,
    )
    cleaned += _scrub_columns(
        session,
        session.exec(select(Task).where(col(Task.case_id).in_(ids))),
        ("result",),
        searched,
    )
    cleaned += _scrub_columns(
        session,
        session.exec(select(Comment).where(col(Comment.case_id).in_(ids))),
        ("body",),
        searched,
    )
    return cleaned


def _erase_mails(session: Session, ids: list[int], addresses: set[str]) -> int:
    mails = session.exec(
        select(InboundMail).where(
            or_(
                col(InboundMail.complaint_id).in_(ids),
                func.lower(InboundMail.sender).in_(addresses or {""}),
            )
        )
    )
    erased = 0
    for mail in mails:
        mail.sender, mail.subject, mail.raw = ERASED, ERASED, None
        session.add(mail)
        erased += 1
    messages = session.exec(
        select(CustomerMessage).where(col(CustomerMessage.complaint_id).in_(ids))
    )
    for message in messages:
        message.sender = message.subject = message.body = ERASED
        session.add(message)
        erased += 1
    return erased + _erase_rating_comments(session, ids)


def _erase_rating_comments(session: Session, ids: list[int]) -> int:
    """The score stays (a figure); the comment is the customer's words."""
    ratings = session.exec(
        select(SatisfactionResponse).where(col(SatisfactionResponse.complaint_id).in_(ids))
    )
    erased = 0
    for rating in ratings:
        if rating.comment:
            rating.comment = ERASED
            session.add(rating)
            erased += 1
    return erased


def _entries_sealed_with_values(session: Session, ids: list[int]) -> int:
    """Entries sealed before personal values were kept apart, still holding a value."""
    entries = session.exec(select(HistoryEntry.changes).where(col(HistoryEntry.case_id).in_(ids)))
    return sum(1 for changes in entries if _holds_plain_value(changes))


def _holds_plain_value(changes: Any) -> bool:
    if isinstance(changes, dict):
        for name, value in changes.items():
            if name in PERSONAL_FIELDS and isinstance(value, str) and value:
                return True
            if _holds_plain_value(value):
                return True
    return False
