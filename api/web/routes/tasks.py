"""A task's work page: claim, assess, contain, answer, review (the queues are in queues.py)."""

from typing import Annotated, Any

from fastapi import Path, Request, status
from fastapi.responses import RedirectResponse, Response
from sqlmodel import Session

from api.deps import SessionDep, WriteSessionDep
from api.web.assign_form import assignment_page_context
from api.web.forms import FieldErrors, choice, integer, text_fields, validate
from api.web.pages import flash, render
from api.web.routes import page_router
from api.web.routes.actions import capa_page_context
from api.web.session import WebActor, page_for
from api.web.triage_form import triage_page_context
from models.base import id_of
from models.complaint import Complaint
from models.task import (
    Assessment,
    Containment,
    InquiryAnswer,
    InquiryForward,
    QualityResult,
    SalesReview,
    SubtaskAnswer,
    SubtaskCancellation,
    SubtaskRequest,
    Task,
)
from workflow.codes import code_groups
from workflow.errors import NotFound
from workflow.facts import facts_of, task_facts
from workflow.inquiries import forward_inquiry
from workflow.milestones import record_assessment, record_containment
from workflow.notices import resolution_preview
from workflow.queries import complaint_public, list_tasks, task_view
from workflow.resolutions import latest_resolution
from workflow.review_view import review_reference_of_task
from workflow.rules import (
    OPEN_TASK_STATUSES,
    SUBTASK_DEPARTMENTS,
    Action,
    Actor,
    Department,
    Severity,
    TaskKind,
    available_actions,
    is_finished,
    require_task_reader,
    task_refusal,
)
from workflow.subtasks import cancel_subtask, open_subtask
from workflow.tasks import claim_task, complete_task, subtasks_of

router = page_router()
TaskId = Annotated[int, Path(ge=1, le=2**62)]
QUEUE_SIZE = 100
SALES_QUEUE_KINDS = (
    TaskKind.sales_review,
    TaskKind.answer_inquiry,
    TaskKind.triage_mail,
    TaskKind.call_customer,
)
QUALITY_TEXT_FIELDS = (
    "no_investigation_reason",
    "containment",
    "root_cause",
    "corrective_action",
    "preventive_action",
    "customer_summary",
)


def _task_context(session: Session, task_id: TaskId, actor: Actor) -> dict[str, Any]:
    task = session.get(Task, task_id)
    if task is None:
        raise NotFound(f"no task {task_id}")
    require_task_reader(actor, task_id, task.department)
    complaint = session.get(Complaint, task.case_id)
    assert complaint is not None
    resolution = latest_resolution(session, id_of(complaint))
    # The mail exactly as the customer gets it, status link included for those who may see it.
    link = Action.read_customer_link in available_actions(facts_of(complaint), actor)
    preview = (
        resolution_preview(session, complaint, resolution, with_status_link=link)
        if resolution is not None and task.kind is TaskKind.sales_review
        else None
    )
    view = task_view(session, task_id)
    subtasks = subtasks_of(session, task_id)
    facts = task_facts(task, subtasks)
    return {
        "title": f"{view.kind.value.replace('_', ' ').capitalize()} · {complaint.reference}",
        "task": view,
        "complaint": complaint_public(session, complaint),
        "resolution": resolution,
        "preview": preview,
        "actions": available_actions(facts_of(complaint), actor, facts),
        "may_review_related": Action.review_related
        in available_actions(facts_of(complaint), actor),
        "open_subtasks": facts.open_subtasks,
        # Why the result cannot be returned yet (an open sub-task), in the rules' words.
        "result_refusal": task_refusal(Action.return_result, facts, facts_of(complaint), actor),
        "finished": is_finished(task.status),
        "severities": list(Severity),
        "defect_groups": code_groups(session, "defect"),
        "cause_groups": code_groups(session, "cause"),
        "subtasks": subtasks,
        "subtask_departments": SUBTASK_DEPARTMENTS,
        "values": {},
        "errors": {},
        **capa_page_context(session, complaint, actor),
        **triage_page_context(session, task, complaint),
        **assignment_page_context(session, task, complaint, actor),
    }


def _task_page(
    request: Request,
    session: Session,
    task_id: TaskId,
    actor: Actor,
    values: dict[str, Any] | None = None,
    errors: FieldErrors | None = None,
) -> Response:
    context = _task_context(session, task_id, actor)
    context["values"] = values or {}
    context["errors"] = errors or {}
    code = status.HTTP_422_UNPROCESSABLE_CONTENT if errors else status.HTTP_200_OK
    return render(request, "task_page.html", context, status_code=code)


@router.get("/tasks/{task_id}")
def task_page(request: Request, task_id: TaskId, session: SessionDep, actor: WebActor) -> Response:
    # A department's review of a contract is worked on the review's page.
    review = review_reference_of_task(session, task_id)
    if review is not None:
        return RedirectResponse(f"/reviews/{review}", status_code=status.HTTP_303_SEE_OTHER)
    return _task_page(request, session, task_id, actor)


def _to_task(task_id: TaskId, message: str, request: Request) -> RedirectResponse:
    flash(request, message)
    return RedirectResponse(f"/tasks/{task_id}", status_code=status.HTTP_303_SEE_OTHER)


@router.post("/tasks/{task_id}/claim")
def claim(request: Request, task_id: TaskId, session: WriteSessionDep, actor: WebActor) -> Response:
    claim_task(session, task_id=task_id, actor=actor)
    return _to_task(task_id, "Claimed: this task is yours now.", request)


async def _form_values(request: Request) -> dict[str, str]:
    form = await request.form()
    return {k: v for k, v in form.items() if isinstance(v, str)}


def _assessment_data(values: dict[str, str]) -> dict[str, Any]:
    data: dict[str, Any] = {
        "valid": choice(values, "valid"),
        "investigate": choice(values, "investigate"),
        "severity": values.get("severity") or None,
        "defect_code": values.get("defect_code", "").strip() or None,
        "cause_code": values.get("cause_code", "").strip() or None,
    }
    return {**data, **text_fields(values, QUALITY_TEXT_FIELDS)}


@router.post("/tasks/{task_id}/assessment")
async def assessment(
    request: Request, task_id: TaskId, session: WriteSessionDep, actor: WebActor
) -> Response:
    values = await _form_values(request)
    data = _assessment_data(values)
    body, errors = validate(Assessment, {k: data[k] for k in Assessment.model_fields if k in data})
    if errors:
        return _task_page(request, session, task_id, actor, values, errors)
    record_assessment(session, task_id=task_id, assessment=body, actor=actor)
    return _to_task(task_id, "First assessment recorded.", request)


@router.post("/tasks/{task_id}/containment")
async def containment(
    request: Request, task_id: TaskId, session: WriteSessionDep, actor: WebActor
) -> Response:
    values = await _form_values(request)
    body, errors = validate(Containment, {"containment": values.get("containment", "").strip()})
    if errors:
        return _task_page(request, session, task_id, actor, values, errors)
    record_containment(session, task_id=task_id, containment=body, actor=actor)
    return _to_task(task_id, "Containment recorded.", request)


@router.post("/tasks/{task_id}/complete")
async def complete_quality(
    request: Request, task_id: TaskId, session: WriteSessionDep, actor: WebActor
) -> Response:
    values = await _form_values(request)
    data = {k: v for k, v in _assessment_data(values).items() if v is not None}
    result, errors = validate(QualityResult, {"kind": "quality_assessment", **data})
    if errors:
        return _task_page(request, session, task_id, actor, values, errors)
    complete_task(session, task_id=task_id, completion=result, actor=actor)
    flash(request, "Result sent to sales for review.")
    return RedirectResponse("/queue", status_code=status.HTTP_303_SEE_OTHER)


@router.post("/tasks/{task_id}/review")
async def review(
    request: Request, task_id: TaskId, session: WriteSessionDep, actor: WebActor
) -> Response:
    values = await _form_values(request)
    decision = values.get("decision")
    data = {
        "kind": "sales_review",
        "approved": {"approve": True, "send_back": False}.get(decision or ""),
        "comment": values.get("comment", "").strip() or None,
    }
    result, errors = validate(SalesReview, data)
    if errors:
        return _task_page(request, session, task_id, actor, values, errors)
    complete_task(session, task_id=task_id, completion=result, actor=actor)
    flash(
        request,
        "Approved: the resolution notice goes to the customer."
        if result.approved
        else "Sent back to quality with your comment.",
    )
    return RedirectResponse("/review", status_code=status.HTTP_303_SEE_OTHER)


@router.post("/tasks/{task_id}/subtasks")
async def ask_department(
    request: Request, task_id: TaskId, session: WriteSessionDep, actor: WebActor
) -> Response:
    values = await _form_values(request)
    body, errors = validate(
        SubtaskRequest,
        {
            "department": values.get("subtask_department") or None,
            "request": values.get("subtask_request", "").strip(),
            "business_days": integer(values.get("subtask_days") or "3"),
        },
    )
    if errors:
        errors = {f"subtask_{k}": v for k, v in errors.items()}
        return _task_page(request, session, task_id, actor, values, errors)
    created = open_subtask(session, task_id=task_id, request=body, actor=actor)
    return _to_task(task_id, f"Asked {created.department.value}: sub-task {created.id}.", request)


@router.post("/tasks/{task_id}/subtasks/{subtask_id}/cancel")
async def withdraw_subtask(
    request: Request,
    task_id: TaskId,
    subtask_id: TaskId,
    session: WriteSessionDep,
    actor: WebActor,
) -> Response:
    values = await _form_values(request)
    body, errors = validate(SubtaskCancellation, {"reason": values.get("reason", "").strip()})
    if errors:
        errors = {f"cancel_{subtask_id}_{k}": v for k, v in errors.items()}
        return _task_page(request, session, task_id, actor, values, errors)
    cancel_subtask(session, task_id=task_id, subtask_id=subtask_id, reason=body.reason, actor=actor)
    return _to_task(task_id, f"Sub-task {subtask_id} cancelled.", request)


@router.post("/tasks/{task_id}/answer")
async def answer_subtask(
    request: Request, task_id: TaskId, session: WriteSessionDep, actor: WebActor
) -> Response:
    values = await _form_values(request)
    task = session.get(Task, task_id)
    inquiry = task is not None and task.kind is TaskKind.answer_inquiry
    model = InquiryAnswer if inquiry else SubtaskAnswer
    body, errors = validate(model, {"answer": values.get("answer", "").strip()})
    if errors:
        return _task_page(request, session, task_id, actor, values, errors)
    complete_task(session, task_id=task_id, completion=body, actor=actor)
    flash(request, "Answer sent to the customer." if inquiry else "Answer sent to quality.")
    return RedirectResponse("/queue", status_code=status.HTTP_303_SEE_OTHER)


@router.post("/tasks/{task_id}/forward")
async def forward_inquiry_page(
    request: Request, task_id: TaskId, session: WriteSessionDep, actor: WebActor
) -> Response:
    values = await _form_values(request)
    body, errors = validate(
        InquiryForward,
        {"department": values.get("department", ""), "note": values.get("note", "").strip()},
    )
    if errors:
        return _task_page(request, session, task_id, actor, values, errors)
    forward_inquiry(session, task_id=task_id, request=body, actor=actor)
    flash(request, f"Inquiry forwarded to {body.department.value}.")
    return RedirectResponse("/review", status_code=status.HTTP_303_SEE_OTHER)


@router.get("/review")
def review_queue(
    request: Request,
    session: SessionDep,
    _: Annotated[Actor, page_for(Action.read_review_queue)],
) -> Response:
    page = list_tasks(
        session,
        department=Department.sales,
        statuses=[s.value for s in OPEN_TASK_STATUSES],
        assignee_id=None,
        limit=QUEUE_SIZE,
        offset=0,
    )
    reviews = [t for t in page.items if t.kind in SALES_QUEUE_KINDS]
    return render(request, "review_queue.html", {"title": "Review queue", "tasks": reviews})
