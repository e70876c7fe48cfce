"""Which notices an event sends, to whom: queued in the ledger in the handler's transaction.

The customer's status link is a key to the complaint: notices are stored with the token
withheld (staff read them in the record) and it is filled in when the mail is sent.
"""

from datetime import datetime
from typing import Any

from sqlmodel import Session

from models.base import id_of
from models.complaint import Complaint
from models.customer import Customer
from models.notification import NoticeChannel, NoticeKind, Notification
from models.resolution import Resolution
from models.review import Contract
from models.user import User
from notifications.ledger import queue_notice
from notifications.templates import RenderedNotice, render_notice
from workflow import calls
from workflow.cases import CaseRecord
from workflow.company import current_company
from workflow.config import get_settings
from workflow.db import read_session
from workflow.rules import TASK_DEFINITIONS, Department, Kind, Role, TaskKind, needs_investigation
from workflow.users import active_emails

TASK_LABELS = {kind: definition.label for kind, definition in TASK_DEFINITIONS.items()}


# Stands for the status token in stored notices; URL-safe and untouched by HTML escaping.
WITHHELD_TOKEN = "[customer-only]"  # noqa: S105 - a placeholder, not a secret
CUSTOMER_KINDS = frozenset(
    {
        NoticeKind.acknowledgement,
        NoticeKind.resolution,
        NoticeKind.closed_without_answer,
        NoticeKind.satisfaction_invitation,
        NoticeKind.customer_question,
        NoticeKind.inquiry_answer,
        NoticeKind.review_answer,
        NoticeKind.review_question,
        NoticeKind.contract_progress,
    }
)


def status_url(complaint: Complaint, *, token: str | None = None) -> str | None:
    """The customer's own page for this complaint (the token is the only key)."""
    if not complaint.status_token:
        return None
    base = get_settings().public_base_url.rstrip("/")
    return f"{base}/status/{token or complaint.status_token}"


def _withheld_status_url(complaint: Complaint) -> str | None:
    return status_url(complaint, token=WITHHELD_TOKEN)


def _context(complaint: Complaint, customer: Customer, **extra: Any) -> dict[str, Any]:
    return {
        "reference": complaint.reference,
        "kind_label": "complaint" if complaint.kind is Kind.complaint else complaint.kind.value,
        "kind": complaint.kind.value,
        "investigated": needs_investigation(complaint.kind),
        "product": complaint.product,
        "lot_number": complaint.lot_number,
        "quantity_affected": complaint.quantity_affected,
        "severity": complaint.severity.value,
        "description": complaint.description,
        "customer_name": customer.name,
        "reply_due_at": complaint.reply_due_at,
        "status_url": _withheld_status_url(complaint),
        **extra,
    }


def queue_to_addresses(
    session: Session,
    case: CaseRecord,
    kind: NoticeKind,
    addresses: list[str],
    context: dict[str, Any],
    key: str,
) -> list[Notification]:
    rendered = render_notice(kind, context)
    return [
        queue_notice(
            session,
            case_id=id_of(case),
            kind=kind,
            recipient=address,
            rendered=rendered,
            dedupe_key=f"{key}:{kind.value}:{address}",
        )
        for address in addresses
    ]


def _queue_to_customer(
    session: Session, complaint: Complaint, kind: NoticeKind, context: dict[str, Any], key: str
) -> list[Notification]:
    customer = customer_of(session, complaint)
    context = in_customers_language(context, customer)
    if calls.has_no_address(customer):
        return _phone_instead(session, complaint, customer, kind, context, key)
    addresses = [customer.email] if customer.email else []
    notices = queue_to_addresses(session, complaint, kind, addresses, context, key)
    rendered = render_notice(kind, context)
    for target in customer.notification_targets:
        notices.append(
            queue_notice(
                session,
                case_id=id_of(complaint),
                kind=kind,
                channel=NoticeChannel.apprise,
                recipient=target,
                rendered=rendered,
                dedupe_key=f"{key}:{kind.value}:{target}",
            )
        )
    return notices


def _phone_instead(
    session: Session,
    complaint: Complaint,
    customer: Customer,
    kind: NoticeKind,
    context: dict[str, Any],
    key: str,
) -> list[Notification]:
    """Nothing to send it to: sales phones it (a call task), and their mailbox hears of it."""
    task = calls.phone_notice(session, complaint, customer, kind, context, key)
    if task is None:
        return []
    return announce_task(
        session,
        complaint,
        department=task.department.value,
        task_kind=TaskKind.call_customer,
        due_at=task.due_at,
        key=f"call:{task.id}",
    )


def in_customers_language(context: dict[str, Any], customer: Customer) -> dict[str, Any]:
    """A customer's notice is written in their language, its moments in their time zone, and
    carries the company's name and logo at the top and its signature at the foot."""
    return {
        **context,
        "language": customer.language,
        "time_zone": customer.time_zone,
        "company": current_company(),
    }


def customer_of(session: Session, record: CaseRecord | Contract) -> Customer:
    """The customer of a case, or of a contract in the ledger."""
    customer = session.get(Customer, record.customer_id)
    assert customer is not None, f"{record.reference} has no customer"
    return customer


def acknowledge(session: Session, complaint: Complaint, key: str) -> list[Notification]:
    context = _context(complaint, customer_of(session, complaint))
    return _queue_to_customer(session, complaint, NoticeKind.acknowledgement, context, key)


def announce_task(
    session: Session,
    complaint: Complaint,
    *,
    department: str,
    task_kind: TaskKind,
    due_at: datetime,
    key: str,
) -> list[Notification]:
    context = _context(
        complaint,
        customer_of(session, complaint),
        department=department,
        task_label=TASK_LABELS[task_kind],
        task_due_at=due_at,
    )
    addresses = get_settings().department_emails.get(department, [])
    return queue_to_addresses(session, complaint, NoticeKind.new_task, addresses, context, key)


def inform_quality_of_feedback(
    session: Session, complaint: Complaint, key: str
) -> list[Notification]:
    context = _context(complaint, customer_of(session, complaint))
    addresses = get_settings().department_emails.get("quality", [])
    return queue_to_addresses(session, complaint, NoticeKind.feedback_info, addresses, context, key)


def alert_general_managers(session: Session, complaint: Complaint, key: str) -> list[Notification]:
    context = _context(complaint, customer_of(session, complaint))
    addresses = active_emails(session, User.role == Role.general_manager)
    return queue_to_addresses(
        session, complaint, NoticeKind.critical_alert, addresses, context, key
    )


def _resolution_context(
    session: Session, complaint: Complaint, resolution: Resolution
) -> dict[str, Any]:
    customer = customer_of(session, complaint)
    context = _context(
        complaint,
        customer,
        summary=resolution.customer_summary,
        resolved_at=complaint.resolved_at or resolution.approved_at or resolution.decided_at,
    )
    return in_customers_language(context, customer)


def personal_body(notice: Notification) -> str:
    """The body to send: the customer's own notices get their status token back."""
    body = notice.body_html or notice.body_text
    if notice.kind not in CUSTOMER_KINDS or notice.case_id is None:
        return body
    if WITHHELD_TOKEN not in body:
        return body
    with read_session() as session:
        complaint = session.get(Complaint, notice.case_id)
        token = complaint.status_token if complaint else None
    if not token:
        raise LookupError(f"notice {notice.id}: its complaint has no status token")
    return body.replace(WITHHELD_TOKEN, token)


def notify_resolution(
    session: Session, complaint: Complaint, resolution: Resolution, key: str
) -> list[Notification]:
    context = _resolution_context(session, complaint, resolution)
    return _queue_to_customer(session, complaint, NoticeKind.resolution, context, key)


def resolution_preview(
    session: Session,
    complaint: Complaint,
    resolution: Resolution,
    *,
    with_status_link: bool = False,
) -> RenderedNotice:
    """The resolution notice exactly as the customer will receive it, for sales' review: its
    ``body_text`` is the mail's plain-text part. The status link's token is withheld unless
    ``with_status_link`` (for the roles that may see it: sales, admin)."""
    context = _resolution_context(session, complaint, resolution)
    if with_status_link:
        context["status_url"] = status_url(complaint)
    return render_notice(NoticeKind.resolution, context)


def tell_closed_without_answer(
    session: Session, complaint: Complaint, key: str
) -> list[Notification]:
    context = _context(
        complaint,
        customer_of(session, complaint),
        reopen_days=get_settings().reopen_window_days,
    )
    return _queue_to_customer(session, complaint, NoticeKind.closed_without_answer, context, key)


def ask_customer(
    session: Session, complaint: Complaint, question: str, key: str
) -> list[Notification]:
    """What the company waits for from the customer, with the page to answer on."""
    context = _context(complaint, customer_of(session, complaint), question=question)
    return _queue_to_customer(session, complaint, NoticeKind.customer_question, context, key)


def answer_inquiry(
    session: Session, complaint: Complaint, answer: str, key: str
) -> list[Notification]:
    context = _context(complaint, customer_of(session, complaint), answer=answer)
    return _queue_to_customer(session, complaint, NoticeKind.inquiry_answer, context, key)


def invite_to_rate(session: Session, complaint: Complaint) -> list[Notification]:
    """The one invitation of a complaint: its dedupe key holds whatever closed it."""
    context = _context(complaint, customer_of(session, complaint))
    key = f"satisfaction-{id_of(complaint)}"
    return _queue_to_customer(session, complaint, NoticeKind.satisfaction_invitation, context, key)


def _quality_managers(session: Session) -> list[str]:
    return active_emails(session, User.role == Role.manager, User.department == Department.quality)


def alert_quality_managers_of_low_score(
    session: Session, complaint: Complaint, rating: dict[str, Any]
) -> list[Notification]:
    context = _context(complaint, customer_of(session, complaint), **rating)
    addresses = _quality_managers(session)
    key = f"satisfaction-{id_of(complaint)}-low"
    return queue_to_addresses(
        session, complaint, NoticeKind.low_satisfaction, addresses, context, key
    )


def alert_quality_managers_of_recurrence(
    session: Session, complaint: Complaint, cluster: dict[str, Any], key: str
) -> list[Notification]:
    """The quality managers hear once of a cluster that met the recurrence rule."""
    context = _context(complaint, customer_of(session, complaint), **cluster)
    addresses = _quality_managers(session)
    return queue_to_addresses(
        session, complaint, NoticeKind.recurrence_alert, addresses, context, key
    )
