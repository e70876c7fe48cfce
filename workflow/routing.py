"""What the system does on each outbox event: open the next task, move the complaint, queue
the notices (a contract review's: ``workflow/review_routing.py``). Called by the delivery
flow; each handler runs in one transaction that also marks the event handled, so a second
delivery of the same event finds nothing to do."""

from collections.abc import Callable
from datetime import datetime

from sqlmodel import Session, select

from models.base import id_of
from models.complaint import Complaint
from models.enums import HistoryAction, ReviewStatus
from models.mail import InboundMail, MailOutcome
from models.notification import Notification
from models.outbox import OutboxEvent
from models.task import Task
from workflow import deadlines, notices, recurrence
from workflow.cases import lock_review_by_id
from workflow.clock import utcnow
from workflow.contracts import link_complaint_to_contract
from workflow.db import write_session
from workflow.effectiveness import complete_record_if_nothing_to_correct
from workflow.history import record_history
from workflow.outbox import lock_event_for_handling, mark_handled
from workflow.resolutions import latest_resolution
from workflow.review_routing import REVIEW_HANDLERS
from workflow.rules import (
    CUSTOMER_CONTACT,
    ENDED_BY_PERSON,
    SYSTEM,
    TASK_DEFINITIONS,
    Action,
    Actor,
    EventKind,
    Severity,
    Step,
    TaskKind,
    needs_an_answer,
    needs_investigation,
)
from workflow.transitions import apply_transition, lock_complaint_by_id, touch

ROUTER = Actor(name="flow:deliver-events", role=SYSTEM)


def _start_task_clocks(session: Session, complaint: Complaint, task: Task, start: datetime) -> None:
    """The task's own clock and its milestones' clocks, per the task's definition."""
    definition = TASK_DEFINITIONS[task.kind]
    for step in (definition.main_step, *definition.milestone_steps):
        clock = deadlines.start_clock(
            session,
            complaint,
            step,
            start=start,
            department=task.department,
            cycle=complaint.cycle,
            task=task,
        )
        if step is definition.main_step:
            assert clock is not None, f"no deadline policy for {task.kind.value}"
            task.due_at = clock.due_at


def open_task(
    session: Session, complaint: Complaint, *, kind: TaskKind, event: OutboxEvent
) -> list[Notification]:
    """Open the task and start its clocks; the first quality round counts from receipt."""
    definition = TASK_DEFINITIONS[kind]
    assert definition.department is not None, f"{kind.value} tasks are opened by a person"
    now = utcnow()
    if kind is TaskKind.quality_assessment:
        touch(session, complaint, cycle=complaint.cycle + 1)
    first_round = complaint.cycle == 1 and kind is TaskKind.quality_assessment
    task = Task(
        case_id=id_of(complaint),
        department=definition.department,
        kind=kind,
        source_event_id=event.id,
        created_at=now,
        due_at=now,
    )
    session.add(task)
    session.flush()
    _start_task_clocks(session, complaint, task, complaint.received_at if first_round else now)
    touch(session, complaint, due_at=task.due_at)
    record_history(
        session,
        case_id=id_of(complaint),
        actor=ROUTER.name,
        action=HistoryAction.task_opened,
        changes={
            "task_id": task.id,
            "department": task.department,
            "kind": kind,
            "due_at": task.due_at,
        },
    )
    return notices.announce_task(
        session,
        complaint,
        department=task.department.value,
        task_kind=kind,
        due_at=task.due_at,
        key=event.id,
    )


def _route_to_quality(
    session: Session, complaint: Complaint, event: OutboxEvent, reason: str
) -> list[Notification]:
    apply_transition(
        session, complaint, action=Action.route_to_quality, actor=ROUTER, reason=reason
    )
    return open_task(session, complaint, kind=TaskKind.quality_assessment, event=event)


def route_by_kind(session: Session, complaint: Complaint, event: OutboxEvent) -> list[Notification]:
    """Where a complaint goes for its kind: an inquiry to sales to answer, praise and
    suggestions closed to quality's read list, a complaint to quality (critical: the GM told).
    At intake, and after a mail's triage (which may name the order): the order or contract
    reference is looked up in the contract ledger then."""
    link_complaint_to_contract(session, complaint, ROUTER.name)
    if needs_an_answer(complaint.kind):
        apply_transition(
            session,
            complaint,
            action=Action.route_inquiry,
            actor=ROUTER,
            reason="an inquiry is answered by sales or the department sales passes it to",
        )
        return open_task(session, complaint, kind=TaskKind.answer_inquiry, event=event)
    if not needs_investigation(complaint.kind):
        deadlines.stop_clocks(session, id_of(complaint), {Step.customer_reply})
        apply_transition(
            session,
            complaint,
            action=Action.close_as_feedback,
            actor=ROUTER,
            reason=f"{complaint.kind.value} needs no investigation: "
            "acknowledged, passed to quality for information, closed",
        )
        complete_record_if_nothing_to_correct(session, complaint, ROUTER.name)
        return notices.inform_quality_of_feedback(session, complaint, event.id)
    queued = _route_to_quality(session, complaint, event, reason="new complaint")
    recurrence.detect(session, complaint)  # after the commit of intake, off its request
    if complaint.severity is Severity.critical:
        queued += notices.alert_general_managers(session, complaint, event.id)
    return queued


def _made_from_mail(session: Session, complaint: Complaint) -> bool:
    """A complaint the mail intake made (not one sales typed in with channel e-mail)."""
    made = select(InboundMail.id).where(
        InboundMail.complaint_id == complaint.id, InboundMail.outcome == MailOutcome.complaint
    )
    return session.exec(made).first() is not None


def on_complaint_logged(
    session: Session, complaint: Complaint, event: OutboxEvent
) -> list[Notification]:
    queued = notices.acknowledge(session, complaint, event.id)  # or a call task for sales
    if _made_from_mail(session, complaint):
        # Sales triage it (workflow/triage.py), or it routes with defaults when this is due.
        return queued + open_task(session, complaint, kind=TaskKind.triage_mail, event=event)
    return queued + route_by_kind(session, complaint, event)


def on_result_returned(
    session: Session, complaint: Complaint, event: OutboxEvent
) -> list[Notification]:
    return open_task(session, complaint, kind=TaskKind.sales_review, event=event)


def on_sent_back(session: Session, complaint: Complaint, event: OutboxEvent) -> list[Notification]:
    return open_task(session, complaint, kind=TaskKind.quality_assessment, event=event)


def on_approved(session: Session, complaint: Complaint, event: OutboxEvent) -> list[Notification]:
    resolution = latest_resolution(session, id_of(complaint), approved_only=True)
    assert resolution is not None, "approved event without an approved resolution"
    apply_transition(
        session,
        complaint,
        action=Action.resolve,
        actor=ROUTER,
        changes={"due_at": None},
        reason="result approved by sales; resolution notice issued to the customer",
    )
    deadlines.stop_clocks(session, id_of(complaint), {Step.customer_reply})
    # The customer's turn: silence closes it when this clock falls due (workflow/closing.py).
    deadlines.start_clock(
        session,
        complaint,
        Step.customer_acceptance,
        start=utcnow(),
        department=CUSTOMER_CONTACT,
        cycle=complaint.cycle,
        owner_id=complaint.received_by_id,
    )
    return notices.notify_resolution(session, complaint, resolution, event.id)


def on_reopened(session: Session, complaint: Complaint, event: OutboxEvent) -> list[Notification]:
    announced = _route_to_quality(session, complaint, event, reason="reopened by the customer")
    reply = deadlines.start_clock(
        session,
        complaint,
        Step.customer_reply,
        start=utcnow(),
        department=CUSTOMER_CONTACT,
        cycle=complaint.cycle,
        owner_id=complaint.received_by_id,
    )
    if reply is not None:
        touch(session, complaint, reply_due_at=reply.due_at)
    return announced


HANDLERS: dict[EventKind, Callable[[Session, Complaint, OutboxEvent], list[Notification]]] = {
    EventKind.complaint_logged: on_complaint_logged,
    EventKind.result_returned: on_result_returned,
    EventKind.sent_back: on_sent_back,
    EventKind.approved: on_approved,
    EventKind.reopened: on_reopened,
    EventKind.triaged: route_by_kind,
}


def _handle_review_event(session: Session, event: OutboxEvent) -> list[Notification]:
    review = lock_review_by_id(session, event.case_id)
    # A review withdrawn before its event came owes nothing (a decision's answer is owed).
    if review.status is ReviewStatus.withdrawn:
        return []
    return REVIEW_HANDLERS[event.kind](session, review, event)


def handle_event(event_id: str) -> list[int]:
    """Handle one event once; the ids of the notices it queued (empty if already handled)."""
    with write_session() as session:
        event = lock_event_for_handling(session, event_id)
        if event is None:
            return []
        if event.kind in REVIEW_HANDLERS:
            queued = _handle_review_event(session, event)
        else:
            complaint = lock_complaint_by_id(session, event.case_id)
            # A complaint withdrawn or closed as a duplicate before its event came owes nothing.
            ended = complaint.status in ENDED_BY_PERSON
            queued = [] if ended else HANDLERS[EventKind(event.kind)](session, complaint, event)
        mark_handled(session, event)
        session.commit()
        return [n.id for n in queued if n.id is not None]
