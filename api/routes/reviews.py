"""Contract and order review: sales start one, the departments answer on their tasks
(``/tasks/{id}/complete`` with ``kind: department_review``), sales or the general manager
decide."""

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Header, Path, Query, Response, status

from api.deps import SessionDep, WriteSessionDep, allowed
from api.downloads import attachment_response
from api.routes.complaints import IDEMPOTENCY_HELP, REPLAYED_HEADER
from models.base import id_of
from models.enums import ReviewStatus
from models.review import (
    OrderConfirmationRecord,
    ReviewCreate,
    ReviewCustomerAnswer,
    ReviewDecision,
    ReviewList,
    ReviewMeetingRecord,
    ReviewPublic,
    ReviewQuestionToCustomer,
    ReviewSummary,
)
from workflow import reviews
from workflow.attachments import AttachmentRefused, check_upload, get_attachment
from workflow.errors import InvalidInput
from workflow.review_view import review_list, review_public, statuses_chosen
from workflow.rules import Action
from workflow.transitions import Actor

router = APIRouter(prefix="/reviews", tags=["contract review"])

NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"description": "No contract review with this reference"}
}
DECISION_ERRORS: dict[int | str, dict[str, Any]] = {
    **NOT_FOUND,
    403: {"description": "Not your role's decision"},
    409: {"description": "The review's state does not allow it, or it changed (version)"},
    422: {"description": "Invalid data, or a reason missing"},
}


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    summary="Start the review of a contract, tender or order",
    description="Sales enter what the customer asks for. Special criteria are flagged by "
    "sales; a value at or above the policy's threshold (CW_REVIEW_SPECIAL_VALUE, in "
    "CW_REVIEW_CURRENCY) makes it special by itself. Each department concerned (all five by "
    "default) gets a task on its own clock within about a second. A phone, oral or fax order "
    "at or above CW_REVIEW_CONFIRMATION_VALUE needs its order confirmation recorded before "
    "it is accepted. A change of an accepted contract starts from the contract: "
    "`POST /contracts/{id}/changes`.",
    responses={
        200: {
            "description": "Replay of an earlier request with the same Idempotency-Key: the "
            "review it started, as it is now",
            "headers": {REPLAYED_HEADER: {"description": "true", "schema": {"type": "string"}}},
        },
        403: {"description": "Only sales start a review"},
        422: {
            "description": "Invalid data: an unknown currency, departments left out of a "
            "contract or a special order, or without a reason"
        },
    },
)
def start_review(
    data: ReviewCreate,
    session: WriteSessionDep,
    response: Response,
    actor: Annotated[Actor, allowed(Action.start_review)],
    idempotency_key: Annotated[
        str | None, Header(max_length=255, description=IDEMPOTENCY_HELP)
    ] = None,
) -> ReviewPublic:
    review, replayed = reviews.start_review(session, data, actor, idempotency_key)
    if replayed:
        response.status_code = status.HTTP_200_OK
        response.headers[REPLAYED_HEADER] = "true"
    return review_public(session, review, actor)


@router.get(
    "",
    summary="Contract reviews",
    description="Open ones first, the soonest due first, then the newest; each with who it "
    "waits for now. `status`: a review status, or `open` for every open one.",
    responses={422: {"description": "Not a review status"}},
)
def list_reviews(
    session: SessionDep,
    _: Annotated[Actor, allowed(Action.read_reviews)],
    status_: Annotated[ReviewStatus | Literal["open"] | None, Query(alias="status")] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
) -> ReviewList:
    rows, has_more = review_list(session, statuses_chosen(status_), limit=limit)
    items = [ReviewSummary.model_validate(row, from_attributes=True) for row in rows]
    return ReviewList(items=items, has_more=has_more)


@router.get(
    "/{reference}",
    summary="A contract review",
    description="Its terms, the departments' tasks with their questions, every answer by "
    "round, the review meeting, the decision and what the customer is told, the contract it "
    "entered in the ledger, and what you may do now (`available_actions`).",
    responses=NOT_FOUND,
)
def read_review(
    reference: str,
    session: SessionDep,
    actor: Annotated[Actor, allowed(Action.read_reviews)],
) -> ReviewPublic:
    return review_public(session, reviews.get_review(session, reference), actor)


@router.post(
    "/{reference}/decision",
    summary="Decide a reviewed contract",
    description="Sales decide a regular review once every department answered: `accept` "
    "(only when no department cannot meet it; conditions go to the customer), `decline` "
    "(with a reason), `renegotiate` (a new round for the departments concerned: by default "
    "those that set a condition or cannot meet it), or `withdraw`. A special review is "
    "decided by the general manager after its review meeting: `approve` or `reject` (with "
    "a reason). The customer is told the answer once; an accepted one enters the contract "
    "ledger.",
    responses=DECISION_ERRORS,
)
def decide(
    reference: str,
    body: ReviewDecision,
    session: WriteSessionDep,
    actor: Annotated[Actor, allowed(Action.read_reviews)],
) -> ReviewPublic:
    review = reviews.decide(session, reference, body, actor)
    return review_public(session, review, actor)


@router.post(
    "/{reference}/meeting",
    summary="Record a special contract's review meeting",
    description="Date, attendees and minutes; the review then waits for the general "
    "manager's approval, who is told.",
    responses=DECISION_ERRORS,
)
def record_meeting(
    reference: str,
    body: ReviewMeetingRecord,
    session: WriteSessionDep,
    actor: Annotated[Actor, allowed(Action.record_review_meeting)],
) -> ReviewPublic:
    review = reviews.record_meeting(session, reference, body, actor)
    return review_public(session, review, actor)


@router.post(
    "/{reference}/confirmation",
    summary="Record a phone, oral or fax order's confirmation",
    description="Every requirement confirmed back to the customer: with whom, when, what.",
    responses=DECISION_ERRORS,
)
def record_confirmation(
    reference: str,
    body: OrderConfirmationRecord,
    session: WriteSessionDep,
    actor: Annotated[Actor, allowed(Action.record_order_confirmation)],
) -> ReviewPublic:
    review = reviews.record_confirmation(session, reference, body, actor)
    return review_public(session, review, actor)


@router.post(
    "/{reference}/questions",
    summary="Ask the customer a question about the review",
    description="A department asked in the review asks through sales: the customer gets "
    "the question by mail in their language, and the review's clocks pause until sales "
    "record the answer.",
    responses=DECISION_ERRORS,
)
def ask_customer(
    reference: str,
    body: ReviewQuestionToCustomer,
    session: WriteSessionDep,
    actor: Annotated[Actor, allowed(Action.ask_customer_about_review)],
) -> ReviewPublic:
    review = reviews.ask_customer(session, reference, body, actor)
    return review_public(session, review, actor)


@router.post(
    "/{reference}/customer-answer",
    summary="Record the customer's answer to a question",
    description="The departments' clocks run again, their due dates moved by the time paused.",
    responses=DECISION_ERRORS,
)
def record_customer_answer(
    reference: str,
    body: ReviewCustomerAnswer,
    session: WriteSessionDep,
    actor: Annotated[Actor, allowed(Action.record_customer_answer)],
) -> ReviewPublic:
    review = reviews.record_customer_answer(session, reference, body, actor)
    return review_public(session, review, actor)


@router.post(
    "/{reference}/documents",
    status_code=status.HTTP_201_CREATED,
    summary="Add one of the customer's documents to a review",
    description="A drawing, a specification and the like: the file itself as the body, its "
    "name in `filename`; a PDF or a photo (JPEG, PNG, WebP, HEIC), told by its bytes, at "
    "most 10 MB; while the review is open. The history records who added which.",
    responses={
        **NOT_FOUND,
        403: {"description": "Your role may not add documents to a review"},
        409: {"description": "The review is decided: its documents are closed"},
        422: {"description": "Empty, too large, or not a PDF or a photo"},
    },
)
def add_document(
    reference: str,
    filename: Annotated[str, Query(min_length=1, max_length=255, description="The file's name.")],
    session: WriteSessionDep,
    actor: Annotated[Actor, allowed(Action.add_review_document)],
    # Optional here so an empty body meets our words, not "Field required".
    content: Annotated[bytes, Body(media_type="application/octet-stream")] = b"",
) -> ReviewPublic:
    try:
        document = check_upload(filename, content)
    except AttachmentRefused as refused:
        raise InvalidInput("body", str(refused)) from None
    review = reviews.add_documents(session, reference, [document], actor)
    return review_public(session, review, actor)


@router.get(
    "/{reference}/documents/{document_id}",
    summary="Download one of a review's documents",
    description="The file as sales added it, served as a download (a photo inline) that can "
    "never run as a page.",
    response_class=Response,
    responses={
        200: {"description": "The file as it was uploaded", "content": {"*/*": {}}},
        404: {"description": "No such review, or no such document of it"},
    },
)
def review_document(
    reference: str,
    document_id: Annotated[int, Path(ge=1, le=2**62)],
    session: SessionDep,
    _: Annotated[Actor, allowed(Action.read_reviews)],
) -> Response:
    review = reviews.get_review(session, reference)
    return attachment_response(get_attachment(session, id_of(review), document_id))
