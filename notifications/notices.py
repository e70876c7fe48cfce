"""Which notices an event sends, to whom: queued in the ledger in the handler's transaction."""

from datetime import datetime
from typing import Any

from sqlmodel import Session, select

from models.complaint import Complaint
from models.customer import Customer
from models.notification import NoticeKind, Notification
from models.resolution import Resolution
from models.user import User
from notifications.ledger import queue_notice
from notifications.targets import email_target_url
from notifications.templates import RenderedNotice, render_notice
from workflow.config import get_settings
from workflow.rules import Kind, Role, TaskKind, needs_investigation

TASK_LABELS = {
    TaskKind.quality_assessment: "Quality assessment and investigation",
    TaskKind.sales_review: "Sales review of quality's result",
    TaskKind.subtask: "Sub-task",
}


def status_url(complaint: Complaint) -> str | None:
    """The customer's own page for this complaint (the token is the only key)."""
    if not complaint.status_token:
        return None
    return f"{get_settings().public_base_url.rstrip('/')}/status/{complaint.status_token}"


def _context(complaint: Complaint, customer: Customer, **extra: Any) -> dict[str, Any]:
    return {
        "reference": complaint.reference,
        "kind_label": "complaint" if complaint.kind is Kind.complaint else complaint.kind.value,
        "product": complaint.product,
        "lot_number": complaint.lot_number,
        "quantity_affected": complaint.quantity_affected,
        "severity": complaint.severity.value,
        "description": complaint.description,
        "customer_name": customer.name,
        "reply_due_at": complaint.reply_due_at,
        "status_url": status_url(complaint),
        **extra,
    }


def queue_to_addresses(
    session: Session,
    complaint: Complaint,
    kind: NoticeKind,
    addresses: list[str],
    context: dict[str, Any],
    key: str,
) -> list[Notification]:
    rendered = render_notice(kind, context)
    return [
        queue_notice(
            session,
            complaint_id=complaint.id,  # type: ignore[arg-type]
            kind=kind,
            recipient=address,
            target_url=email_target_url(address),
            rendered=rendered,
            dedupe_key=f"{key}:{kind.value}:{address}",
        )
        for address in addresses
    ]


def _queue_to_customer(
    session: Session, complaint: Complaint, kind: NoticeKind, context: dict[str, Any], key: str
) -> list[Notification]:
    customer = _customer(session, complaint)
    addresses = [customer.email] if customer.email else []
    notices = queue_to_addresses(session, complaint, kind, addresses, context, key)
    rendered = render_notice(kind, context)
    for target in customer.notification_targets:
        notices.append(
            queue_notice(
                session,
                complaint_id=complaint.id,  # type: ignore[arg-type]
                kind=kind,
                recipient=target,
                target_url=target,
                rendered=rendered,
                dedupe_key=f"{key}:{kind.value}:{target}",
            )
        )
    return notices


def _customer(session: Session, complaint: Complaint) -> Customer:
    customer = session.get(Customer, complaint.customer_id)
    assert customer is not None
    return customer


def acknowledge(session: Session, complaint: Complaint, key: str) -> list[Notification]:
    next_steps = (
        "our quality department assesses it and, where needed, investigates the cause; "
        "we then tell you the result."
        if needs_investigation(complaint.kind)
        else "we pass it to the departments concerned. Thank you for helping us improve."
    )
    context = _context(complaint, _customer(session, complaint), next_steps=next_steps)
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
        _customer(session, complaint),
        department=department,
        task_label=TASK_LABELS[task_kind],
        task_due_at=due_at,
    )
    addresses = get_settings().department_emails.get(department, [])
    return queue_to_addresses(session, complaint, NoticeKind.new_task, addresses, context, key)


def inform_quality_of_feedback(
    session: Session, complaint: Complaint, key: str
) -> list[Notification]:
    context = _context(complaint, _customer(session, complaint))
    addresses = get_settings().department_emails.get("quality", [])
    return queue_to_addresses(session, complaint, NoticeKind.feedback_info, addresses, context, key)


def alert_general_managers(session: Session, complaint: Complaint, key: str) -> list[Notification]:
    managers = session.exec(
        select(User).where(User.role == Role.general_manager, User.is_active == True)  # noqa: E712
    ).all()
    context = _context(complaint, _customer(session, complaint))
    addresses = sorted({str(m.email) for m in managers})
    return queue_to_addresses(
        session, complaint, NoticeKind.critical_alert, addresses, context, key
    )


def _resolution_context(
    session: Session, complaint: Complaint, resolution: Resolution
) -> dict[str, Any]:
    return _context(complaint, _customer(session, complaint), summary=resolution.customer_summary)


def notify_resolution(
    session: Session, complaint: Complaint, resolution: Resolution, key: str
) -> list[Notification]:
    context = _resolution_context(session, complaint, resolution)
    return _queue_to_customer(session, complaint, NoticeKind.resolution, context, key)


def resolution_preview(
    session: Session, complaint: Complaint, resolution: Resolution
) -> RenderedNotice:
    """The resolution notice exactly as the customer will receive it, for sales' review."""
    return render_notice(NoticeKind.resolution, _resolution_context(session, complaint, resolution))
