"""The deadline sweep: reminders before a due date, escalation one level at a time after it.

Idempotent by construction: each clock is locked and re-checked (``next_check_at <= now``)
before anything is done, its state (``reminded_at``, ``escalation_level``) moves in the same
transaction as the notices it queues, and every notice has a unique dedupe key. A second
sweep in the same minute, or a rerun after a crash, finds nothing left to do.
"""

import logging
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from models.base import id_of
from models.complaint import Complaint
from models.customer import Customer
from models.deadline import Deadline
from models.enums import HistoryAction
from models.notification import NoticeKind, Notification
from models.user import User
from workflow.away import deputy_while_away
from workflow.cases import CaseRecord, case_reference, lock_case_by_id, with_case_records
from workflow.clock import utcnow
from workflow.closing import close_silent_complaint
from workflow.config import get_settings
from workflow.db import read_session, write_session
from workflow.deadlines import clock_figures, next_check
from workflow.history import record_history
from workflow.notices import queue_to_addresses
from workflow.rules import (
    CLOSES_WHEN_DUE,
    ESCALATION_LADDER,
    REMINDER_AUDIENCE,
    ROUTES_WHEN_DUE,
    TOP_LEVEL,
    Audience,
    EscalationLevel,
    Step,
)
from workflow.triage_due import route_untriaged
from workflow.users import active_emails

logger = logging.getLogger(__name__)
SWEEPER = "flow:sweep-deadlines"
STEP_LABELS = {
    Step.acknowledgement: "Acknowledgement to the customer",
    Step.first_assessment: "Quality's first assessment",
    Step.containment: "Containment",
    Step.quality_result: "Investigation and result",
    Step.subtask: "Sub-task for quality",
    Step.sales_review: "Sales review",
    Step.customer_reply: "Reply to the customer",
    Step.capa_action: "Corrective or preventive action",
    Step.effectiveness_check: "Effectiveness check of the corrective actions",
    Step.customer_acceptance: "Customer's answer to the resolution (closes by itself)",
    Step.inquiry_answer: "Answer to the customer's inquiry",
    Step.mail_triage: "Sales' triage of a mail (routes with defaults by itself)",
    Step.customer_call: "Call to the customer (a notice we cannot mail)",
    Step.department_review: "A department's review of a contract or order",
    Step.review_decision: "Sales' decision on a reviewed contract or order",
    Step.review_approval: "The general manager's approval of a special contract",
}
LEVEL_LABELS = {
    EscalationLevel.assignee: "the assignee",
    EscalationLevel.head_of_department: "head of the department",
    EscalationLevel.quality_manager: "quality manager",
    EscalationLevel.general_manager: "general manager",
}


@dataclass(frozen=True)
class DueClock:
    id: int
    reference: str
    step: str


def due_clocks(limit: int) -> list[DueClock]:
    """Clocks with something to do now, by the index on ``next_check_at`` alone."""
    with read_session() as session:
        rows = session.exec(
            with_case_records(
                select(Deadline.id, case_reference(), Deadline.step), Deadline.case_id
            )
            .where(col(Deadline.next_check_at) <= utcnow())
            .order_by(col(Deadline.next_check_at))
            .limit(limit)
        ).all()
    return [DueClock(id=r[0], reference=r[1], step=str(r[2])) for r in rows if r[0] is not None]


def _owner_emails(session: Session, clock: Deadline) -> list[str]:
    owner = session.get(User, clock.owner_id) if clock.owner_id else None
    if owner is not None and owner.is_active:
        return [str(owner.email), *_deputy_emails(session, clock)]
    return get_settings().department_emails.get(clock.department.value, [])


def _deputy_emails(session: Session, clock: Deadline) -> list[str]:
    """While the clock's owner is away, the colleague who stands in hears what they would."""
    owner = session.get(User, clock.owner_id) if clock.owner_id else None
    deputy = deputy_while_away(session, owner) if owner is not None else None
    return [str(deputy.email)] if deputy is not None else []


def recipients(session: Session, clock: Deadline, audience: Audience) -> list[str]:
    """The addresses of the audience the rules name for this clock."""
    if audience.owner:
        return _owner_emails(session, clock)
    department = clock.department if audience.clock_department else audience.department
    in_department = () if department is None else (User.department == department,)
    return active_emails(session, User.role == audience.role, *in_department)


def _late_label(clock: Deadline, late: float) -> str:
    unit = "business hours" if clock.business_time else "hours"
    return f"{late:.1f} {unit}"


def _subject(case: CaseRecord) -> dict[str, str | None]:
    """What the case is about, as a reminder names it."""
    if isinstance(case, Complaint):
        return {"subject_label": None, "product": case.product, "severity": case.severity.value}
    kind = "special" if case.special else "regular"
    label = f"{kind.capitalize()} {case.kind.value}"
    return {"subject_label": label, "product": case.title, "severity": None}


def _context(session: Session, case: CaseRecord, clock: Deadline, now: datetime) -> dict:
    _, left, late = clock_figures(clock, now)
    customer = session.get(Customer, case.customer_id)
    owner = session.get(User, clock.owner_id) if clock.owner_id else None
    return {
        "reference": case.reference,
        **_subject(case),
        "customer_name": customer.name if customer else "?",
        "step_label": STEP_LABELS[clock.step],
        "due_at": clock.due_at,
        "hours_left": f"{left:.1f}",
        "business_time": clock.business_time,
        "late_by": _late_label(clock, late),
        "department": clock.department.value,
        "assignee": owner.username if owner else None,
    }


def _remind(session: Session, complaint: CaseRecord, clock: Deadline, now: datetime) -> list:
    to = recipients(session, clock, REMINDER_AUDIENCE)
    context = _context(session, complaint, clock, now)
    queued = queue_to_addresses(
        session, complaint, NoticeKind.reminder, to, context, f"deadline-{clock.id}-reminder"
    )
    clock.reminded_at = now
    record_history(
        session,
        case_id=id_of(complaint),
        actor=SWEEPER,
        action=HistoryAction.reminder_sent,
        changes={"step": clock.step, "cycle": clock.cycle, "due_at": clock.due_at, "to": to},
        reason=f"{context['hours_left']} hours left before the due date",
    )
    return queued


def _escalate(session: Session, complaint: CaseRecord, clock: Deadline, now: datetime) -> list:
    level = EscalationLevel(clock.escalation_level + 1)
    to = sorted(
        {*recipients(session, clock, ESCALATION_LADDER[level]), *_deputy_emails(session, clock)}
    )
    context = _context(session, complaint, clock, now)
    context.update(level=int(level), level_label=LEVEL_LABELS[level])
    key = f"deadline-{clock.id}-escalation-{int(level)}"
    queued = queue_to_addresses(session, complaint, NoticeKind.escalation, to, context, key)
    clock.escalation_level = level
    clock.escalated_at = now
    record_history(
        session,
        case_id=id_of(complaint),
        actor=SWEEPER,
        action=HistoryAction.escalated,
        changes={
            "step": clock.step,
            "cycle": clock.cycle,
            "level": int(level),
            "level_label": LEVEL_LABELS[level],
            "to": to,
        },
        reason=f"due {clock.due_at.isoformat()}, late by {context['late_by']}"
        + ("" if to else "; nobody is configured at this level"),
    )
    return queued


def process_clocks(clock_ids: list[int]) -> list[int]:
    """Do what is due for a chunk of clocks in one write transaction; the ids of the notices
    queued. A sweep with thousands of clocks due spent most of its time committing one
    transaction per clock. Should the chunk fail, each clock is done in a transaction of its
    own, so one clock that cannot be handled holds up none of the others."""
    try:
        return _in_one_transaction(clock_ids)
    except Exception:
        logger.exception("a chunk of %d clocks failed; doing them one by one", len(clock_ids))
    failure: Exception | None = None
    queued: list[int] = []
    for clock_id in clock_ids:
        try:
            queued += process_clock(clock_id)
        except Exception as exc:
            logger.exception("clock %d could not be handled", clock_id)
            failure = failure or exc
    if failure is not None:
        raise failure
    return queued


def _in_one_transaction(clock_ids: list[int]) -> list[int]:
    now = utcnow()
    with write_session() as session:
        # Complaints are locked in id order, as every transaction that locks several does, so
        # two sweeps (or a sweep and a closure day's re-timing) never wait on each other.
        ordered = session.exec(
            select(Deadline.id)
            .where(col(Deadline.id).in_(clock_ids))
            .order_by(col(Deadline.case_id), col(Deadline.id))
        ).all()
        queued = [n for clock_id in ordered if clock_id for n in _do_due(session, clock_id, now)]
        session.commit()
    return [n.id for n in queued if n.id is not None]


def process_clock(clock_id: int) -> list[int]:
    """Do the one thing now due for this clock; the ids of the notices it queued."""
    return _in_one_transaction([clock_id])


def _do_due(session: Session, clock_id: int, now: datetime) -> list[Notification]:
    clock = session.get(Deadline, clock_id)
    if clock is None:
        return []
    case = lock_case_by_id(session, clock.case_id)
    clock = session.exec(select(Deadline).where(Deadline.id == clock_id).with_for_update()).one()
    if clock.next_check_at is None or clock.next_check_at > now:
        return []  # done by an earlier or concurrent sweep
    queued: list[Notification] = []
    if clock.step in ROUTES_WHEN_DUE:
        if now >= clock.due_at:
            assert isinstance(case, Complaint), "only a complaint's mail is triaged"
            route_untriaged(session, case, clock)
    elif clock.step in CLOSES_WHEN_DUE:
        if now >= clock.due_at:
            assert isinstance(case, Complaint), "only a complaint closes by itself"
            queued = close_silent_complaint(session, case, clock)
    elif clock.escalation_level == EscalationLevel.none and now < clock.due_at:
        if clock.reminded_at is None:
            queued = _remind(session, case, clock, now)
    elif clock.escalation_level < TOP_LEVEL:
        queued = _escalate(session, case, clock, now)
    clock.next_check_at = next_check(clock)
    session.add(clock)
    session.flush()
    return queued
