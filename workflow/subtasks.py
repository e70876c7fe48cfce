"""Use cases on sub-tasks: quality asks another department for a finding on a clock of its
own, and withdraws the request when it is no longer needed."""

from sqlmodel import Session

from models.base import id_of
from models.complaint import Complaint
from models.enums import HistoryAction
from models.task import SubtaskRequest, Task
from workflow import deadlines
from workflow.clock import utcnow
from workflow.errors import InvalidInput, NotFound, RuleViolation
from workflow.facts import facts_of, task_facts
from workflow.history import record_history
from workflow.notices import announce_task
from workflow.rules import (
    BUSINESS_DAY_HOURS,
    Action,
    Actor,
    Step,
    TaskKind,
    TaskStatus,
    is_finished,
    require_permission,
    require_task_action,
    subtask_department_refusal,
)
from workflow.tasks import (
    close_task,
    lock_task_and_complaint,
    locked_for_action,
    subtasks_of,
    take_task,
)


def open_subtask(session: Session, *, task_id: int, request: SubtaskRequest, actor: Actor) -> Task:
    """Quality, working its assessment task, asks another department for a finding; the
    sub-task runs on its own clock (the sub-task policy, or the time quality gives)."""
    refusal = subtask_department_refusal(request.department)
    if refusal is not None:  # input first: what the request says is wrong whatever the task
        raise InvalidInput("department", refusal)
    task, complaint = locked_for_action(session, task_id, Action.open_subtask, actor)
    take_task(session, task, actor)
    subtask = Task(
        case_id=id_of(complaint),
        department=request.department,
        kind=TaskKind.subtask,
        parent_task_id=task.id,
        created_at=utcnow(),
        due_at=utcnow(),
        result={"request": request.request, "requested_by": actor.name},
    )
    session.add(subtask)
    session.flush()
    _start_subtask_clock(session, complaint, subtask, request)
    record_history(
        session,
        case_id=id_of(complaint),
        actor=actor.name,
        action=HistoryAction.subtask_opened,
        changes={
            "task_id": subtask.id,
            "parent_task_id": task.id,
            "department": request.department,
            "request": request.request,
            "due_at": subtask.due_at,
        },
    )
    announce_task(
        session,
        complaint,
        department=request.department.value,
        task_kind=TaskKind.subtask,
        due_at=subtask.due_at,
        key=f"subtask:{subtask.id}",
    )
    session.commit()
    return subtask


def _start_subtask_clock(
    session: Session, complaint: Complaint, subtask: Task, request: SubtaskRequest
) -> None:
    hours = request.business_days * BUSINESS_DAY_HOURS if request.business_days else None
    clock = deadlines.start_clock(
        session,
        complaint,
        Step.subtask,
        start=subtask.created_at,
        department=request.department,
        cycle=complaint.cycle,
        task=subtask,
        hours=hours,
    )
    assert clock is not None, "no deadline policy for sub-tasks"
    subtask.due_at = clock.due_at
    session.add(subtask)


def cancel_subtask(
    session: Session, *, task_id: int, subtask_id: int, reason: str, actor: Actor
) -> Task:
    """Quality withdraws a sub-task of its task that it no longer needs, saying why; the
    sub-task leaves the department's queue and its clock stops."""
    require_permission(actor.role, Action.cancel_subtask)
    task, complaint = lock_task_and_complaint(session, task_id)
    subtasks = subtasks_of(session, task_id)
    subtask = next((s for s in subtasks if s.id == subtask_id), None)
    if subtask is None:
        raise NotFound(f"task {task_id} has no sub-task {subtask_id}")
    require_task_action(
        Action.cancel_subtask, task_facts(task, subtasks), facts_of(complaint), actor
    )
    if is_finished(subtask.status):
        raise RuleViolation(f"sub-task {subtask_id} is {subtask.status.value} already")
    result = {**subtask.result, "cancelled_because": reason}
    close_task(session, subtask, actor, TaskStatus.cancelled, result)
    record_history(
        session,
        case_id=id_of(complaint),
        actor=actor.name,
        action=HistoryAction.subtask_cancelled,
        changes={
            "task_id": subtask_id,
            "parent_task_id": task_id,
            "department": subtask.department,
        },
        reason=reason,
    )
    session.commit()
    return subtask
