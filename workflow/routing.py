"""What the system does on each outbox event: open the next task, move the complaint, queue
the notices. Called by the delivery flow; each handler runs in one transaction that also
marks the event handled, so a second delivery of the same event finds nothing to do."""

from collections.abc import Callable
from datetime import datetime

from sqlmodel import Session, col, select

from models.complaint import Complaint
from models.deadline import Deadline
from models.notification import Notification
from models.outbox import OutboxEvent
from models.resolution import Resolution
from models.task import Task
from workflow import deadlines, notices
from workflow.clock import utcnow
from workflow.db import write_session
from workflow.history import record_history
from workflow.outbox import lock_event_for_handling, mark_handled
from workflow.rules import (
    SYSTEM,
    TASK_STEP,
    Action,
    Department,
    EventKind,
    Severity,
    Step,
    TaskKind,
    needs_investigation,
)
from workflow.transitions import Actor, apply_transition, lock_complaint_by_id, touch

ROUTER = Actor(name="flow:deliver-events", role=SYSTEM)


QUALITY_MILESTONES = (Step.first_assessment, Step.containment)


def _start_task_clocks(
    session: Session, complaint: Complaint, task: Task, start: datetime
) -> Deadline:
    cycle = complaint.cycle
    clock = deadlines.start_clock(
        session,
        complaint,
        TASK_STEP[task.kind],
        start=start,
        department=task.department,
        cycle=cycle,
        task=task,
    )
    assert clock is not None, f"no deadline policy for {task.kind.value}"
    if task.kind is TaskKind.quality_assessment:
        for step in QUALITY_MILESTONES:
            deadlines.start_clock(
                session, complaint, step, start=start, department=task.department, cycle=cycle
            )
    return clock


def open_task(
    session: Session,
    complaint: Complaint,
    *,
    department: Department,
    kind: TaskKind,
    event: OutboxEvent,
) -> tuple[Task, list[Notification]]:
    """Open the task and start its clocks; the first quality round counts from receipt."""
    now = utcnow()
    if kind is TaskKind.quality_assessment:
        touch(session, complaint, cycle=complaint.cycle + 1)
    start = (
        complaint.received_at
        if complaint.cycle == 1 and kind is TaskKind.quality_assessment
        else now
    )
    task = Task(
        complaint_id=complaint.id,  # type: ignore[arg-type]
        department=department,
        kind=kind,
        source_event_id=event.id,
        created_at=now,
        due_at=now,
    )
    session.add(task)
    session.flush()
    task.due_at = _start_task_clocks(session, complaint, task, start).due_at
    touch(session, complaint, due_at=task.due_at)
    record_history(
        session,
        complaint_id=complaint.id,  # type: ignore[arg-type]
        actor=ROUTER.name,
        action="task_opened",
        changes={"task_id": task.id, "department": department, "kind": kind, "due_at": task.due_at},
    )
    announced = notices.announce_task(
        session,
        complaint,
        department=department,
        task_kind=kind,
        due_at=task.due_at,
        key=event.id,
    )
    return task, announced


def _open_quality_task(
    session: Session, complaint: Complaint, event: OutboxEvent
) -> list[Notification]:
    _, announced = open_task(
        session,
        complaint,
        department=Department.quality,
        kind=TaskKind.quality_assessment,
        event=event,
    )
    return announced


def _route_to_quality(
    session: Session, complaint: Complaint, event: OutboxEvent, reason: str
) -> list[Notification]:
    apply_transition(
        session, complaint, action=Action.route_to_quality, actor=ROUTER, reason=reason
    )
    return _open_quality_task(session, complaint, event)


def on_complaint_logged(
    session: Session, complaint: Complaint, event: OutboxEvent
) -> list[Notification]:
    queued = notices.acknowledge(session, complaint, event.id)
    if not needs_investigation(complaint.kind):
        deadlines.stop_clocks(session, complaint.id, {Step.customer_reply})  # type: ignore[arg-type]
        apply_transition(
            session,
            complaint,
            action=Action.close_as_feedback,
            actor=ROUTER,
            reason=f"{complaint.kind.value} needs no investigation: "
            "acknowledged, passed to quality for information, closed",
        )
        return queued + notices.inform_quality_of_feedback(session, complaint, event.id)
    queued += _route_to_quality(session, complaint, event, reason="new complaint")
    if complaint.severity is Severity.critical:
        queued += notices.alert_general_managers(session, complaint, event.id)
    return queued


def on_result_returned(
    session: Session, complaint: Complaint, event: OutboxEvent
) -> list[Notification]:
    _, announced = open_task(
        session, complaint, department=Department.sales, kind=TaskKind.sales_review, event=event
    )
    return announced


def on_sent_back(session: Session, complaint: Complaint, event: OutboxEvent) -> list[Notification]:
    return _open_quality_task(session, complaint, event)


def on_approved(session: Session, complaint: Complaint, event: OutboxEvent) -> list[Notification]:
    resolution = session.exec(
        select(Resolution)
        .where(Resolution.complaint_id == complaint.id)
        .order_by(col(Resolution.revision).desc())
    ).first()
    assert resolution is not None, "approval without a resolution"
    assert resolution.approved_at is not None, "approved event for an unapproved resolution"
    apply_transition(
        session,
        complaint,
        action=Action.resolve,
        actor=ROUTER,
        reason="result approved by sales; resolution notice issued to the customer",
    )
    touch(session, complaint, due_at=None)
    deadlines.stop_clocks(session, complaint.id, {Step.customer_reply})  # type: ignore[arg-type]
    return notices.notify_resolution(session, complaint, resolution, event.id)


def on_reopened(session: Session, complaint: Complaint, event: OutboxEvent) -> list[Notification]:
    announced = _route_to_quality(session, complaint, event, reason="reopened by the customer")
    reply = deadlines.start_clock(
        session,
        complaint,
        Step.customer_reply,
        start=utcnow(),
        department=Department.sales,
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
}


def handle_event(event_id: str) -> list[int]:
    """Handle one event once; the ids of the notices it queued (empty if already handled)."""
    with write_session() as session:
        event = lock_event_for_handling(session, event_id)
        if event is None:
            return []
        complaint = lock_complaint_by_id(session, event.complaint_id)
        queued = HANDLERS[EventKind(event.kind)](session, complaint, event)
        mark_handled(session, event)
        session.commit()
        return [n.id for n in queued if n.id is not None]
