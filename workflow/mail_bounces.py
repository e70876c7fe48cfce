"""Mail from robots: never a complaint, never an answer; a delivery report on one of our
notices marks that notice ``bounced`` and tells sales."""

from sqlmodel import Session, col, select

from models.base import id_of
from models.customer import Customer
from models.enums import Department, HistoryAction
from models.mail import MailOutcome
from models.notification import NoticeKind, NoticeStatus, Notification
from workflow import notices
from workflow.cases import case_record
from workflow.config import get_settings
from workflow.history import record_history
from workflow.mail_common import INTAKE_USERNAME, record_of
from workflow.mail_parse import ParsedMail


def take_robot_mail(session: Session, parsed: ParsedMail) -> MailOutcome:
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
    complaint_id = next((n.case_id for n in bounced if n.case_id), None)
    session.add(record_of(parsed, outcome, complaint_id=complaint_id, reason=parsed.robot_reason))
    session.commit()
    return outcome


def _mark_bounced(session: Session, notice: Notification, parsed: ParsedMail) -> None:
    notice.status = NoticeStatus.bounced
    notice.next_attempt_at = None
    notice.last_error = "bounced: a delivery report says the mail did not arrive"
    session.add(notice)
    if notice.case_id is None:
        return
    complaint = case_record(session, notice.case_id)
    record_history(
        session,
        case_id=id_of(complaint),
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
