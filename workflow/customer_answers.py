"""The customer answers what the company asked them for: on their status page (a message and
photos) or by replying to our mail. Either way the clocks restart in the same commit."""

from collections.abc import Sequence

from sqlmodel import Session, col, select

from models.base import id_of
from models.complaint import Complaint
from models.customer import Customer
from models.enums import Department, HistoryAction, Status, TaskStatus
from models.history import HistoryEntry
from models.notification import NoticeKind
from models.task import Task
from models.user import User
from workflow import deadlines, notices
from workflow.attachments import NewAttachment, add_attachments
from workflow.config import get_settings
from workflow.history import record_history
from workflow.mail_common import intake_actor
from workflow.rules import Action, Actor
from workflow.transitions import apply_transition, lock_complaint

MAX_ANSWER_CHARACTERS = 5_000


def resume_after_answer(
    session: Session,
    complaint: Complaint,
    *,
    note: str,
    actor: Actor,
    customer_wrote_note: bool,
    attachments: Sequence[str] = (),
    version: int | None = None,
) -> None:
    """Restart the clocks of a complaint waiting on its customer; their due dates move by the
    time paused. The caller has locked the row and commits. ``customer_wrote_note``: the note
    is the customer's own answer (personal data, kept apart from the history)."""
    apply_transition(
        session,
        complaint,
        action=Action.resume_after_customer,
        actor=actor,
        reason=note,
        expected_version=version,
        noted={"attachments": list(attachments)} if attachments else None,
        customer_wrote_reason=customer_wrote_note,
    )
    paused_hours = deadlines.resume_clocks(session, id_of(complaint))
    deadlines.sync_due_dates(session, complaint)
    record_history(
        session,
        case_id=id_of(complaint),
        actor=actor.name,
        action=HistoryAction.clocks_resumed,
        changes={
            "paused_hours": round(paused_hours, 2),
            "due_at": complaint.due_at,
            "reply_due_at": complaint.reply_due_at,
        },
    )


def customer_replied(
    session: Session,
    *,
    reference: str,
    answer: str,
    actor: Actor,
    attachments: Sequence[NewAttachment] = (),
) -> Complaint:
    """Their answer on the status page, with its photos (checked by the caller): the clocks
    restart (409 when nothing is asked of them), the photos are kept as the customer's and
    whoever works on the complaint is told, all in one commit."""
    complaint = lock_complaint(session, reference)
    resume_after_answer(
        session,
        complaint,
        note=answer,
        actor=actor,
        customer_wrote_note=True,
        attachments=[a.filename for a in attachments],
    )
    if attachments:
        # Stored under the intake account, as a mailed customer's photos are.
        add_attachments(session, complaint, attachments, intake_actor(session))
    names = "".join(f"\n[attached: {a.filename}]" for a in attachments)
    tell_department(
        session,
        complaint,
        subject="Answer on the status page",
        body=answer + names,
        key=f"answer-{complaint.id}-{complaint.version}",
    )
    session.commit()
    return complaint


def waits_on_customer(complaint: Complaint) -> bool:
    return complaint.status is Status.waiting_on_customer


def open_question(session: Session, complaint: Complaint) -> str | None:
    """What the company is waiting for from the customer, while it waits."""
    if not waits_on_customer(complaint):
        return None
    return session.exec(
        select(HistoryEntry.reason)
        .where(
            HistoryEntry.case_id == complaint.id,
            HistoryEntry.action == Action.wait_for_customer.value,
        )
        .order_by(col(HistoryEntry.seq).desc())
        .limit(1)
    ).first()


def _assignees(session: Session, complaint: Complaint) -> list[str]:
    """The addresses of the people working on the complaint's claimed tasks."""
    rows = session.exec(
        select(User.email)
        .join(Task, col(Task.assignee_id) == col(User.id))
        .where(Task.case_id == complaint.id, Task.status == TaskStatus.claimed)
    ).all()
    return sorted({str(email) for email in rows})


def tell_department(
    session: Session, complaint: Complaint, *, subject: str, body: str, key: str
) -> None:
    """The customer wrote to us: whoever has claimed a task on the complaint hears of it; else
    the department holding it (sales once it has left quality)."""
    department = (complaint.current_department or Department.sales).value
    customer = session.get(Customer, complaint.customer_id)
    context = {
        "reference": complaint.reference,
        "product": complaint.product,
        "customer_name": customer.name if customer else "the customer",
        "message_subject": subject,
        "message_body": body,
    }
    addresses = _assignees(session, complaint) or get_settings().department_emails.get(
        department, []
    )
    notices.queue_to_addresses(
        session, complaint, NoticeKind.customer_message, addresses, context, key
    )
