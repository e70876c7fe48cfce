"""Sales triage a complaint made from a mail on its task page: kind, severity, product."""

from typing import Any

from fastapi import Request, status
from fastapi.responses import RedirectResponse, Response

from api.deps import WriteSessionDep
from api.web.forms import integer, text_fields, validate
from api.web.pages import flash
from api.web.routes import page_router
from api.web.routes.tasks import TaskId, _form_values, _task_page
from api.web.session import WebActor
from models.triage import MailTriage
from workflow.tasks import complete_task

router = page_router()
TRIAGE_TEXT_FIELDS = ("product", "order_reference", "lot_number", "note")


def _triage_data(values: dict[str, str]) -> dict[str, Any]:
    data: dict[str, Any] = {
        "kind": "triage",
        "complaint_kind": values.get("complaint_kind") or None,
        "severity": values.get("severity") or None,
        "product_id": integer(values.get("product_id") or None),
        **text_fields(values, TRIAGE_TEXT_FIELDS),
    }
    return {k: v for k, v in data.items() if v is not None}


@router.post("/tasks/{task_id}/triage")
async def triage_mail(
    request: Request, task_id: TaskId, session: WriteSessionDep, actor: WebActor
) -> Response:
    values = await _form_values(request)
    body, errors = validate(MailTriage, _triage_data(values))
    if errors:
        return _task_page(request, session, task_id, actor, values, errors)
    complete_task(session, task_id=task_id, completion=body, actor=actor)
    flash(request, f"Triaged as a {body.complaint_kind.value}: it routes from here.")
    return RedirectResponse("/review", status_code=status.HTTP_303_SEE_OTHER)
