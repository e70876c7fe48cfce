"""Keeping the record honest after intake: a field corrected with a reason, a complaint
logged twice closed as a duplicate of the one that stays, one logged by mistake withdrawn.
Nothing is deleted; the history holds the old and new values, who and why."""

from typing import Any

from sqlmodel import Session, col, select

from models.base import id_of
from models.complaint import Complaint
from models.correction import ComplaintCorrection, DuplicateMark, Withdrawal
from models.enums import ActionStatus, HistoryAction
from models.quality import CapaAction
from models.task import Task
from workflow import deadlines
from workflow.clock import utcnow
from workflow.errors import InvalidInput, NotFound
from workflow.facts import facts_of
from workflow.history import record_history
from workflow.rules import (
    OPEN_TASK_STATUSES,
    Action,
    Actor,
    TaskStatus,
    require_complaint_action,
    require_permission,
)
from workflow.tasks import close_task
from workflow.transitions import (
    apply_transition,
    check_version,
    lock_complaint,
    lock_complaint_by_id,
    touch,
)


def _changed_fields(complaint: Complaint, correction: ComplaintCorrection) -> dict[str, Any]:
    given = correction.model_dump(exclude_unset=True, exclude={"version", "reason"})
    if not given:
        raise InvalidInput("body", "give at least one field to correct")
    if "product" in given and given["product"] is None:
        raise InvalidInput("product", "the product cannot be emptied: give the right one")
    return {f: v for f, v in given.items() if getattr(complaint, f) != v}


def correct_complaint(
    session: Session, *, reference: str, correction: ComplaintCorrection, actor: Actor
) -> Complaint:
    require_permission(actor.role, Action.correct_complaint)
    complaint = lock_complaint(session, reference)
    require_complaint_action(Action.correct_complaint, facts_of(complaint), actor)
    check_version(complaint, correction.version)
    changed = _changed_fields(complaint, correction)
    if not changed:
        return complaint  # the record says this already: nothing to write
    old = {field: getattr(complaint, field) for field in changed}
    touch(session, complaint, **changed)
    record_history(
        session,
        case_id=id_of(complaint),
        actor=actor.name,
        action=HistoryAction.correct_complaint,
        changes={f: {"old": old[f], "new": changed[f]} for f in changed},
        reason=correction.reason,
    )
    session.commit()
    return complaint


def _end_open_work(session: Session, complaint: Complaint, actor: Actor, reason: str) -> list[int]:
    """Nothing more is owed on an ended complaint: its open tasks (and the actions they
    carry) are cancelled with the reason and every clock stops. The ids of the tasks."""
    tasks = session.exec(
        select(Task).where(
            Task.case_id == complaint.id, col(Task.status).in_(list(OPEN_TASK_STATUSES))
        )
    ).all()
    for task in tasks:
        cancelled = {**task.result, "cancelled_because": reason}
        close_task(session, task, actor, TaskStatus.cancelled, cancelled)
    now = utcnow()
    open_actions = session.exec(
        select(CapaAction).where(
            CapaAction.complaint_id == complaint.id, CapaAction.status == ActionStatus.open
        )
    ).all()
    for action in open_actions:
        action.status, action.cancel_reason = ActionStatus.cancelled, reason
        action.closed_by, action.closed_at = actor.name, now
        session.add(action)
    deadlines.stop_clocks(session, id_of(complaint))
    return [id_of(t) for t in tasks]


def _end(
    session: Session,
    complaint: Complaint,
    *,
    action: Action,
    actor: Actor,
    reason: str,
    version: int | None,
    changes: dict[str, Any] | None = None,
    noted: dict[str, Any] | None = None,
) -> None:
    apply_transition(
        session,
        complaint,
        action=action,
        actor=actor,
        changes={"due_at": None, "closed_at": utcnow(), **(changes or {})},
        noted={
            **(noted or {}),
            "tasks_cancelled": _end_open_work(session, complaint, actor, reason),
        },
        reason=reason,
        expected_version=version,
    )


def withdraw(
    session: Session, *, reference: str, withdrawal: Withdrawal, actor: Actor
) -> Complaint:
    require_permission(actor.role, Action.withdraw)
    complaint = lock_complaint(session, reference)
    require_complaint_action(Action.withdraw, facts_of(complaint), actor)
    check_version(complaint, withdrawal.version)
    _end(
        session,
        complaint,
        action=Action.withdraw,
        actor=actor,
        reason=withdrawal.reason,
        version=withdrawal.version,
    )
    session.commit()
    return complaint


def _lock_pair(session: Session, reference: str, original: str) -> tuple[Complaint, Complaint]:
    """Both complaints, locked in id order (as every writer of two does), so two marks in
    opposite directions never deadlock."""
    found = {
        c.reference: c
        for c in session.exec(
            select(Complaint).where(col(Complaint.reference).in_([reference, original]))
        )
    }
    if reference not in found:
        raise NotFound(f"no complaint {reference}")
    if original not in found:
        raise InvalidInput("original", f"no complaint {original}")
    locked = {
        c.reference: lock_complaint_by_id(session, id_of(c))
        for c in sorted(found.values(), key=id_of)
    }
    return locked[reference], locked[original]


def mark_duplicate(
    session: Session, *, reference: str, mark: DuplicateMark, actor: Actor
) -> Complaint:
    """Close ``reference`` as a duplicate of ``mark.original``; both records show the link
    (the original lists its duplicates), and both histories say so."""
    require_permission(actor.role, Action.mark_duplicate)
    if mark.original == reference:
        raise InvalidInput("original", "a complaint cannot be a duplicate of itself")
    complaint, original = _lock_pair(session, reference, mark.original)
    require_complaint_action(Action.mark_duplicate, facts_of(complaint), actor)
    check_version(complaint, mark.version)
    if original.duplicate_of_id is not None:
        raise InvalidInput(
            "original", f"{mark.original} is itself a duplicate: name the one that stays"
        )
    _end(
        session,
        complaint,
        action=Action.mark_duplicate,
        actor=actor,
        reason=mark.reason,
        version=mark.version,
        changes={"duplicate_of_id": original.id},
        noted={"duplicate_of": original.reference},
    )
    record_history(
        session,
        case_id=id_of(original),
        actor=actor.name,
        action=HistoryAction.mark_duplicate,
        changes={"duplicate": reference},
        reason=mark.reason,
    )
    touch(session, original)
    session.commit()
    return complaint
