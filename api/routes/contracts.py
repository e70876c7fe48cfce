"""The contract ledger: every accepted contract or order with its versions, the deliveries
against it and its figures; sales record deliveries, change (a review of the departments the
change concerns) and cancel contracts, and report their progress to the customer."""

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, status

from api.deps import SessionDep, WriteSessionDep, allowed
from models.complaint import MAX_ID
from models.contract_views import (
    ContractCancellation,
    ContractFile,
    ContractProgressReport,
    ContractSummary,
    DeliveryCreate,
)
from models.enums import ContractStatus
from models.review import ContractChange, ReviewPublic
from models.views import Page
from workflow import contracts, reviews
from workflow.config import get_settings
from workflow.review_view import review_public
from workflow.rules import Action
from workflow.transitions import Actor

router = APIRouter(prefix="/contracts", tags=["contract ledger"])

ContractId = Annotated[int, Path(ge=1, le=MAX_ID, description="The contract's id.")]
PageSize = Annotated[int, Query(ge=1, le=100, description="Items per page (at most 100).")]
Offset = Annotated[int, Query(ge=0, le=1_000_000)]

NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"description": "No contract with this id"}}
CHANGE_ERRORS: dict[int | str, dict[str, Any]] = {
    **NOT_FOUND,
    403: {"description": "Only sales record deliveries, change and cancel contracts"},
    409: {
        "description": "The contract is cancelled or completed, a change is in review "
        "already, or the delivery goes beyond the contracted quantity"
    },
    422: {"description": "Invalid data: a delivery in the future, a reason missing"},
}


@router.get(
    "",
    summary="The contract ledger",
    description="Newest first, each with its current terms, status and figures. `q` searches "
    "the ledger's reference, the customer's order reference and the current title.",
)
def list_contracts(
    session: SessionDep,
    _: Annotated[Actor, allowed(Action.read_contracts)],
    status_: Annotated[ContractStatus | None, Query(alias="status")] = None,
    customer_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    q: Annotated[str | None, Query(min_length=1, max_length=200, pattern=r"^[^\x00]+$")] = None,
    limit: PageSize = 50,
    offset: Offset = 0,
) -> Page[ContractSummary]:
    filters = contracts.ContractFilter(status=status_, customer_id=customer_id, text=q)
    return contracts.list_contracts(
        session, filters, limit=min(limit, get_settings().max_page_size), offset=offset
    )


@router.get(
    "/{contract_id}",
    summary="A contract's file",
    description="Every version of its terms with the review that accepted it, the deliveries, "
    "the figures, the complaints linked to it, its change reviews, and what you may do now "
    "(`available_actions`).",
    responses=NOT_FOUND,
)
def read_contract(
    contract_id: ContractId,
    session: SessionDep,
    actor: Annotated[Actor, allowed(Action.read_contracts)],
) -> ContractFile:
    return contracts.contract_file(session, contract_id, actor)


@router.post(
    "/{contract_id}/deliveries",
    status_code=status.HTTP_201_CREATED,
    summary="Record a delivery",
    description="What went out when. Due by `due_on`, the current terms' requested delivery "
    "by default; on time when delivered on or before it (always, without a due date). Never "
    "beyond the contracted quantity; the delivery that reaches it completes the contract. "
    "Answers the contract's file with the new figures.",
    responses=CHANGE_ERRORS,
)
def record_delivery(
    contract_id: ContractId,
    body: DeliveryCreate,
    session: WriteSessionDep,
    actor: Annotated[Actor, allowed(Action.record_delivery)],
) -> ContractFile:
    contracts.record_delivery(session, contract_id, body, actor)
    return contracts.contract_file(session, contract_id, actor)


@router.post(
    "/{contract_id}/changes",
    status_code=status.HTTP_201_CREATED,
    summary="Change a contract",
    description="The new terms (those not given stay) go to a review by the departments the "
    "change concerns, chosen by sales with the reason. Once accepted, they are the contract's "
    "next version.",
    responses=CHANGE_ERRORS,
)
def change_contract(
    contract_id: ContractId,
    body: ContractChange,
    session: WriteSessionDep,
    actor: Annotated[Actor, allowed(Action.change_contract)],
) -> ReviewPublic:
    review = reviews.start_change(session, contract_id, body, actor)
    return review_public(session, review, actor)


@router.post(
    "/{contract_id}/cancel",
    summary="Cancel a contract",
    description="An active contract, with the reason; nothing more is delivered against it. "
    "A change in review is decided or withdrawn first.",
    responses=CHANGE_ERRORS,
)
def cancel_contract(
    contract_id: ContractId,
    body: ContractCancellation,
    session: WriteSessionDep,
    actor: Annotated[Actor, allowed(Action.change_contract)],
) -> ContractFile:
    contracts.cancel_contract(session, contract_id, body, actor)
    return contracts.contract_file(session, contract_id, actor)


PROGRESS_ERRORS: dict[int | str, dict[str, Any]] = {
    **NOT_FOUND,
    403: {"description": "Only sales report a contract's progress to the customer"},
    409: {
        "description": "The contract is cancelled, or the customer has no e-mail address "
        "(sales tell them by phone)"
    },
    422: {"description": "Invalid data: a note over 2,000 characters, an unknown field"},
}


@router.post(
    "/{contract_id}/progress-report",
    summary="Report a contract's progress to the customer",
    description="Mails the customer, in their language, the contract's figures (delivered so "
    "far and its share, the on-time share), each delivery (on time or late) and sales' `note`. "
    "Each report is a notice of its own, recorded in the contract's history; an active or a "
    "completed contract (the completion report). Answers the contract's file.",
    responses=PROGRESS_ERRORS,
)
def report_progress(
    contract_id: ContractId,
    body: ContractProgressReport,
    session: WriteSessionDep,
    actor: Annotated[Actor, allowed(Action.report_contract_progress)],
) -> ContractFile:
    contracts.report_progress(session, contract_id, body, actor)
    return contracts.contract_file(session, contract_id, actor)
