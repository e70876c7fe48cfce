from typing import Annotated

from fastapi import APIRouter, Header, Query, Response, status
from sqlmodel import Field, SQLModel

from api.deps import SessionDep, WriteSessionDep, allowed
from api.ratelimit import check_intake_rate
from models.catalogue import ProductMapping
from models.complaint import (
    MAX_ID,
    AcknowledgementRecord,
    ComplaintCreate,
    ComplaintCreated,
    ComplaintSummary,
    CustomerResponse,
)
from models.views import ComplaintRecord, Page
from workflow.complaints import (
    customer_answered,
    log_complaint,
    record_acknowledgement,
    record_customer_response,
    wait_for_customer,
)
from workflow.config import get_settings
from workflow.product_mapping import map_product
from workflow.queries import ComplaintFilter, complaint_record, list_complaints
from workflow.rules import Action, Department, Kind, Severity, Status
from workflow.transitions import Actor

router = APIRouter(prefix="/complaints", tags=["complaints"])

IDEMPOTENCY_HELP = (
    "A key unique to this request (e.g. a UUID). A retry with the same key logs nothing new: "
    "it answers 200 with the complaint as it is now and the header `Idempotent-Replayed: "
    "true`; the same key with another body is refused (422)."
)
REPLAYED_HEADER = "Idempotent-Replayed"


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    summary="Log a complaint or feedback",
    description="Sales records what the customer reported, with a new customer inline or an "
    "existing `customer_id`. The answer comes at once; routing to quality and the "
    "acknowledgement to the customer follow within about a second.",
    responses={
        200: {
            "description": "Replay of an earlier request with the same Idempotency-Key: the "
            "complaint it made, as it is now (its status may have moved on)",
            "headers": {REPLAYED_HEADER: {"description": "true", "schema": {"type": "string"}}},
        },
        403: {"description": "Only sales (and admin) log complaints"},
        422: {"description": "Invalid data, or an Idempotency-Key reused with another body"},
        429: {"description": "Too many complaints logged by this user in a short time"},
    },
)
def create_complaint(
    data: ComplaintCreate,
    session: WriteSessionDep,
    response: Response,
    # The wider of the two intake permissions; the service checks the kind's own.
    actor: Annotated[Actor, allowed(Action.log_feedback)],
    idempotency_key: Annotated[
        str | None, Header(max_length=255, description=IDEMPOTENCY_HELP)
    ] = None,
) -> ComplaintCreated:
    check_intake_rate(actor)
    result = log_complaint(session, data=data, actor=actor, idempotency_key=idempotency_key)
    if result.replayed:
        response.status_code = status.HTTP_200_OK
        response.headers[REPLAYED_HEADER] = "true"
    return ComplaintCreated.model_validate(result.body)


PageSize = Annotated[int, Query(ge=1, le=100, description="Items per page (at most 100).")]
Offset = Annotated[int, Query(ge=0, le=1_000_000)]


@router.get(
    "",
    summary="Search complaints",
    description="Newest first. `overdue=true` lists open complaints whose current step is past "
    "its due date; `q` searches reference, product, lot, description and customer name; "
    "`product_unmapped=true` lists those quality has still to map to a catalogue product.",
)
def search_complaints(
    session: SessionDep,
    _: Annotated[Actor, allowed(Action.read_complaints)],
    status_: Annotated[Status | None, Query(alias="status")] = None,
    kind: Kind | None = None,
    severity: Severity | None = None,
    department: Department | None = None,
    customer_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    overdue: bool | None = None,
    product_unmapped: Annotated[
        bool | None,
        Query(description="true: complaints whose product is not mapped to the catalogue"),
    ] = None,
    q: Annotated[str | None, Query(min_length=1, max_length=200, pattern=r"^[^\x00]+$")] = None,
    limit: PageSize = 50,
    offset: Offset = 0,
) -> Page[ComplaintSummary]:
    filters = ComplaintFilter(
        status=status_,
        kind=kind,
        severity=severity,
        department=department,
        customer_id=customer_id,
        overdue=overdue,
        text=q,
        product_unmapped=product_unmapped,
    )
    return list_complaints(
        session, filters, limit=min(limit, get_settings().max_page_size), offset=offset
    )


@router.get(
    "/{reference}",
    summary="The complaint file",
    description="Every field, the tasks, quality's resolution, every notice with its delivery "
    "status, the history in order, and what you may do now on the complaint and on each task "
    "(`available_actions`).",
    responses={404: {"description": "No complaint with this reference"}},
)
def read_complaint(
    reference: str, session: SessionDep, actor: Annotated[Actor, allowed(Action.read_complaints)]
) -> ComplaintRecord:
    return complaint_record(session, reference, actor)


@router.post(
    "/{reference}/customer-response",
    summary="Record the customer's answer to the resolution",
    description="`accepted: true` closes the complaint; `false` (with a comment) reopens it "
    "to quality, also a complaint closed for lack of the customer's answer, on the "
    "customer's word, within `CW_REOPEN_WINDOW_DAYS` of its closing.",
    responses={
        404: {"description": "No complaint with this reference"},
        409: {
            "description": "The complaint is not resolved (nor closed without an answer within "
            "the reopening window), or the version is stale"
        },
    },
)
def customer_response(
    reference: str,
    answer: CustomerResponse,
    session: WriteSessionDep,
    actor: Annotated[Actor, allowed(Action.record_acceptance)],
) -> ComplaintRecord:
    complaint = record_customer_response(session, reference=reference, response=answer, actor=actor)
    return complaint_record(session, complaint.reference, actor)


class WaitRequest(SQLModel):
    reason: str = Field(
        min_length=3, max_length=2_000, schema_extra={"examples": ["Asked for photos of the seal."]}
    )
    version: int | None = Field(default=None, description="Expected complaint version (optional).")


class AnswerReceived(SQLModel):
    note: str = Field(
        min_length=3, max_length=2_000, schema_extra={"examples": ["Photos received by e-mail."]}
    )
    version: int | None = Field(default=None, description="Expected complaint version (optional).")


@router.post(
    "/{reference}/wait-for-customer",
    summary="Wait on the customer (clocks stop)",
    description="While the company waits for the customer (photos, samples, a decision), "
    "every clock of the complaint stops; the reason is in the history.",
    responses={
        404: {"description": "No such complaint"},
        409: {"description": "Not with quality or sales, or stale version"},
    },
)
def wait_on_customer(
    reference: str,
    body: WaitRequest,
    session: WriteSessionDep,
    actor: Annotated[Actor, allowed(Action.wait_for_customer)],
) -> ComplaintRecord:
    wait_for_customer(
        session, reference=reference, reason=body.reason, actor=actor, version=body.version
    )
    return complaint_record(session, reference, actor)


@router.post(
    "/{reference}/customer-answered",
    summary="The customer answered (clocks restart)",
    description="The complaint goes back to where it was; every due date moves by the time "
    "spent waiting, which is kept in the record.",
    responses={
        404: {"description": "No such complaint"},
        409: {"description": "Not waiting on the customer, or stale version"},
    },
)
def answer_received(
    reference: str,
    body: AnswerReceived,
    session: WriteSessionDep,
    actor: Annotated[Actor, allowed(Action.resume_after_customer)],
) -> ComplaintRecord:
    customer_answered(
        session, reference=reference, note=body.note, actor=actor, version=body.version
    )
    return complaint_record(session, reference, actor)


@router.post(
    "/{reference}/acknowledgement",
    summary="Record an acknowledgement given by sales",
    description="For a customer without an e-mail address (or when sales called them first): "
    "how the customer was acknowledged and what they were told. Meets the acknowledgement "
    "deadline as a mailed acknowledgement does.",
    responses={
        404: {"description": "No such complaint"},
        409: {"description": "Already acknowledged, or the complaint is no longer open"},
    },
)
def acknowledgement(
    reference: str,
    body: AcknowledgementRecord,
    session: WriteSessionDep,
    actor: Annotated[Actor, allowed(Action.record_acknowledgement)],
) -> ComplaintRecord:
    record_acknowledgement(session, reference=reference, record=body, actor=actor)
    return complaint_record(session, reference, actor)


@router.post(
    "/{reference}/product",
    summary="Map the complaint to a catalogue product",
    description="Quality points an unmapped (or wrongly mapped) complaint at a product of the "
    "catalogue, saying why; the free text `product` stays as received. The history keeps "
    "the old and the new product.",
    responses={
        404: {"description": "No such complaint"},
        422: {"description": "No such product, or the product is no longer sold"},
    },
)
def map_to_product(
    reference: str,
    body: ProductMapping,
    session: WriteSessionDep,
    actor: Annotated[Actor, allowed(Action.map_product)],
) -> ComplaintRecord:
    map_product(session, reference=reference, mapping=body, actor=actor)
    return complaint_record(session, reference, actor)
