"""Sales log complaints and whoever hears it logs feedback; everyone searches them and reads
a complaint's whole file."""

import uuid
from datetime import datetime
from typing import Annotated, Any

from fastapi import Form, Query, Request, status
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import FormData, UploadFile

from api.deps import SessionDep, WriteSessionDep
from api.downloads import attachment_response
from api.ratelimit import check_intake_rate
from api.web.forms import FieldErrors, integer, text_fields, validate
from api.web.pages import NONE, flash, render, when
from api.web.prefect_runs import runs_for_reference
from api.web.routes import page_router
from api.web.routes.actions import capa_page_context
from api.web.session import WebUser, page_for
from models.base import id_of
from models.complaint import AcknowledgementRecord, ComplaintCreate, CustomerResponse
from models.customer import Customer
from workflow.attachments import (
    ALLOWED_TYPES,
    MAX_ATTACHMENT_BYTES,
    MAX_ATTACHMENTS,
    AttachmentRefused,
    NewAttachment,
    check_uploads,
    get_attachment,
    list_attachments,
)
from workflow.closing import closing_facts
from workflow.comments import conversation
from workflow.complaints import (
    customer_answered,
    get_complaint,
    log_complaint,
    record_acknowledgement,
    record_customer_response,
    wait_for_customer,
)
from workflow.customers import other_complaints
from workflow.db import read_session, write_session
from workflow.eight_d import eight_d_report
from workflow.errors import InvalidInput
from workflow.languages import (
    SHIPPED_LANGUAGES,
    default_time_zone,
    language_name,
    shipped_language,
)
from workflow.notices import status_url
from workflow.products import active_products
from workflow.queries import ComplaintFilter, complaint_record, list_complaints, search_customers
from workflow.rules import (
    Action,
    Actor,
    Channel,
    Kind,
    Remedy,
    Severity,
    Status,
    TaskOffer,
    available_actions,
    intake_kinds,
    next_step,
)

router = page_router()

COMPLAINT_FIELDS = (
    "kind",
    "channel",
    "product",
    "lot_number",
    "serial_number",
    "order_reference",
    "quantity_affected",
    "description",
    "remedy_sought",
    "severity",
)
CUSTOMER_FIELDS = ("name", "company", "email", "phone", "address", "language", "time_zone")
PAGE_SIZE = 25
SIDE_PANEL_SIZE = 10  # the customer's other complaints beside one; the rest on their page
UNPROCESSABLE = status.HTTP_422_UNPROCESSABLE_CONTENT


def _choices(role: str) -> dict[str, Any]:
    return {
        "kinds": intake_kinds(role),
        "channels": list(Channel),
        "remedies": list(Remedy),
        "severities": list(Severity),
        "allowed_types": ", ".join(sorted(set(ALLOWED_TYPES.values()))),
        "max_attachment_mb": MAX_ATTACHMENT_BYTES // 1_048_576,
        "max_attachments": MAX_ATTACHMENTS,
        "languages": [(code, f"{language_name(code)} ({code})") for code in SHIPPED_LANGUAGES],
        "default_language": shipped_language(None),
        "default_time_zone": default_time_zone(),
    }


def _customers_matching(text: str) -> list[Customer]:
    text = text.replace("\x00", "").strip()
    if len(text) < 2:
        return []
    with read_session() as session:
        return search_customers(session, text)


def _form_title(role: str) -> str:
    return "Log a complaint" if Kind.complaint in intake_kinds(role) else "Log feedback"


def _form_page(
    request: Request,
    role: str,
    values: dict[str, Any],
    errors: FieldErrors,
    status_code: int = 200,
) -> Response:
    """The form, again with what was typed and the customers the look-up had found; it offers
    the kinds the role may log (technical and quality log feedback, sales complaints too)."""
    context = {
        "title": _form_title(role),
        "values": values,
        "errors": errors,
        "customers": _customers_matching(str(values.get("customer_q") or "")),
        "query": values.get("customer_q") or "",
        **_choices(role),
    }
    return render(request, "complaint_new.html", context, status_code=status_code)


@router.get("/complaints/new")
def new_complaint_page(
    request: Request, actor: Annotated[Actor, page_for(Action.log_feedback)]
) -> Response:
    kind = intake_kinds(actor.role)[0]
    values = {"kind": kind.value, "severity": "minor", "idempotency_key": str(uuid.uuid4())}
    return _form_page(request, actor.role, values, {})


def _complaint_data(form: FormData) -> dict[str, Any]:
    data: dict[str, Any] = text_fields(form, COMPLAINT_FIELDS)
    data["quantity_affected"] = integer(data["quantity_affected"])
    chosen = form.get("customer_id")
    if isinstance(chosen, str) and chosen.strip():
        data["customer_id"] = integer(chosen.strip())
    else:
        customer = text_fields(form, tuple(f"customer_{f}" for f in CUSTOMER_FIELDS))
        data["customer"] = {
            f: customer[f"customer_{f}"]
            for f in CUSTOMER_FIELDS
            if customer[f"customer_{f}"] is not None
        }
    return {k: v for k, v in data.items() if v is not None}


async def _uploads(form: FormData) -> list[tuple[str, bytes]]:
    files = [f for f in form.getlist("attachments") if isinstance(f, UploadFile) and f.filename]
    return [(f.filename or "attachment", await f.read()) for f in files]


def _log(
    data: ComplaintCreate, actor: Actor, key: str | None, attachments: list[NewAttachment]
) -> dict[str, Any]:
    with write_session() as session:
        result = log_complaint(
            session, data=data, actor=actor, idempotency_key=key, attachments=attachments
        )
        return result.body


@router.post("/complaints/new")
async def submit_complaint(
    request: Request, actor: Annotated[Actor, page_for(Action.log_feedback)]
) -> Response:
    form = await request.form()
    values = {k: v for k, v in form.items() if isinstance(v, str)}
    data, errors = validate(ComplaintCreate, _complaint_data(form))
    if data is not None and data.kind not in intake_kinds(actor.role):
        errors["kind"] = f"a {data.kind.value} is logged by sales: choose another kind"
    for name, value in values.items():
        if "\x00" in value:
            errors[name] = "must not contain NUL characters"
            values[name] = value.replace("\x00", "")
    try:
        attachments = check_uploads(await _uploads(form))
    except AttachmentRefused as refused:
        errors["attachments"] = str(refused)
    if errors:
        return await run_in_threadpool(
            _form_page, request, actor.role, values, errors, UNPROCESSABLE
        )
    check_intake_rate(actor)
    key = values.get("idempotency_key") or None
    try:
        created = await run_in_threadpool(_log, data, actor, key, attachments)
    except InvalidInput as invalid:
        errors[invalid.field] = str(invalid)
        return await run_in_threadpool(
            _form_page, request, actor.role, values, errors, UNPROCESSABLE
        )
    reference = created["reference"]
    flash(
        request,
        f"Logged {reference}. Promised answer to the customer by "
        f"{when_text(created['reply_due_at'])}; the acknowledgement is on its way.",
    )
    return RedirectResponse(f"/complaints/{reference}", status_code=status.HTTP_303_SEE_OTHER)


def when_text(iso: str | None) -> str:
    return when(datetime.fromisoformat(iso)) if iso else NONE


@router.get("/customers/search")
def customer_search(
    request: Request,
    _: Annotated[Actor, page_for(Action.log_feedback)],
    customer_q: Annotated[str, Query(max_length=200)] = "",
) -> Response:
    customers = _customers_matching(customer_q)
    return render(request, "_customer_options.html", {"customers": customers, "query": customer_q})


@router.get("/complaints")
def complaint_list(
    request: Request,
    session: SessionDep,
    user: WebUser,
    q: Annotated[str, Query(max_length=200)] = "",
    status_: Annotated[Status | None, Query(alias="status")] = None,
    severity: Severity | None = None,
    mine: bool = False,
    overdue: bool = False,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> Response:
    text = q.replace("\x00", "").strip() or None
    filters = ComplaintFilter(
        status=status_,
        severity=severity,
        received_by_id=user.id if mine else None,
        overdue=True if overdue else None,
        text=text,
    )
    page = list_complaints(session, filters, limit=PAGE_SIZE, offset=offset)
    return render(
        request,
        "complaint_list.html",
        {
            "title": "My complaints" if mine else "Complaints",
            "page": page,
            "filters": {
                "q": q,
                "status": status_,
                "severity": severity,
                "mine": mine,
                "overdue": overdue,
            },
            "statuses": list(Status),
            "severities": list(Severity),
            "page_size": PAGE_SIZE,
        },
    )


@router.get("/complaints/{reference}")
def complaint_page(
    request: Request,
    reference: str,
    session: SessionDep,
    actor: Annotated[Actor, page_for(Action.read_complaints)],
) -> Response:
    record = complaint_record(session, reference, actor)
    complaint = get_complaint(session, reference)
    actions = available_actions(closing_facts(session, complaint), actor)
    others, others_total = other_complaints(
        session, complaint.customer_id, besides=id_of(complaint), limit=SIDE_PANEL_SIZE
    )
    offers = [
        TaskOffer(t.id, t.kind, frozenset(Action(a) for a in t.available_actions))
        for t in record.tasks
    ]
    return render(
        request,
        "complaint_page.html",
        {
            "title": f"{record.reference}: {record.product}",
            "c": record,
            "r": eight_d_report(session, reference),
            "attachments": list_attachments(session, id_of(complaint)),
            "actions": actions,
            "status_link": status_url(complaint) if Action.read_customer_link in actions else None,
            "ack_channels": [c for c in Channel if c is not Channel.email],
            **capa_page_context(session, complaint, actor),
            "catalogue": active_products(session) if Action.map_product in actions else [],
            "conversation": conversation(record.comments, record.customer_messages),
            "next_step": next_step(actions, offers),
            "customer_id": complaint.customer_id,
            "other_complaints": others,
            "other_complaints_total": others_total,
        },
    )


@router.get("/complaints/{reference}/flow-runs")
def complaint_flow_runs(
    request: Request, reference: str, _: Annotated[Actor, page_for(Action.read_complaints)]
) -> Response:
    return render(request, "_flow_runs.html", runs_for_reference(reference))


@router.get("/complaints/{reference}/attachments/{attachment_id}")
def attachment_file(
    reference: str,
    attachment_id: int,
    session: SessionDep,
    _: Annotated[Actor, page_for(Action.read_complaints)],
) -> Response:
    complaint = get_complaint(session, reference)
    return attachment_response(get_attachment(session, id_of(complaint), attachment_id))


def back_to_complaint(reference: str) -> RedirectResponse:
    return RedirectResponse(f"/complaints/{reference}", status_code=status.HTTP_303_SEE_OTHER)


@router.post("/complaints/{reference}/customer-response")
def customer_response(
    request: Request,
    reference: str,
    session: WriteSessionDep,
    actor: Annotated[Actor, page_for(Action.record_acceptance)],
    accepted: Annotated[str, Form(pattern="^(yes|no)$")],
    comment: Annotated[str, Form(max_length=5_000)] = "",
) -> Response:
    answer, errors = validate(
        CustomerResponse, {"accepted": accepted == "yes", "comment": comment.strip() or None}
    )
    if errors:
        flash(request, "; ".join(errors.values()), "error")
        return back_to_complaint(reference)
    record_customer_response(session, reference=reference, response=answer, actor=actor)
    flash(request, "Customer accepted: closed." if answer.accepted else "Reopened to quality.")
    return back_to_complaint(reference)


@router.post("/complaints/{reference}/acknowledgement")
def acknowledgement(
    request: Request,
    reference: str,
    session: WriteSessionDep,
    actor: Annotated[Actor, page_for(Action.record_acknowledgement)],
    channel: Annotated[str, Form(max_length=16)],
    note: Annotated[str, Form(max_length=2_000)] = "",
) -> Response:
    record, errors = validate(AcknowledgementRecord, {"channel": channel, "note": note.strip()})
    if errors:
        flash(request, "; ".join(errors.values()), "error")
        return back_to_complaint(reference)
    record_acknowledgement(session, reference=reference, record=record, actor=actor)
    flash(request, "Acknowledgement recorded: its clock is met.")
    return back_to_complaint(reference)


@router.post("/complaints/{reference}/wait")
def wait(
    request: Request,
    reference: str,
    session: WriteSessionDep,
    actor: Annotated[Actor, page_for(Action.wait_for_customer)],
    reason: Annotated[str, Form(min_length=3, max_length=2_000)],
) -> Response:
    wait_for_customer(session, reference=reference, reason=reason, actor=actor, version=None)
    flash(request, "Waiting on the customer: every clock of this complaint is stopped.")
    return back_to_complaint(reference)


@router.post("/complaints/{reference}/resume")
def resume(
    request: Request,
    reference: str,
    session: WriteSessionDep,
    actor: Annotated[Actor, page_for(Action.resume_after_customer)],
    note: Annotated[str, Form(min_length=3, max_length=2_000)],
) -> Response:
    customer_answered(session, reference=reference, note=note, actor=actor, version=None)
    flash(request, "The customer answered: the clocks run again, moved by the time waited.")
    return back_to_complaint(reference)
