"""Handing a task on from its page: assign it to a colleague, or put it back in the queue."""

from typing import Annotated

from fastapi import Form, Path, Request
from fastapi.responses import RedirectResponse, Response

from api.deps import WriteSessionDep
from api.web.pages import flash
from api.web.routes import page_router
from api.web.session import WebActor
from models.task import TaskAssignment, TaskUnclaim
from workflow.assignment import assign_task, unclaim_task
from workflow.errors import InvalidInput

router = page_router()
TaskId = Annotated[int, Path(ge=1, le=2**62)]
Reason = Annotated[str, Form(max_length=2000)]


def _to_task(task_id: int) -> RedirectResponse:
    return RedirectResponse(f"/tasks/{task_id}", status_code=303)


@router.post("/tasks/{task_id}/assign")
def assign(
    request: Request,
    task_id: TaskId,
    session: WriteSessionDep,
    actor: WebActor,
    user_id: Annotated[int, Form(ge=1, le=2**62)],
    reason: Reason = "",
) -> Response:
    body = TaskAssignment(user_id=user_id, reason=reason.strip() or None)
    try:
        task, away = assign_task(session, task_id=task_id, request=body, actor=actor)
    except InvalidInput as invalid:
        flash(request, f"Not assigned: {invalid}.", "error")
        return _to_task(task_id)
    instead = f" {away} is away: it went to their deputy." if away else ""
    flash(request, f"Assigned: task {task.id} is with them now; they have been mailed.{instead}")
    return _to_task(task_id)


@router.post("/tasks/{task_id}/unclaim")
def unclaim(
    request: Request,
    task_id: TaskId,
    session: WriteSessionDep,
    actor: WebActor,
    reason: Reason = "",
) -> Response:
    if not reason.strip():
        flash(request, "Not unclaimed: say why the task goes back to the queue.", "error")
        return _to_task(task_id)
    unclaim_task(session, task_id=task_id, request=TaskUnclaim(reason=reason.strip()), actor=actor)
    flash(request, f"Task {task_id} is back in the queue.")
    return _to_task(task_id)
