"""Severity decided by quality: at the first assessment (and again at the result) a changed
severity re-times the complaint's running clocks, and a complaint that becomes critical gets
its containment clock and the general manager's alert, as one logged as critical does."""

from typing import Any

from sqlmodel import Session, select

from models.base import id_of
from models.complaint import Complaint
from models.enums import HistoryAction
from models.notification import NoticeKind, Notification
from models.task import Task
from workflow import deadlines
from workflow.clock import utcnow
from workflow.history import record_history
from workflow.notices import alert_general_managers
from workflow.rules import Actor, Severity, Step


def _general_manager_told(session: Session, complaint: Complaint) -> bool:
    return (
        session.exec(
            select(Notification.id).where(
                Notification.case_id == complaint.id,
                Notification.kind == NoticeKind.critical_alert,
            )
        ).first()
        is not None
    )


def _become_critical(session: Session, complaint: Complaint, task: Task) -> dict[str, Any]:
    """Containment clock from now on quality's task (unless it has one), and the general
    manager told at once (unless told before: at intake, or at an earlier change)."""
    clock = deadlines.start_clock(
        session,
        complaint,
        Step.containment,
        start=utcnow(),
        department=task.department,
        cycle=complaint.cycle,
        task=task,
        owner_id=task.assignee_id,
    )
    told = _general_manager_told(session, complaint)
    if not told:
        alert_general_managers(session, complaint, f"severity-critical:{complaint.id}")
    return {
        "containment_due_at": clock.due_at if clock else None,
        "general_manager_alerted": not told,
    }


def apply_severity_change(
    session: Session, complaint: Complaint, old: Severity, *, task: Task, actor: Actor
) -> None:
    """The consequences of ``complaint.severity`` having changed from ``old`` (the caller set
    it and holds the lock); one history entry ``severity_changed``. No commit."""
    if complaint.severity is old:
        return
    changes: dict[str, Any] = {"old": old, "new": complaint.severity}
    changes["retimed"] = deadlines.retime_clocks(session, complaint, old)
    if complaint.severity is Severity.critical:
        changes.update(_become_critical(session, complaint, task))
    record_history(
        session,
        case_id=id_of(complaint),
        actor=actor.name,
        action=HistoryAction.severity_changed,
        changes=changes,
    )
