from typing import Annotated, Any

from fastapi import APIRouter, Body, Path, Query
from sqlmodel import select

from api.deps import CurrentActor, SessionDep, WriteSessionDep
from models.base import id_of
from models.task import (
    Assessment,
    AssignedTask,
    Containment,
    InquiryForward,
    SubtaskCancellation,
    SubtaskRequest,
    TaskAssignment,
    TaskCompletion,
    TaskPublic,
    TaskUnclaim,
)
from models.user import User
from models.views import Page
from workflow.assignment import assign_task, unclaim_task
from workflow.inquiries import forward_inquiry
from workflow.milestones import record_assessment, record_containment
from workflow.queries import list_tasks, task_view
from workflow.rules import OPEN_TASK_STATUSES, Department, TaskStatus, queue_scope
from workflow.subtasks import cancel_subtask, open_subtask
from workflow.tasks import claim_task, complete_task

router = APIRouter(prefix="/tasks", tags=["tasks"])

TaskId = Annotated[int, Path(ge=1, le=2**62, description="The task's id.")]


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
    queue = queue_scope(actor, department)
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
    return task_view(session, task_id)


@router.post(
    "/{task_id}/complete",
    summary="Complete a task with its result",
    description="Quality sends `kind: quality_assessment` with the assessment and resolution; "
    "sales sends `kind: sales_review` with `approved` (false needs a comment and sends the "
    "result back to quality); a department answering quality's sub-task sends "
    "`kind: subtask_answer`; the owner department of a corrective or preventive action sends "
    "`kind: action_done` with its evidence; quality records an effectiveness check with "
    "`kind: effectiveness` (`effective` completes the quality record, `not_effective` opens "
    "a new round of corrective actions; the customer's complaint is not reopened); whoever "
    "holds an inquiry sends `kind: inquiry_answer`, which mails the answer to the customer "
    "in their language and closes the inquiry; sales triage a complaint made from a mail with "
    "`kind: triage` (`complaint_kind`, `severity`, `product` or `product_id`, optionally "
    "`order_reference`, `lot_number`), after which it routes as that kind routes at intake; "
    "sales records the call of a `call_customer` task (a notice for a customer without "
    "e-mail) with `kind: call_record`: `reached` true "
    "(with `spoke_to`) finishes it and marks the notice called, false records the attempt "
    "and leaves the task open.",
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
    return task_view(session, task_id)


QUALITY_MILESTONE_ERRORS: dict[int | str, dict[str, Any]] = {
    403: {"description": "Not a quality user, or not quality's task"},
    404: {"description": "No such task"},
    409: {"description": "Task done, or claimed by someone else"},
    422: {"description": "Invalid data, or not a quality assessment task"},
}


@router.post(
    "/{task_id}/assessment",
    summary="Record quality's first assessment",
    description="Valid or not, severity, investigate or the reason not to; meets the "
    "first-assessment deadline. The full result still comes with `complete`.",
    responses=QUALITY_MILESTONE_ERRORS,
)
def assessment(
    task_id: TaskId, body: Assessment, session: WriteSessionDep, actor: CurrentActor
) -> TaskPublic:
    record_assessment(session, task_id=task_id, assessment=body, actor=actor)
    return task_view(session, task_id)


@router.post(
    "/{task_id}/containment",
    summary="Record containment",
    description="What was done to contain the problem; meets the containment deadline "
    "(critical complaints: 24 hours by default).",
    responses=QUALITY_MILESTONE_ERRORS,
)
def containment(
    task_id: TaskId, body: Containment, session: WriteSessionDep, actor: CurrentActor
) -> TaskPublic:
    record_containment(session, task_id=task_id, containment=body, actor=actor)
    return task_view(session, task_id)


@router.post(
    "/{task_id}/subtasks",
    status_code=201,
    summary="Ask another department (sub-task)",
    description="Quality, working its assessment task, asks technical, production or "
    "procurement for a finding; that department's queue gets a sub-task on its own clock "
    "(the sub-task deadline policy, or `business_days` when given), with reminders and "
    "escalation like every step, and answers it with `complete` (`kind: subtask_answer`). "
    "Any other department is refused with 422.",
    responses=QUALITY_MILESTONE_ERRORS,
)
def subtask(
    task_id: TaskId, body: SubtaskRequest, session: WriteSessionDep, actor: CurrentActor
) -> TaskPublic:
    created = open_subtask(session, task_id=task_id, request=body, actor=actor)
    return task_view(session, id_of(created))


@router.post(
    "/{task_id}/subtasks/{subtask_id}/cancel",
    summary="Cancel a sub-task",
    description="Quality, working its assessment task, withdraws a sub-task it no longer "
    "needs, with a reason (kept in the history); the sub-task leaves the department's queue "
    "and its clock stops. Quality cannot return its result while a sub-task is open: it waits "
    "for the answer or cancels the sub-task.",
    responses={
        403: {"description": "Not a quality user, or not quality's task"},
        404: {"description": "No such task, or no such sub-task of it"},
        409: {"description": "The sub-task is answered or cancelled already, or the task done"},
        422: {"description": "No reason given"},
    },
)
def withdraw_subtask(
    task_id: TaskId,
    subtask_id: Annotated[int, Path(ge=1, le=2**62, description="The sub-task's id.")],
    body: SubtaskCancellation,
    session: WriteSessionDep,
    actor: CurrentActor,
) -> TaskPublic:
    cancel_subtask(session, task_id=task_id, subtask_id=subtask_id, reason=body.reason, actor=actor)
    return task_view(session, subtask_id)


@router.post(
    "/{task_id}/forward",
    summary="Forward an inquiry to another department",
    description="Sales, holding an `answer_inquiry` task, passes it to quality or technical, "
    "whose queue it joins unclaimed on the same clock (the note goes to the history). That "
    "department answers it with `complete` (`kind: inquiry_answer`).",
    responses={
        403: {"description": "Not sales, or not sales' task"},
        404: {"description": "No such task"},
        409: {"description": "The task is done, or claimed by someone else"},
        422: {"description": "Not an inquiry task, or a department that does not answer them"},
    },
)
def forward_to_department(
    task_id: TaskId, body: InquiryForward, session: WriteSessionDep, actor: CurrentActor
) -> TaskPublic:
    forward_inquiry(session, task_id=task_id, request=body, actor=actor)
    return task_view(session, task_id)


@router.post(
    "/{task_id}/assign",
    summary="Assign or reassign a task to a colleague",
    description="Whoever holds a claimed task hands it to a colleague of its department; a "
    "manager of the department (or a general manager) assigns any active task of it. The "
    "task becomes the colleague's, claimed, with its deadlines (reminders go to them); they "
    "get a mail, and the history says who gave it to whom and why. While the colleague is "
    "away, the task goes to their deputy instead, and `deputy_for` says so.",
    responses={
        403: {"description": "Not your department's task, or an unclaimed task and no manager"},
        404: {"description": "No such task"},
        409: {"description": "Done, claimed by someone else, or theirs already"},
        422: {"description": "No such user, not active, or not working in the department"},
    },
)
def assign(
    task_id: TaskId, body: TaskAssignment, session: WriteSessionDep, actor: CurrentActor
) -> AssignedTask:
    _, away = assign_task(session, task_id=task_id, request=body, actor=actor)
    view = task_view(session, task_id)
    return AssignedTask.model_validate({**view.model_dump(), "deputy_for": away})


@router.post(
    "/{task_id}/unclaim",
    summary="Put a claimed task back in the queue",
    description="Whoever holds the task (or a manager of its department) puts it back in "
    "the department's queue, open, with a reason kept in the history; its deadlines run on.",
    responses={
        403: {"description": "Not your department's task"},
        404: {"description": "No such task"},
        409: {"description": "Not claimed, done, or claimed by someone else"},
        422: {"description": "No reason given"},
    },
)
def unclaim(
    task_id: TaskId, body: TaskUnclaim, session: WriteSessionDep, actor: CurrentActor
) -> TaskPublic:
    unclaim_task(session, task_id=task_id, request=body, actor=actor)
    return task_view(session, task_id)
