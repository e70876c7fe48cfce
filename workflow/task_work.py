"""What happens to a task of any process when a person takes it, and when it leaves its
queue: the same for a complaint's tasks and a contract review's."""

from sqlmodel import Session

from models.enums import HistoryAction, TaskStatus
from models.task import Task
from workflow import deadlines
from workflow.clock import utcnow
from workflow.history import record_history
from workflow.rules import Actor


def take_task(session: Session, task: Task, actor: Actor) -> None:
    if task.status is TaskStatus.open:
        task.status = TaskStatus.claimed
        task.assignee_id = actor.user_id
        task.claimed_at = utcnow()
        deadlines.assign_clocks(session, task, actor.user_id)
    session.add(task)


def claim(session: Session, task: Task, case_id: int, actor: Actor) -> None:
    """Take the task and say so in its case's history (the caller holds the case's lock)."""
    take_task(session, task, actor)
    record_history(
        session,
        case_id=case_id,
        actor=actor.name,
        action=HistoryAction.task_claimed,
        changes={"task_id": task.id, "kind": task.kind, "assignee": actor.name},
    )


def close_task(
    session: Session, task: Task, actor: Actor, status: TaskStatus, result: dict
) -> None:
    """The task leaves its queue as done or cancelled; its clocks stop."""
    deadlines.stop_task_clocks(session, task)
    task.status = status
    task.done_at = utcnow()
    task.completed_by_id = actor.user_id
    task.result = result
    session.add(task)
