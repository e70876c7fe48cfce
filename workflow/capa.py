"""Use cases on corrective and preventive actions: open one (a task in the owner department's
queue, on a clock), complete it with evidence (through its task), cancel it with a reason.

Who may do what, in which state, is asked of the rules; these functions lock the complaint,
apply, write the history and commit once. The effectiveness check a round's last corrective
action calls for is scheduled by ``workflow/effectiveness.py``.
"""

from datetime import datetime, time

from sqlmodel import Session, col, select

from models.attachment import Attachment
from models.base import id_of
from models.capa import ActionCreate
from models.complaint import Complaint
from models.enums import ActionStatus, HistoryAction
from models.quality import CapaAction
from models.task import ActionDone, Task
from models.user import User
from workflow import deadlines, effectiveness
from workflow.calendar import company_calendar
from workflow.clock import utcnow
from workflow.errors import InvalidInput, NotFound
from workflow.facts import facts_of
from workflow.history import record_history
from workflow.notices import announce_task
from workflow.rules import (
    BUSINESS_DAY_HOURS,
    Action,
    Actor,
    CapaFacts,
    Step,
    TaskKind,
    TaskStatus,
    action_department_refusal,
    may,
    opening_refusal,
    require_capa_action,
    require_complaint_action,
    require_permission,
)
from workflow.transitions import lock_complaint, lock_complaint_by_id

MAX_DAYS_AHEAD = 366


def capa_facts(action: CapaAction) -> CapaFacts:
    return CapaFacts(id=action.id or 0, kind=action.kind, status=action.status)


def _owner(session: Session, request: ActionCreate) -> User | None:
    if request.owner is None:
        return None
    user = session.exec(select(User).where(User.username == request.owner)).first()
    department = request.owner_department
    if (
        user is None
        or not user.is_active
        or user.department != department
        or not may(user.role, Action.complete_action)
    ):
        raise InvalidInput(
            "owner", f"{request.owner} is not an active user of {department.value} who works tasks"
        )
    return user


def _allowed_hours(request: ActionCreate, now: datetime) -> float | None:
    """Business hours from now to the due date's end of day; None: the policy's default."""
    if request.business_days is not None:
        return request.business_days * BUSINESS_DAY_HOURS
    if request.due_date is None:
        return None
    calendar = company_calendar()
    today = calendar.local_date(now)
    if (request.due_date - today).days > MAX_DAYS_AHEAD:
        raise InvalidInput("due_date", f"due_date is more than {MAX_DAYS_AHEAD} days ahead")
    end = datetime.combine(request.due_date, time(calendar.end_hour), tzinfo=calendar.zone)
    hours = calendar.business_hours_between(now, end)
    if hours <= 0:
        raise InvalidInput("due_date", "due_date leaves no working time: give a later day")
    return hours


def _open_task(
    session: Session, complaint: Complaint, request: ActionCreate, owner: User | None
) -> Task:
    now = utcnow()
    hours = _allowed_hours(request, now)
    task = Task(
        case_id=id_of(complaint),
        department=request.owner_department,
        kind=TaskKind.capa_action,
        status=TaskStatus.claimed if owner else TaskStatus.open,
        assignee_id=owner.id if owner else None,
        claimed_at=now if owner else None,
        created_at=now,
        due_at=now,
        result={"description": request.description, "action_kind": request.kind.value},
    )
    session.add(task)
    session.flush()
    clock = deadlines.start_clock(
        session,
        complaint,
        Step.capa_action,
        start=now,
        department=request.owner_department,
        cycle=complaint.cycle,
        task=task,
        owner_id=task.assignee_id,
        hours=hours,
    )
    assert clock is not None, "no deadline policy for actions"
    task.due_at = clock.due_at
    session.add(task)
    return task


def open_action(
    session: Session, *, reference: str, request: ActionCreate, actor: Actor
) -> CapaAction:
    """Quality opens an action on a complaint it has worked on, in the complaint's current
    round; the owner department's queue gets its task and is told."""
    refusal = action_department_refusal(request.owner_department)
    if refusal is not None:
        raise InvalidInput("owner_department", refusal)
    require_permission(actor.role, Action.open_action)
    complaint = lock_complaint(session, reference)
    require_complaint_action(Action.open_action, facts_of(complaint), actor)
    round_ = effectiveness.current_round(session, id_of(complaint))
    pending = effectiveness.pending_check(session, id_of(complaint), round_) is not None
    rule = opening_refusal(request.kind, pending, round_)
    if rule is not None:
        raise rule
    owner = _owner(session, request)
    task = _open_task(session, complaint, request, owner)
    action = CapaAction(
        complaint_id=id_of(complaint),
        task_id=task.id,
        round=round_,
        kind=request.kind,
        description=request.description,
        owner_department=request.owner_department,
        owner_id=owner.id if owner else None,
        due_at=task.due_at,
        created_by=actor.name,
        created_at=task.created_at,
    )
    session.add(action)
    session.flush()
    _record_opened(session, action, owner, actor)
    announce_task(
        session,
        complaint,
        department=request.owner_department.value,
        task_kind=TaskKind.capa_action,
        due_at=action.due_at,
        key=f"capa-action:{action.id}",
    )
    session.commit()
    return action


def _record_opened(session: Session, action: CapaAction, owner: User | None, actor: Actor) -> None:
    record_history(
        session,
        case_id=action.complaint_id,
        actor=actor.name,
        action=HistoryAction.action_opened,
        changes={
            "action_id": action.id,
            "task_id": action.task_id,
            "round": action.round,
            "kind": action.kind,
            "description": action.description,
            "owner_department": action.owner_department,
            "owner": owner.username if owner else None,
            "due_at": action.due_at,
        },
    )


def action_of_task(session: Session, task_id: int) -> CapaAction:
    action = session.exec(select(CapaAction).where(CapaAction.task_id == task_id)).first()
    if action is None:
        raise NotFound(f"task {task_id} carries no action")
    return action


def _check_attachments(session: Session, complaint: Complaint, ids: list[int]) -> None:
    if not ids:
        return
    found = set(
        session.exec(
            select(Attachment.id).where(
                col(Attachment.id).in_(ids), Attachment.case_id == complaint.id
            )
        )
    )
    missing = sorted(set(ids) - found)
    if missing:
        names = ", ".join(str(i) for i in missing)
        raise InvalidInput("attachment_ids", f"{complaint.reference} has no attachment {names}")


def record_action_done(
    session: Session, task: Task, complaint: Complaint, done: ActionDone, actor: Actor
) -> dict:
    """The action behind ``task`` is done with its evidence (the task is finished by the
    caller); the round's check is scheduled if this was its last open corrective action.
    Returns the task's result."""
    _check_attachments(session, complaint, done.attachment_ids)
    action = action_of_task(session, id_of(task))
    action.status = ActionStatus.done
    action.evidence = done.evidence
    action.evidence_attachment_ids = sorted(set(done.attachment_ids))
    action.closed_by = actor.name
    action.closed_at = utcnow()
    session.add(action)
    record_history(
        session,
        case_id=id_of(complaint),
        actor=actor.name,
        action=HistoryAction.action_done,
        changes={
            "action_id": action.id,
            "task_id": task.id,
            "round": action.round,
            "evidence": done.evidence,
            "attachment_ids": action.evidence_attachment_ids,
        },
    )
    effectiveness.schedule_if_round_closed(session, complaint, action.round, actor)
    return {**task.result, "evidence": done.evidence, "attachment_ids": done.attachment_ids}


def cancel_action(session: Session, *, action_id: int, reason: str, actor: Actor) -> CapaAction:
    """Quality withdraws an open action, saying why; its task leaves the queue, its clock
    stops. Cancelling the round's last open corrective action may call for the check."""
    require_permission(actor.role, Action.cancel_action)
    found = session.get(CapaAction, action_id)
    if found is None:
        raise NotFound(f"no action {action_id}")
    complaint = lock_complaint_by_id(session, found.complaint_id)
    action = session.exec(
        select(CapaAction).where(CapaAction.id == action_id).with_for_update()
    ).one()
    require_capa_action(Action.cancel_action, capa_facts(action), actor)
    now = utcnow()
    action.status = ActionStatus.cancelled
    action.cancel_reason = reason
    action.closed_by = actor.name
    action.closed_at = now
    session.add(action)
    if action.task_id is not None:
        _withdraw_task(session, action.task_id, actor, reason)
    record_history(
        session,
        case_id=id_of(complaint),
        actor=actor.name,
        action=HistoryAction.action_cancelled,
        changes={"action_id": action.id, "task_id": action.task_id, "round": action.round},
        reason=reason,
    )
    effectiveness.schedule_if_round_closed(session, complaint, action.round, actor)
    session.commit()
    return action


def _withdraw_task(session: Session, task_id: int, actor: Actor, reason: str) -> None:
    task = session.exec(select(Task).where(Task.id == task_id).with_for_update()).one()
    deadlines.stop_task_clocks(session, task)
    task.status = TaskStatus.cancelled
    task.done_at = utcnow()
    task.completed_by_id = actor.user_id
    task.result = {**task.result, "cancelled_because": reason}
    session.add(task)
