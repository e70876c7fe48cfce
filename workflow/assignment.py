"""Handing a task on: assign it to a colleague of its department, or put it back in the queue.

Who may, and who may receive it, is asked of the rules (``rules/assignment.py``); these
functions lock, apply, write the history and the assignee's mail, and commit once.
"""

from typing import Any

from sqlmodel import Session

from models.base import id_of
from models.enums import HistoryAction, Kind
from models.notification import NoticeKind
from models.review import Review
from models.task import Task, TaskAssignment, TaskUnclaim
from models.user import User
from workflow import deadlines, notices, review_notices
from workflow.away import deputy_while_away
from workflow.cases import CaseRecord
from workflow.clock import utcnow
from workflow.errors import InvalidInput, RuleViolation
from workflow.history import record_history
from workflow.rules import Action, Actor, TaskStatus
from workflow.rules.assignment import assignee_refusal
from workflow.tasks import locked_for_handover


def _new_assignee(session: Session, user_id: int, task: Task) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise InvalidInput("user_id", f"there is no user {user_id}")
    refusal = assignee_refusal(
        username=user.username,
        role=user.role,
        department=user.department.value if user.department else None,
        is_active=user.is_active,
        task_department=task.department,
    )
    if refusal is not None:
        raise InvalidInput("user_id", f"task {task.id} cannot go to {refusal}")
    return user


def _holder(session: Session, chosen: User, task: Task) -> tuple[User, User | None]:
    """Who gets the task: the chosen colleague, or their deputy while they are away (and the
    one they stand in for)."""
    deputy = deputy_while_away(session, chosen)
    holder = deputy if deputy is not None else chosen
    if task.status is TaskStatus.claimed and task.assignee_id == holder.id:
        raise RuleViolation(f"task {task.id} is {holder.username}'s already")
    return holder, chosen if deputy is not None else None


def _username(session: Session, user_id: int | None) -> str | None:
    user = session.get(User, user_id) if user_id is not None else None
    return user.username if user else None


def assign_task(
    session: Session, *, task_id: int, request: TaskAssignment, actor: Actor
) -> tuple[Task, str | None]:
    """The task becomes the colleague's, claimed, with its clocks (reminders go to them); while
    they are away, their deputy's. Also the username of the one away, if any."""
    task, case = locked_for_handover(session, task_id, Action.assign_task, actor)
    assignee, away = _holder(session, _new_assignee(session, request.user_id, task), task)
    previous = _username(session, task.assignee_id)
    task.status = TaskStatus.claimed
    task.assignee_id = id_of(assignee)
    task.claimed_at = utcnow()
    session.add(task)
    deadlines.assign_clocks(session, task, task.assignee_id)
    entry = record_history(
        session,
        case_id=id_of(case),
        actor=actor.name,
        action=HistoryAction.task_assigned,
        changes={
            "task_id": task.id,
            "kind": task.kind,
            "from": previous,
            "assignee": assignee.username,
            "deputy_for": away.username if away else None,
        },
        reason=request.reason,
    )
    _tell_assignee(session, case, task, assignee, actor, request.reason, entry.id)
    session.commit()
    return task, away.username if away else None


def _case_context(session: Session, case: CaseRecord) -> dict[str, Any]:
    if isinstance(case, Review):
        return review_notices.review_context(session, case)
    return {
        "reference": case.reference,
        "kind_label": "complaint" if case.kind is Kind.complaint else case.kind.value,
        "severity": case.severity.value,
        "product": case.product,
    }


def _tell_assignee(
    session: Session,
    case: CaseRecord,
    task: Task,
    assignee: User,
    actor: Actor,
    reason: str | None,
    entry_id: int | None,
) -> None:
    context = {
        **_case_context(session, case),
        "task_id": task.id,
        "task_label": notices.TASK_LABELS[task.kind],
        "task_due_at": task.due_at,
        "assigned_by": actor.name,
        "assignment_reason": reason,
    }
    notices.queue_to_addresses(
        session,
        case,
        NoticeKind.task_assigned,
        [str(assignee.email)],
        context,
        f"task-{task.id}-assigned-{entry_id}",  # each handover its own mail, retries none
    )


def unclaim_task(session: Session, *, task_id: int, request: TaskUnclaim, actor: Actor) -> Task:
    """The task goes back to its department's queue, open; its clocks run on, unowned."""
    task, case = locked_for_handover(session, task_id, Action.unclaim_task, actor)
    previous = _username(session, task.assignee_id)
    task.status = TaskStatus.open
    task.assignee_id = None
    task.claimed_at = None
    session.add(task)
    deadlines.assign_clocks(session, task, None)
    record_history(
        session,
        case_id=id_of(case),
        actor=actor.name,
        action=HistoryAction.task_unclaimed,
        changes={"task_id": task.id, "kind": task.kind, "from": previous},
        reason=request.reason,
    )
    session.commit()
    return task
