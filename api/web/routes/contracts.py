"""The contract ledger's pages: every staff member reads the ledger and a contract's file;
sales record deliveries, change and cancel contracts and report their progress to the
customer there (the rules say who may, and when)."""

from collections.abc import Callable
from typing import Annotated, Any, TypeVar

from fastapi import Form, Path, Query, Request, status
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, Field
from sqlmodel import Session

from api.deps import SessionDep, WriteSessionDep
from api.web.forms import FieldErrors, integer, text_fields, validate
from api.web.pages import flash, render
from api.web.routes import page_router
from api.web.routes.reviews import FLAGGED_CRITERIA, PLAIN_MESSAGES
from api.web.session import page_for
from models.complaint import MAX_ID
from models.contract_views import (
    ContractCancellation,
    ContractProgressReport,
    DeliveryCreate,
)
from models.enums import Channel, ContractStatus, Department
from models.review import MAX_TEXT, ContractChange
from workflow.contracts import (
    ContractFilter,
    cancel_contract,
    contract_file,
    list_contracts,
    record_delivery,
    report_progress,
)
from workflow.errors import InvalidInput, RuleViolation
from workflow.reviews import start_change
from workflow.rules import Action, Actor
from workflow.rules.review import DEPARTMENT_SCOPE, REVIEW_DEPARTMENTS

router = page_router()

PAGE_SIZE = 25
ContractId = Annotated[int, Path(ge=1, le=MAX_ID)]
FORM_ERROR = "form"  # a refusal of the whole form, not of one of its fields
CHANGE = "change_"  # the change form's fields are named ``change_<field>`` on the page
CHANGE_TEXTS = (
    "title",
    "value",
    "quantity",
    "requested_delivery",
    "requirements",
    "channel",
    "reason",
)
NO_DEPARTMENTS = "choose the departments the change concerns: sales at least"
PROGRESS = "progress_"  # the progress report's fields are ``progress_<field>`` (``note`` is taken)
PROGRESS_NOTE = f"{PROGRESS}note"


@router.get("/contracts")
def contract_list(
    request: Request,
    session: SessionDep,
    _: Annotated[Actor, page_for(Action.read_contracts)],
    q: Annotated[str, Query(max_length=200)] = "",
    status_: Annotated[ContractStatus | None, Query(alias="status")] = None,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> Response:
    text = q.replace("\x00", "").strip() or None
    filters = ContractFilter(status=status_, text=text)
    page = list_contracts(session, filters, limit=PAGE_SIZE, offset=offset)
    return render(
        request,
        "contracts.html",
        {
            "title": "Contract ledger",
            "page": page,
            "filters": {"q": q, "status": status_},
            "statuses": list(ContractStatus),
            "page_size": PAGE_SIZE,
        },
    )


def _contract_page(
    request: Request,
    session: Session,
    contract_id: int,
    actor: Actor,
    forms: dict[str, Any] | None = None,
    status_code: int = status.HTTP_200_OK,
) -> Response:
    """The contract's file; ``forms``: a refused form's values and errors, shown again."""
    file = contract_file(session, contract_id, actor)
    no_errors: dict[str, dict[str, Any]] = {
        "values": {},
        "errors": {},
        "cancel_values": {},
        "cancel_errors": {},
        "change_values": {f"{CHANGE}departments": [Department.sales.value]},
        "change_errors": {},
        "progress_values": {},
        "progress_errors": {},
    }
    context = {
        "title": f"{file.reference}: {file.terms.title}",
        "c": file,
        **_change_choices(),
        **no_errors,
        **(forms or {}),
    }
    return render(request, "contracts_file.html", context, status_code=status_code)


def _change_choices() -> dict[str, Any]:
    return {
        "channels": list(Channel),
        "criteria": FLAGGED_CRITERIA,
        "departments": REVIEW_DEPARTMENTS,
        "scope": DEPARTMENT_SCOPE,
    }


@router.get("/contracts/{contract_id}")
def contract_page(
    request: Request,
    contract_id: ContractId,
    session: SessionDep,
    actor: Annotated[Actor, page_for(Action.read_contracts)],
) -> Response:
    return _contract_page(request, session, contract_id, actor)


def _back_to(contract_id: int) -> RedirectResponse:
    return RedirectResponse(f"/contracts/{contract_id}", status_code=status.HTTP_303_SEE_OTHER)


def _refused(refusal: InvalidInput | RuleViolation) -> tuple[FieldErrors, int]:
    """A refusal as the form shows it: on its field (422), or on the whole form (409)."""
    if isinstance(refusal, InvalidInput):
        return {refusal.field: str(refusal)}, status.HTTP_422_UNPROCESSABLE_CONTENT
    return {FORM_ERROR: str(refusal)}, status.HTTP_409_CONFLICT


Data = TypeVar("Data")
Done = TypeVar("Done")


def _submitted(
    session: Session, data: Data | None, errors: FieldErrors, work: Callable[[Data], Done]
) -> tuple[Done | None, FieldErrors, int]:
    """The service's answer to a form that validated, or the errors to show the form again
    with and their status (422 for its input, 409 for the rules' refusal)."""
    if data is None:
        return None, errors, status.HTTP_422_UNPROCESSABLE_CONTENT
    try:
        return work(data), {}, status.HTTP_200_OK
    except (InvalidInput, RuleViolation) as refusal:
        session.rollback()
        return None, *_refused(refusal)


@router.post("/contracts/{contract_id}/deliveries")
def delivery_form(
    request: Request,
    contract_id: ContractId,
    session: WriteSessionDep,
    actor: Annotated[Actor, page_for(Action.record_delivery)],
    delivered_on: Annotated[str, Form(max_length=32)] = "",
    quantity: Annotated[str, Form(max_length=32)] = "",
    due_on: Annotated[str, Form(max_length=32)] = "",
    note: Annotated[str, Form(max_length=2_000)] = "",
) -> Response:
    values = {"delivered_on": delivered_on, "quantity": quantity, "due_on": due_on, "note": note}
    typed = {k: v.strip() for k, v in values.items() if v.strip()}
    data, errors = validate(DeliveryCreate, typed)
    done, errors, status_code = _submitted(
        session, data, errors, lambda d: record_delivery(session, contract_id, d, actor)
    )
    if done is None or data is None:
        forms = {"values": values, "errors": errors}
        return _contract_page(request, session, contract_id, actor, forms, status_code)
    flash(request, f"Delivery of {data.quantity} recorded.")
    return _back_to(contract_id)


@router.post("/contracts/{contract_id}/cancel")
def cancel_form(
    request: Request,
    contract_id: ContractId,
    session: WriteSessionDep,
    actor: Annotated[Actor, page_for(Action.change_contract)],
    reason: Annotated[str, Form(max_length=2_000)] = "",
) -> Response:
    data, errors = validate(ContractCancellation, {"reason": reason.strip()})
    done, errors, status_code = _submitted(
        session, data, errors, lambda d: cancel_contract(session, contract_id, d, actor)
    )
    if done is None:
        forms = {"cancel_values": {"reason": reason}, "cancel_errors": errors}
        return _contract_page(request, session, contract_id, actor, forms, status_code)
    flash(request, "Contract cancelled.")
    return _back_to(contract_id)


@router.post("/contracts/{contract_id}/progress-report")
def progress_report_form(
    request: Request,
    contract_id: ContractId,
    session: WriteSessionDep,
    actor: Annotated[Actor, page_for(Action.report_contract_progress)],
    # Read beyond the note's limit, so that a note too long is refused on its field.
    progress_note: Annotated[str, Form(max_length=MAX_TEXT)] = "",
) -> Response:
    data, errors = validate(ContractProgressReport, {"note": progress_note})
    notice, errors, status_code = _submitted(
        session, data, errors, lambda d: report_progress(session, contract_id, d, actor)
    )
    if notice is None:
        forms = {
            "progress_values": {PROGRESS_NOTE: progress_note},
            "progress_errors": _named_on_page(PROGRESS, errors),
        }
        return _contract_page(request, session, contract_id, actor, forms, status_code)
    flash(request, f"Progress report queued for {notice.recipient}.")
    return _back_to(contract_id)


class ChangeFormFields(BaseModel):
    """The change form as posted; empty new terms keep the contract's."""

    change_title: str = Field(default="", max_length=200)
    change_value: str = Field(default="", max_length=32)
    change_quantity: str = Field(default="", max_length=32)
    change_requested_delivery: str = Field(default="", max_length=32)
    change_requirements: str = Field(default="", max_length=MAX_TEXT)
    change_channel: str = Field(default="", max_length=32)
    change_special_criteria: list[str] = Field(default_factory=list, max_length=16)
    change_departments: list[str] = Field(default_factory=list, max_length=16)
    change_reason: str = Field(default="", max_length=2_000)


def _change_data(form: ChangeFormFields) -> dict[str, Any]:
    """The form in ``ContractChange``'s names; an empty field is left out (NUL dropped)."""
    fields = {k.removeprefix(CHANGE): v for k, v in form.model_dump().items()}
    texts = {k: str(fields[k]).replace("\x00", "") for k in CHANGE_TEXTS}
    data: dict[str, Any] = text_fields(texts, CHANGE_TEXTS)
    data["quantity"] = integer(data["quantity"])
    data["special_criteria"] = fields["special_criteria"]
    data["departments"] = fields["departments"]
    return {k: v for k, v in data.items() if v is not None}


def _named_on_page(form: str, errors: FieldErrors) -> FieldErrors:
    """The errors under the form's field names on the page (``<form><field>``); a refusal of
    the whole form stays."""
    return {(k if k == FORM_ERROR else f"{form}{k}"): v for k, v in errors.items()}


def _validate_change(form: ChangeFormFields) -> tuple[ContractChange | None, FieldErrors]:
    data, errors = validate(ContractChange, _change_data(form), messages=PLAIN_MESSAGES)
    if not form.change_departments:
        errors["departments"] = NO_DEPARTMENTS
    return (None if errors else data), errors


@router.post("/contracts/{contract_id}/changes")
def change_form(
    request: Request,
    contract_id: ContractId,
    session: WriteSessionDep,
    actor: Annotated[Actor, page_for(Action.change_contract)],
    form: Annotated[ChangeFormFields, Form()],
) -> Response:
    data, errors = _validate_change(form)
    review, errors, status_code = _submitted(
        session, data, errors, lambda d: start_change(session, contract_id, d, actor)
    )
    if review is None:
        forms = {
            "change_values": form.model_dump(),
            "change_errors": _named_on_page(CHANGE, errors),
        }
        return _contract_page(request, session, contract_id, actor, forms, status_code)
    flash(
        request, f"Started {review.reference}: each department asked gets its task within seconds."
    )
    return RedirectResponse(f"/reviews/{review.reference}", status_code=status.HTTP_303_SEE_OTHER)
