"""Closing a resolved complaint the customer leaves unanswered, and the survey that follows
every closing the rules name (``RATING_INVITED_AFTER``).

The customer's answer clock (``Step.customer_acceptance``) starts with the resolution notice
and stops with the customer's answer; the sweep calls ``close_silent_complaint`` when it falls
due, and the transition the rules give it (``CLOSES_WHEN_DUE``) closes the complaint.
"""

from dataclasses import replace

from sqlmodel import Session, col, select

from models.base import id_of
from models.complaint import Complaint
from models.deadline import Deadline
from models.enums import Status
from models.history import HistoryEntry
from models.notification import Notification
from workflow import deadlines, notices
from workflow.clock import utcnow
from workflow.config import get_settings
from workflow.effectiveness import complete_record_if_nothing_to_correct
from workflow.facts import facts_of
from workflow.rules import (
    CLOSES_WHEN_DUE,
    QUALITY_LOOP_STEPS,
    RATING_INVITED_AFTER,
    SYSTEM,
    TRANSITIONS,
    Action,
    Actor,
    ComplaintFacts,
    Step,
)
from workflow.transitions import apply_transition

SILENCE_CLOSER = Actor(name="flow:sweep-deadlines", role=SYSTEM)


def after_closing(session: Session, complaint: Complaint, action: Action) -> list[Notification]:
    """What a closing owes the customer: the one invitation to rate, if the rules ask."""
    if action not in RATING_INVITED_AFTER:
        return []
    return notices.invite_to_rate(session, complaint)


def closing_facts(
    session: Session, complaint: Complaint, facts: ComplaintFacts | None = None
) -> ComplaintFacts:
    """The complaint's facts with how and how long ago it last closed, from its history (what
    the rules ask before a closed complaint is reopened)."""
    facts = facts or facts_of(complaint)
    if complaint.status is not Status.closed:
        return facts
    closing = session.exec(
        select(HistoryEntry)
        .where(HistoryEntry.case_id == id_of(complaint))
        .where(HistoryEntry.to_status == Status.closed.value)
        .order_by(col(HistoryEntry.seq).desc())
        .limit(1)
    ).first()
    if closing is None:
        return facts
    return replace(
        facts,
        closed_by=Action(closing.action),
        days_since_closing=(utcnow() - closing.at).total_seconds() / 86_400,
        reopen_window_days=get_settings().reopen_window_days,
    )


def close_silent_complaint(
    session: Session, complaint: Complaint, clock: Deadline
) -> list[Notification]:
    """The customer's answer is overdue: close the complaint (the caller has locked both)."""
    action = CLOSES_WHEN_DUE[clock.step]
    if complaint.status not in TRANSITIONS[action].sources:
        # Answered in the meantime by a path that left the clock running: nothing to close.
        deadlines.stop_clocks(session, id_of(complaint), {clock.step})
        return []
    unit = "business days" if clock.business_time else "days"
    days = clock.hours / deadlines.hours_per_day(clock.business_time)
    apply_transition(
        session,
        complaint,
        action=action,
        actor=SILENCE_CLOSER,
        changes={"due_at": None},
        noted={"answer_due_at": clock.due_at},
        reason=f"closed for lack of an answer: the customer did not answer the resolution "
        f"within {days:g} {unit}",
    )
    deadlines.stop_clocks(session, id_of(complaint), set(Step) - QUALITY_LOOP_STEPS)
    complete_record_if_nothing_to_correct(session, complaint, SILENCE_CLOSER.name)
    key = f"deadline-{clock.id}-closed"
    told = notices.tell_closed_without_answer(session, complaint, key)
    return told + after_closing(session, complaint, action)
