"""A contract review's documents: its review form and a phone, oral or fax order's
confirmation, as PDF."""

from typing import Annotated, Any

from fastapi import APIRouter
from fastapi.responses import Response

from api.deps import SessionDep, allowed
from api.routes.documents import PDF, attachment
from workflow.documents.review_confirmation import confirmation_pdf
from workflow.documents.review_form import review_form_pdf
from workflow.rules import Action
from workflow.transitions import Actor

router = APIRouter(prefix="/reviews", tags=["contract review"])

A_PDF: dict[int | str, dict[str, Any]] = {
    200: {"content": {PDF: {}}},
    404: {"description": "No contract review with this reference"},
}


@router.get(
    "/{reference}/form.pdf",
    summary="The review's Contract (Order) Review Form as PDF",
    description="The terms as sales entered them; whether the review is special and why "
    "(each criterion, flagged by sales or computed from the value); each department's "
    "verdict, answer to each review question, conditions and comments, round by round; the "
    "questions to the customer and the answers; the review meeting (date, attendees, "
    "minutes); the order confirmation; the decision with who took it, when and why; the "
    "contract it entered in the ledger. Dates in the company's time zone; page N of M, "
    "generated at and by in the footer.",
    response_class=Response,
    responses=A_PDF,
)
def review_form(
    reference: str, session: SessionDep, actor: Annotated[Actor, allowed(Action.read_reviews)]
) -> Response:
    return attachment(review_form_pdf(session, reference, actor), PDF, f"{reference}-form.pdf")


@router.get(
    "/{reference}/confirmation.pdf",
    summary="A phone, oral or fax order's confirmation as PDF",
    description="The requirements as confirmed back to the customer, with whom and when, "
    "beside the order as received: what sales recorded with `POST "
    "/reviews/{reference}/confirmation`, for the customer.",
    response_class=Response,
    responses={
        **A_PDF,
        409: {"description": "The review needs no order confirmation, or none is recorded yet"},
    },
)
def order_confirmation(
    reference: str, session: SessionDep, actor: Annotated[Actor, allowed(Action.read_reviews)]
) -> Response:
    return attachment(
        confirmation_pdf(session, reference, actor), PDF, f"{reference}-confirmation.pdf"
    )
