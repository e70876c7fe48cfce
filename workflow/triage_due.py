"""A mail complaint nobody triaged in time: when its ``triage_mail`` clock falls due, the sweep
cancels the task and the complaint routes with the mail intake's defaults (``ROUTES_WHEN_DUE``
in the rules; the ``triaged`` event routes it, as after a triage by sales)."""

from sqlmodel import Session, select

from models.base import id_of
from models.complaint import Complaint
from models.deadline import Deadline
from models.task import Task
from workflow import deadlines
from workflow.rules import (
    ROUTES_WHEN_DUE,
    SYSTEM,
    TRANSITIONS,
    Actor,
    TaskStatus,
    is_finished,
)
from workflow.tasks import close_task
from workflow.transitions import apply_transition

TRIAGE_TIMER = Actor(name="flow:sweep-deadlines", role=SYSTEM)


def _reason(complaint: Complaint, clock: Deadline) -> str:
    unit = "business hours" if clock.business_time else "hours"
    return (
        f"not triaged within {clock.hours:g} {unit}: routed with the mail intake's defaults "
        f"({complaint.kind.value}, {complaint.severity.value}, product {complaint.product!r})"
    )


def route_untriaged(session: Session, complaint: Complaint, clock: Deadline) -> None:
    """The triage is overdue: cancel the task, route with the defaults (the caller has locked
    the complaint and the clock, and commits)."""
    action = ROUTES_WHEN_DUE[clock.step]
    task = None
    if clock.task_id is not None:
        query = select(Task).where(Task.id == clock.task_id).with_for_update()
        task = session.exec(query).first()
    if (
        task is None
        or is_finished(task.status)
        or complaint.status not in TRANSITIONS[action].sources
    ):
        # Triaged (or ended) in the meantime by a path that left the clock running.
        deadlines.stop_clocks(session, id_of(complaint), {clock.step})
        return
    reason = _reason(complaint, clock)
    close_task(session, task, TRIAGE_TIMER, TaskStatus.cancelled, {"cancelled_because": reason})
    apply_transition(
        session,
        complaint,
        action=action,
        actor=TRIAGE_TIMER,
        reason=reason,
        noted={"task_id": task.id, "task_status": TaskStatus.cancelled, "due_at": clock.due_at},
    )
