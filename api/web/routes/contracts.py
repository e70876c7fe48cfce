"""The contract ledger's pages: every staff member reads the ledger and a contract's file;
sales record deliveries and cancel contracts there (the rules say who may, and when)."""

from typing import Annotated, Any

from fastapi import Form, Path, Query, Request, status
from fastapi.responses import RedirectResponse, Response
from sqlmodel import Session

from api.deps import SessionDep, WriteSessionDep
from api.web.forms import FieldErrors, validate
from api.web.pages import flash, render
from api.web.routes import page_router
from api.web.session import page_for
from models.complaint import MAX_ID
from models.contract_views import ContractCancellation, DeliveryCreate
from models.enums import ContractStatus
from workflow.contracts import (
    ContractFilter,
    cancel_contract,
    contract_file,
    list_contracts,
    record_delivery,
)
from workflow.errors import InvalidInput, RuleViolation
from workflow.rules import Action, Actor

router = page_router()

PAGE_SIZE = 25
ContractId = Annotated[int, Path(ge=1, le=MAX_ID)]
FORM_ERROR = "form"  # a refusal of the whole form, not of one of its fields


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
    no_errors: dict[str, dict[str, str]] = {
        "values": {},
        "errors": {},
        "cancel_values": {},
        "cancel_errors": {},
    }
    return render(
        request,
        "contracts_file.html",
        {"title": f"{file.reference}: {file.terms.title}", "c": file, **no_errors, **(forms or {})},
        status_code=status_code,
    )


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
    status_code = status.HTTP_422_UNPROCESSABLE_CONTENT
    if data is not None:
        try:
            record_delivery(session, contract_id, data, actor)
        except (InvalidInput, RuleViolation) as refusal:
            session.rollback()
            errors, status_code = _refused(refusal)
    if errors:
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
    status_code = status.HTTP_422_UNPROCESSABLE_CONTENT
    if data is not None:
        try:
            cancel_contract(session, contract_id, data, actor)
        except (InvalidInput, RuleViolation) as refusal:
            session.rollback()
            errors, status_code = _refused(refusal)
    if errors:
        forms = {"cancel_values": {"reason": reason}, "cancel_errors": errors}
        return _contract_page(request, session, contract_id, actor, forms, status_code)
    flash(request, "Contract cancelled.")
    return _back_to(contract_id)
