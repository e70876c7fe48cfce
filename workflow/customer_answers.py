"""The customer answers what the company asked them for, on their status page."""

from sqlmodel import Session, col, select

from models.complaint import Complaint
from models.enums import Status
from models.history import HistoryEntry
from workflow.complaints import customer_answered
from workflow.mail_replies import tell_department
from workflow.rules import Action, Actor

MAX_ANSWER_CHARACTERS = 5_000


def customer_replied(session: Session, *, reference: str, answer: str, actor: Actor) -> Complaint:
    """Their answer restarts the clocks (409 when nothing is asked of them) and is told to
    whoever works on the complaint, in the same commit."""

    def tell(session: Session, complaint: Complaint) -> None:
        tell_department(
            session,
            complaint,
            subject="Answer on the status page",
            body=answer,
            key=f"answer-{complaint.id}-{complaint.version}",
        )

    return customer_answered(
        session,
        reference=reference,
        note=answer,
        actor=actor,
        version=None,
        customer_wrote_note=True,
        before_commit=tell,
    )


def open_question(session: Session, complaint: Complaint) -> str | None:
    """What the company is waiting for from the customer, while it waits."""
    if complaint.status is not Status.waiting_on_customer:
        return None
    return session.exec(
        select(HistoryEntry.reason)
        .where(
            HistoryEntry.complaint_id == complaint.id,
            HistoryEntry.action == Action.wait_for_customer.value,
        )
        .order_by(col(HistoryEntry.seq).desc())
        .limit(1)
    ).first()
