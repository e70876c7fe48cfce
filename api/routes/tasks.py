from typing import Annotated

from fastapi import APIRouter, Body, Path, Query
from sqlmodel import select

from api.deps import CurrentActor, SessionDep, WriteSessionDep
from models.task import TaskCompletion, TaskPublic
from models.user import User
from models.views import Page
from workflow.clock import utcnow
from workflow.errors import NotAllowed
from workflow.queries import list_tasks, task_public
from workflow.rules import (
    DEPARTMENT_WORKERS,
    OPEN_TASK_STATUSES,
    OVERSEERS,
    Department,
    TaskStatus,
)
from workflow.tasks import claim_task, complete_task
from workflow.transitions import Actor

router = APIRouter(prefix="/tasks", tags=["tasks"])

TaskId = Annotated[int, Path(ge=1, le=2**62, description="The task's id.")]


def _queue_department(actor: Actor, department: Department | None) -> Department | None:
    """Department workers see their own queue; managers any (or all)."""
    if actor.role in OVERSEERS:
        return department
    if actor.role not in DEPARTMENT_WORKERS or actor.department is None:
        raise NotAllowed(f"role {actor.role} has no task queue")
    own = Department(actor.department)
    if department not in (None, own):
        raise NotAllowed(f"{actor.name} may not read the {department.value} queue")
    return own


@router.get(
    "",
    summary="A department's task queue",
    description="Oldest due first. Without `status`, the active tasks (open and claimed). "
    "Department users see their own department; managers any. `assignee=me` narrows to "
    "your own tasks.",
)
def task_queue(
    session: SessionDep,
    actor: CurrentActor,
    department: Department | None = None,
    status: Annotated[list[TaskStatus] | None, Query()] = None,
    assignee: Annotated[str | None, Query(max_length=64, description="'me' or a username")] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> Page[TaskPublic]:
    queue = _queue_department(actor, department)
    assignee_id = None
    if assignee == "me":
        assignee_id = actor.user_id or -1
    elif assignee:
        user = session.exec(select(User).where(User.username == assignee)).first()
        assignee_id = user.id if user and user.id else -1
    statuses = [s.value for s in status] if status else [s.value for s in OPEN_TASK_STATUSES]
    return list_tasks(
        session,
        department=queue,
        statuses=statuses,
        assignee_id=assignee_id,
        limit=limit,
        offset=offset,
    )


def _public(session: WriteSessionDep, task_id: int, actor: Actor) -> TaskPublic:
    from models.complaint import Complaint
    from models.task import Task

    task = session.get(Task, task_id)
    assert task is not None
    complaint = session.get(Complaint, task.complaint_id)
    assert complaint is not None
    return task_public(
        task, complaint.reference, actor.name if task.assignee_id else None, utcnow()
    )


@router.post(
    "/{task_id}/claim",
    summary="Claim a task",
    description="Take an open task of your department; claiming your own again is harmless.",
    responses={
        403: {"description": "Not your department's task"},
        404: {"description": "No such task"},
        409: {"description": "Done, or claimed by someone else"},
    },
)
def claim(task_id: TaskId, session: WriteSessionDep, actor: CurrentActor) -> TaskPublic:
    claim_task(session, task_id=task_id, actor=actor)
    return _public(session, task_id, actor)


@router.post(
    "/{task_id}/complete",
    summary="Complete a task with its result",
    description="Quality sends `kind: quality_assessment` with the assessment and resolution; "
    "sales sends `kind: sales_review` with `approved` (false needs a comment and sends the "
    "result back to quality).",
    responses={
        403: {"description": "Not your department's task, or not your role's decision"},
        404: {"description": "No such task"},
        409: {
            "description": "Already done, claimed by someone else, or the complaint's state "
            "does not allow it"
        },
        422: {"description": "Invalid result, or a result of the wrong kind for this task"},
    },
)
def complete(
    task_id: TaskId,
    result: Annotated[TaskCompletion, Body()],
    session: WriteSessionDep,
    actor: CurrentActor,
) -> TaskPublic:
    complete_task(session, task_id=task_id, completion=result, actor=actor)
    return _public(session, task_id, actor)
