"""Inquiries: sales passes one to the department that knows the answer (the answer itself
is a task completion, ``workflow/tasks.py``)."""

from sqlmodel import Session

from models.base import id_of
from models.enums import HistoryAction
from models.task import InquiryForward, Task
from workflow import deadlines
from workflow.errors import InvalidInput
from workflow.history import record_history
from workflow.notices import announce_task
from workflow.rules import (
    Action,
    Actor,
    TaskKind,
    TaskStatus,
    inquiry_department_refusal,
)
from workflow.tasks import locked_for_action


def forward_inquiry(
    session: Session, *, task_id: int, request: InquiryForward, actor: Actor
) -> Task:
    """The task leaves sales' queue for quality's or technical's, unclaimed, on the same clock."""
    outside = inquiry_department_refusal(request.department)
    if outside is not None:  # input first, whatever the task
        raise InvalidInput("department", outside)
    task, complaint = locked_for_action(session, task_id, Action.forward_inquiry, actor)
    refusal = inquiry_department_refusal(request.department, task.department)
    if refusal is not None:
        raise InvalidInput("department", refusal)
    passed_from = task.department
    task.department = request.department
    task.status = TaskStatus.open
    task.assignee_id = None
    task.claimed_at = None
    session.add(task)
    deadlines.move_task_clocks(session, task, request.department)
    record_history(
        session,
        case_id=id_of(complaint),
        actor=actor.name,
        action=HistoryAction.forward_inquiry,
        changes={"task_id": task.id, "from": passed_from, "department": request.department},
        reason=request.note,
    )
    announce_task(
        session,
        complaint,
        department=request.department.value,
        task_kind=TaskKind.answer_inquiry,
        due_at=task.due_at,
        key=f"inquiry-forward:{task.id}:{request.department.value}",
    )
    session.commit()
    return task
