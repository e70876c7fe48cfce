"""The contract ledger's API bodies and answers (the tables: ``models/review.py``)."""

from datetime import date, datetime
from decimal import Decimal

from sqlmodel import Field, SQLModel

from models.customer import CustomerPublic
from models.enums import ContractStatus, ReviewStatus, Status

MAX_QUANTITY = 1_000_000_000


class DeliveryCreate(SQLModel):
    """A delivery that went out against the contract."""

    model_config = {
        "extra": "forbid",
        "json_schema_extra": {
            "examples": [
                {
                    "delivered_on": "2027-03-01",
                    "quantity": 500,
                    "note": "Delivery note DN-2027-0113, 25 pallets.",
                }
            ]
        },
    }

    delivered_on: date = Field(description="The day it went out; not in the future.")
    quantity: int = Field(ge=1, le=MAX_QUANTITY)
    due_on: date | None = Field(
        default=None,
        description="When it was due; the current terms' requested delivery by default. "
        "Delivered on or before it is on time; with no due date at all, on time.",
    )
    note: str = Field(default="", max_length=2_000)


class ContractCancellation(SQLModel):
    model_config = {"extra": "forbid"}

    reason: str = Field(min_length=1, max_length=2_000, description="Why it is cancelled.")


class ContractProgressReport(SQLModel):
    """Sales tell the customer how the contract's deliveries stand."""

    model_config = {
        "extra": "forbid",
        "str_strip_whitespace": True,
        "json_schema_extra": {
            "examples": [{"note": "The next 500 pumps leave our plant on 14 April."}]
        },
    }

    note: str = Field(
        default="",
        max_length=2_000,
        description="Sales' own words to the customer, shown below the figures; optional.",
    )


class ContractFigures(SQLModel):
    """How the contract is performed, computed from its deliveries."""

    contracted_quantity: int | None = Field(description="The current terms' quantity.")
    delivered_quantity: int
    delivered_share: float | None = Field(
        description="Delivered of the contracted quantity (0 to 1); null without a quantity."
    )
    deliveries: int
    on_time_deliveries: int
    late_deliveries: int
    on_time_share: float | None = Field(
        description="On-time deliveries of all deliveries (0 to 1); null before the first."
    )


class ContractTerms(SQLModel):
    """One version of the terms, as the review that made it accepted them."""

    version: int
    review_reference: str = Field(description="The review that accepted these terms.")
    title: str
    value: Decimal | None
    currency: str
    quantity: int | None
    requested_delivery: date | None
    requirements: str
    conditions: list[str]
    accepted_at: datetime


class ContractSummary(SQLModel):
    id: int
    reference: str = Field(schema_extra={"examples": ["CT-2026-000001"]})
    customer_id: int
    customer_name: str
    order_reference: str | None
    status: ContractStatus
    version: int
    created_at: datetime
    terms: ContractTerms = Field(description="The current terms: the latest version's.")
    figures: ContractFigures


class DeliveryPublic(SQLModel):
    id: int
    delivered_on: date
    quantity: int
    due_on: date | None
    on_time: bool
    note: str
    recorded_by: str
    recorded_at: datetime


class LinkedComplaint(SQLModel):
    """A complaint whose order reference named this contract (same customer)."""

    reference: str
    product: str
    status: Status
    received_at: datetime
    linked_at: datetime


class ContractChangeReview(SQLModel):
    """A review of a change of the contract; an accepted one made a version."""

    reference: str
    status: ReviewStatus
    created_at: datetime
    decided_at: datetime | None


class ContractFile(ContractSummary):
    """The contract's whole file."""

    customer: CustomerPublic
    versions: list[ContractTerms] = Field(description="Every version, the first first.")
    deliveries: list[DeliveryPublic] = Field(description="Oldest first.")
    complaints: list[LinkedComplaint]
    changes: list[ContractChangeReview] = Field(description="Change reviews, oldest first.")
    change_in_review: str | None = Field(
        default=None,
        description="The change still in review, if any: another change or the cancellation "
        "waits for its decision.",
    )
    available_actions: list[str] = Field(
        description="What you may do on it now: record_delivery; change_contract (a change "
        "or the cancellation); report_contract_progress (to the customer)."
    )
