"""The order confirmation of a phone, oral or fax order as one PDF: the requirements as they
were confirmed back to the customer, with whom and when, beside the order as sales entered it.
A review needs one only as ``needs_written_confirmation`` says (``Review.confirmation_needed``);
there is nothing to print before sales record it."""

from dataclasses import dataclass
from datetime import date, datetime

from sqlmodel import Session

from models.customer import Customer
from models.enums import Channel
from models.review import Review
from workflow.clock import utcnow
from workflow.company import current_company
from workflow.documents.render import local_time, pdf_document
from workflow.documents.review_form import People, money
from workflow.errors import RuleViolation
from workflow.reviews import get_review
from workflow.rules import Actor

RECEIVED = {Channel.phone: "by phone", Channel.fax: "by fax", Channel.visit: "orally, in a visit"}


@dataclass(frozen=True)
class OrderConfirmation:
    review: Review
    customer: Customer
    company: str
    value: str
    received: str
    confirmed_with: str
    confirmed_on: date
    summary: str
    recorded_by: str
    recorded_at: datetime
    generated_at: datetime
    generated_by: str


def confirmation_refusal(review: Review) -> RuleViolation | None:
    """Why ``review`` has no order confirmation to print, or None."""
    if not review.confirmation_needed:
        return RuleViolation(
            f"{review.reference} needs no order confirmation: only a phone, oral or fax order "
            "at or above the review policy's value is confirmed back in writing"
        )
    if review.confirmed_at is None or not review.confirmation:
        return RuleViolation(
            f"{review.reference} has no order confirmation recorded yet: sales record it "
            f"first (POST /api/v1/reviews/{review.reference}/confirmation)"
        )
    return None


def gather_confirmation(session: Session, reference: str, actor: Actor) -> OrderConfirmation:
    review = get_review(session, reference)
    refusal = confirmation_refusal(review)
    if refusal is not None:
        raise refusal
    assert review.confirmed_at is not None
    customer = session.get(Customer, review.customer_id)
    assert customer is not None, f"{reference} has no customer"
    confirmation = review.confirmation
    return OrderConfirmation(
        review=review,
        customer=customer,
        company=current_company().name,
        value=money(review.value, review.currency),
        received=RECEIVED.get(review.channel, f"by {review.channel.value}"),
        confirmed_with=confirmation["confirmed_with"],
        confirmed_on=date.fromisoformat(confirmation["confirmed_on"]),
        summary=confirmation["summary"],
        recorded_by=People(session).of_username(confirmation.get("recorded_by")),
        recorded_at=review.confirmed_at,
        generated_at=utcnow(),
        generated_by=actor.name,
    )


def confirmation_pdf(session: Session, reference: str, actor: Actor) -> bytes:
    confirmation = gather_confirmation(session, reference, actor)
    when = local_time(confirmation.generated_at)
    generated = f"Generated {when} by {confirmation.generated_by}"
    return pdf_document(
        "review_confirmation.html",
        {"c": confirmation, "r": confirmation.review, "generated": generated},
    )
