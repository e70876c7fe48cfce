"""Sales records, on the call task's page, the call that gave the customer a notice."""

from fastapi import Request, status
from fastapi.responses import RedirectResponse, Response

from api.deps import WriteSessionDep
from api.web.forms import choice, validate
from api.web.pages import flash
from api.web.routes import page_router
from api.web.routes.tasks import TaskId, _form_values, _task_page, _to_task
from api.web.session import WebActor
from models.call import CallRecord
from workflow.tasks import complete_task

router = page_router()


@router.post("/tasks/{task_id}/call")
async def record_call(
    request: Request, task_id: TaskId, session: WriteSessionDep, actor: WebActor
) -> Response:
    values = await _form_values(request)
    data = {
        "kind": "call_record",
        "reached": choice(values, "reached"),
        "spoke_to": values.get("spoke_to", "").strip() or None,
        "note": values.get("note", "").strip(),
    }
    body, errors = validate(CallRecord, data)
    if errors:
        return _task_page(request, session, task_id, actor, values, errors)
    task = complete_task(session, task_id=task_id, completion=body, actor=actor)
    if body.reached:
        flash(request, "Call recorded: the customer has been told.")
        return RedirectResponse("/review", status_code=status.HTTP_303_SEE_OTHER)
    return _to_task(
        task.id or task_id, "Attempt recorded: the task stays open for the next try.", request
    )
