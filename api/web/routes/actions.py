"""Corrective and preventive actions in the pages: quality opens and cancels them on the
complaint page; the owner completes one, and quality records an effectiveness check, on the
task page. Forms are validated by the API's own request models."""

from typing import Annotated, Any

from fastapi import Path, Request, status
from fastapi.responses import RedirectResponse, Response
from sqlmodel import Session, select

from api.deps import WriteSessionDep
from api.web.forms import integer, validate
from api.web.pages import flash
from api.web.routes import page_router
from api.web.session import WebActor
from models.attachment import Attachment
from models.capa import ActionCancellation, ActionCreate
from models.complaint import Complaint
from models.enums import ActionKind, Verdict
from models.quality import CapaAction
from models.task import ActionDone, EffectivenessVerdict, Task
from workflow.capa import cancel_action, open_action
from workflow.capa_queries import actions_public, latest_check_public
from workflow.errors import NotFound
from workflow.rules import ACTION_DEPARTMENTS, Actor, TaskKind
from workflow.tasks import complete_task

router = page_router()
Id = Annotated[int, Path(ge=1, le=2**62)]


async def _form(request: Request) -> dict[str, Any]:
    form = await request.form()
    values: dict[str, Any] = {k: v for k, v in form.items() if isinstance(v, str)}
    values["attachment_ids"] = [v for v in form.getlist("attachment_ids") if isinstance(v, str)]
    return values


def _to(path: str, request: Request, message: str, kind: str = "success") -> RedirectResponse:
    flash(request, message, kind)
    return RedirectResponse(path, status_code=status.HTTP_303_SEE_OTHER)


def _refused(path: str, request: Request, errors: dict[str, str]) -> RedirectResponse:
    words = "; ".join(f"{name.replace('_', ' ')}: {message}" for name, message in errors.items())
    return _to(path, request, words, "error")


def capa_page_context(session: Session, complaint: Complaint, actor: Actor) -> dict[str, Any]:
    """What the complaint page and the action and check task pages show of the quality loop."""
    attachments = session.exec(
        select(Attachment.id, Attachment.filename).where(Attachment.case_id == complaint.id)
    ).all()
    return {
        "capa_actions": actions_public(session, complaint.id or 0, actor),
        "capa_check": latest_check_public(session, complaint.id or 0),
        "action_kinds": list(ActionKind),
        "action_departments": ACTION_DEPARTMENTS,
        "verdicts": list(Verdict),
        "capa_attachments": [{"id": a, "filename": f} for a, f in attachments],
    }


@router.post("/complaints/{reference}/actions")
async def open_action_form(
    request: Request, reference: str, session: WriteSessionDep, actor: WebActor
) -> Response:
    values = await _form(request)
    back = f"/complaints/{reference}"
    data = {
        "kind": values.get("kind") or None,
        "description": (values.get("description") or "").strip(),
        "owner_department": values.get("owner_department") or None,
        "owner": (values.get("owner") or "").strip() or None,
        "due_date": values.get("due_date") or None,
        "business_days": integer(values.get("business_days") or None),
    }
    body, errors = validate(ActionCreate, data)
    if errors:
        return _refused(back, request, errors)
    created = open_action(session, reference=reference, request=body, actor=actor)
    return _to(
        back, request, f"Action {created.id} opened in {body.owner_department.value}'s queue."
    )


@router.post("/actions/{action_id}/cancel")
async def cancel_action_form(
    request: Request, action_id: Id, session: WriteSessionDep, actor: WebActor
) -> Response:
    values = await _form(request)
    action = session.get(CapaAction, action_id)
    if action is None:
        raise NotFound(f"no action {action_id}")
    complaint = session.get(Complaint, action.complaint_id)
    back = f"/complaints/{complaint.reference if complaint else ''}"
    body, errors = validate(ActionCancellation, {"reason": (values.get("reason") or "").strip()})
    if errors:
        return _refused(back, request, errors)
    cancel_action(session, action_id=action_id, reason=body.reason, actor=actor)
    return _to(back, request, f"Action {action_id} cancelled.")


def _task_kind(session: Session, task_id: int) -> TaskKind:
    task = session.get(Task, task_id)
    if task is None:
        raise NotFound(f"no task {task_id}")
    return task.kind


@router.post("/tasks/{task_id}/action-done")
async def action_done_form(
    request: Request, task_id: Id, session: WriteSessionDep, actor: WebActor
) -> Response:
    values = await _form(request)
    _task_kind(session, task_id)
    data = {
        "evidence": (values.get("evidence") or "").strip(),
        "attachment_ids": [integer(v) for v in values["attachment_ids"]],
    }
    body, errors = validate(ActionDone, data)
    if errors:
        return _refused(f"/tasks/{task_id}", request, errors)
    complete_task(session, task_id=task_id, completion=body, actor=actor)
    return _to("/queue", request, "Action done: its evidence is on the complaint's file.")


@router.post("/tasks/{task_id}/effectiveness")
async def effectiveness_form(
    request: Request, task_id: Id, session: WriteSessionDep, actor: WebActor
) -> Response:
    values = await _form(request)
    _task_kind(session, task_id)
    data = {
        "verdict": values.get("verdict") or None,
        "reasoning": (values.get("reasoning") or "").strip(),
    }
    body, errors = validate(EffectivenessVerdict, data)
    if errors:
        return _refused(f"/tasks/{task_id}", request, errors)
    complete_task(session, task_id=task_id, completion=body, actor=actor)
    done = "effective: the quality record is complete"
    new_round = "not effective: open the next round of corrective actions on the complaint"
    return _to(
        "/queue",
        request,
        f"Check recorded as {done if body.verdict is Verdict.effective else new_round}.",
    )
