"""The contract and order review and the contract ledger (the rules: ``workflow/rules/review.py``).

A review is a case of the review process: its id is its case's, and its tasks, clocks,
history, events, notices and documents live in the engine's tables beside the complaints'.
"""

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any, Literal

from pydantic import StrictBool, StrictInt, ValidationInfo, field_validator
from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from models.base import enum_field, json_field, money_field, utc_field
from models.complaint import MAX_ID
from models.customer import CustomerCreate, CustomerPublic
from models.enums import (
    Channel,
    ContractStatus,
    Department,
    ReviewKind,
    ReviewStatus,
    ReviewVerdict,
    SpecialCriterion,
    TaskStatus,
)

MAX_TEXT = 20_000


class Review(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("reference"),)

    id: int | None = Field(default=None, primary_key=True, foreign_key="case_file.id")
    reference: str = Field(max_length=32)
    kind: ReviewKind = enum_field(ReviewKind)
    customer_id: int = Field(foreign_key="customer.id", index=True)
    order_reference: str | None = Field(
        default=None, max_length=100, description="The customer's own number for it."
    )
    title: str = Field(max_length=200)
    value: Decimal | None = money_field()
    currency: str = Field(max_length=3)
    quantity: int | None = None
    requested_delivery: date | None = None
    requirements: str = Field(max_length=MAX_TEXT)
    channel: Channel = enum_field(Channel)
    flagged_criteria: list[str] = json_field(default_factory=list)
    special_criteria: list[str] = json_field(default_factory=list)
    special: bool = False
    confirmation_needed: bool = False
    confirmed_at: datetime | None = utc_field()
    confirmation: dict[str, Any] = json_field()
    departments: list[str] = json_field(default_factory=list)  # the departments concerned
    round_departments: list[str] = json_field(default_factory=list)  # asked in this round
    left_out_reason: str | None = Field(default=None, max_length=2_000)
    round: int = 1
    status: ReviewStatus = enum_field(ReviewStatus, ReviewStatus.in_review)
    status_before_wait: ReviewStatus | None = enum_field(ReviewStatus, None)
    current_department: Department | None = enum_field(Department, None)
    version: int = 1
    updated_at: datetime = utc_field(nullable=False)
    contract_id: int | None = Field(
        default=None,
        foreign_key="contract.id",
        index=True,
        description="The contract in the ledger: the one a change changes, or the one an "
        "accepted review entered.",
    )
    created_at: datetime = utc_field(nullable=False)
    created_by_id: int = Field(foreign_key="user.id")
    decided_at: datetime | None = utc_field()
    decision_reason: str | None = Field(default=None, max_length=5_000)


class ReviewAnswer(SQLModel, table=True):
    """A department's answer in one round: its verdict and its answers to the questions."""

    __tablename__ = "review_answer"

    id: int | None = Field(default=None, primary_key=True)
    review_id: int = Field(foreign_key="review.id", index=True)
    task_id: int = Field(foreign_key="task.id", unique=True)
    department: Department = enum_field(Department)
    round: int
    verdict: ReviewVerdict = enum_field(ReviewVerdict)
    answers: dict[str, bool] = json_field()
    conditions: str = Field(default="", max_length=MAX_TEXT)
    comments: str = Field(default="", max_length=MAX_TEXT)
    answered_by_id: int = Field(foreign_key="user.id")
    answered_at: datetime = utc_field(nullable=False)


class ReviewMeeting(SQLModel, table=True):
    """The review meeting of a special contract: when, who, what was said."""

    __tablename__ = "review_meeting"

    id: int | None = Field(default=None, primary_key=True)
    review_id: int = Field(foreign_key="review.id", index=True)
    held_on: date
    attendees: list[str] = json_field(default_factory=list)
    minutes: str = Field(max_length=MAX_TEXT)
    recorded_by_id: int = Field(foreign_key="user.id")
    recorded_at: datetime = utc_field(nullable=False)


class Contract(SQLModel, table=True):
    """An accepted contract or order in the ledger; its terms are its latest version's."""

    __table_args__ = (UniqueConstraint("reference"),)

    id: int | None = Field(default=None, primary_key=True)
    reference: str = Field(max_length=32)
    customer_id: int = Field(foreign_key="customer.id", index=True)
    order_reference: str | None = Field(default=None, max_length=100, index=True)
    status: ContractStatus = enum_field(ContractStatus, ContractStatus.active)
    version: int = 1
    created_at: datetime = utc_field(nullable=False)


class ContractVersion(SQLModel, table=True):
    """The terms as one accepted review left them: the first, then one per accepted change."""

    __tablename__ = "contract_version"
    __table_args__ = (UniqueConstraint("contract_id", "version"),)

    id: int | None = Field(default=None, primary_key=True)
    contract_id: int = Field(foreign_key="contract.id", index=True)
    version: int
    review_id: int = Field(foreign_key="review.id", unique=True)
    title: str = Field(max_length=200)
    value: Decimal | None = money_field()
    currency: str = Field(max_length=3)
    quantity: int | None = None
    requested_delivery: date | None = None
    requirements: str = Field(max_length=MAX_TEXT)
    conditions: list[str] = json_field(default_factory=list)
    accepted_at: datetime = utc_field(nullable=False)


class Delivery(SQLModel, table=True):
    """A delivery against a contract: what went out when, against when it was due."""

    id: int | None = Field(default=None, primary_key=True)
    contract_id: int = Field(foreign_key="contract.id", index=True)
    delivered_on: date
    quantity: int
    due_on: date | None = None
    on_time: bool
    note: str = Field(default="", max_length=2_000)
    recorded_by_id: int = Field(foreign_key="user.id")
    recorded_at: datetime = utc_field(nullable=False)


class ContractComplaint(SQLModel, table=True):
    """A complaint whose order or contract reference matched the ledger."""

    __tablename__ = "contract_complaint"

    complaint_id: int = Field(foreign_key="complaint.id", primary_key=True)
    contract_id: int = Field(foreign_key="contract.id", index=True)
    linked_at: datetime = utc_field(nullable=False)


# The API's bodies and answers.


class ReviewCreate(SQLModel):
    """Sales' first entry of a contract, tender, order or change to review."""

    model_config = {
        "extra": "forbid",
        "json_schema_extra": {
            "examples": [
                {
                    "kind": "contract",
                    "customer_id": 1,
                    "title": "Supply of 2,000 P-200 pumps a year, 2027 to 2029",
                    "order_reference": "ACME-FA-2027",
                    "value": "1250000.00",
                    "currency": "CNY",
                    "quantity": 6000,
                    "requested_delivery": "2027-03-01",
                    "requirements": "P-200 to drawing 4711 rev C, seals per ISO 3601; "
                    "500 pumps a quarter; pallets of 20.",
                    "channel": "email",
                    "special_criteria": ["long_term_supply"],
                }
            ]
        },
    }

    kind: ReviewKind
    customer_id: int | None = Field(default=None, ge=1, le=MAX_ID)
    customer: CustomerCreate | None = Field(
        default=None,
        description="A new customer; give exactly one of customer_id or customer.",
        schema_extra={"validate_default": True},
    )
    title: str = Field(min_length=1, max_length=200)
    order_reference: str | None = Field(
        default=None, max_length=100, description="The customer's own order or contract number."
    )
    value: Decimal | None = Field(default=None, ge=0, max_digits=16, decimal_places=2)
    currency: str | None = Field(
        default=None,
        min_length=3,
        max_length=3,
        description="ISO 4217 code, e.g. CNY, USD; the review policy's currency by default.",
    )
    quantity: int | None = Field(default=None, ge=1, le=1_000_000_000)
    requested_delivery: date | None = None
    requirements: str = Field(min_length=1, max_length=MAX_TEXT)
    channel: Channel
    special_criteria: list[SpecialCriterion] = Field(
        default_factory=list,
        max_length=len(SpecialCriterion),
        description="What makes it special, as sales sees it; `high_value` is computed from "
        "the value and the policy's threshold, never set by hand.",
    )
    departments: list[Department] | None = Field(
        default=None,
        max_length=len(Department),
        description="The departments asked; all five by default. Sales may leave some out "
        "of a regular order, with the reason.",
    )
    reason: str | None = Field(
        default=None, max_length=2_000, description="Why departments are left out."
    )

    @field_validator("currency")
    @classmethod
    def _currency_code(cls, currency: str | None) -> str | None:
        if currency is not None and not (currency.isascii() and currency.isalpha()):
            raise ValueError("a currency is three letters, e.g. CNY, USD, EUR")
        return None if currency is None else currency.upper()

    @field_validator("customer")
    @classmethod
    def _exactly_one_customer(
        cls, customer: CustomerCreate | None, info: ValidationInfo
    ) -> CustomerCreate | None:
        if "customer_id" not in info.data:
            return customer
        if (info.data["customer_id"] is None) == (customer is None):
            raise ValueError("give exactly one of customer_id or customer")
        return customer


class ContractChange(SQLModel):
    """A change of an accepted contract: its new terms (those not given stay as they are)
    and the departments the change concerns, chosen by sales with the reason."""

    model_config = {"extra": "forbid"}

    title: str | None = Field(default=None, min_length=1, max_length=200)
    value: Decimal | None = Field(default=None, ge=0, max_digits=16, decimal_places=2)
    quantity: int | None = Field(default=None, ge=1, le=1_000_000_000)
    requested_delivery: date | None = None
    requirements: str = Field(
        min_length=1, max_length=MAX_TEXT, description="What changes, in the customer's words."
    )
    channel: Channel
    special_criteria: list[SpecialCriterion] = Field(
        default_factory=list, max_length=len(SpecialCriterion)
    )
    departments: list[Department] = Field(
        min_length=1, max_length=len(Department), description="The departments concerned."
    )
    reason: str = Field(
        min_length=1, max_length=2_000, description="Why the change concerns only these."
    )


class DepartmentReviewAnswer(SQLModel):
    """A department's answer to its review task (``POST /tasks/{id}/result``)."""

    model_config = {"extra": "forbid"}

    kind: Literal["department_review"] = "department_review"
    verdict: ReviewVerdict
    answers: dict[str, StrictBool] = Field(
        description="Yes or no to each review question of the department (`GET "
        "/reviews/{reference}` lists them with the task)."
    )
    conditions: str = Field(default="", max_length=MAX_TEXT)
    comments: str = Field(default="", max_length=MAX_TEXT)
    version: StrictInt | None = Field(default=None, description="The review's version you saw.")


class ReviewDecisionKind(StrEnum):
    accept = "accept"
    decline = "decline"
    renegotiate = "renegotiate"
    approve = "approve"
    reject = "reject"
    withdraw = "withdraw"


class ReviewDecision(SQLModel):
    """Sales' decision on a reviewed regular contract (accept, decline, renegotiate,
    withdraw), or the general manager's on a special one (approve, reject)."""

    model_config = {"extra": "forbid"}

    decision: ReviewDecisionKind
    reason: str | None = Field(default=None, max_length=5_000)
    departments: list[Department] | None = Field(
        default=None,
        max_length=len(Department),
        description="renegotiate: the departments asked again; by default those that did "
        "not answer a plain can meet.",
    )
    version: StrictInt | None = None


class ReviewMeetingRecord(SQLModel):
    model_config = {"extra": "forbid"}

    held_on: date
    attendees: list[str] = Field(min_length=2, max_length=50)
    minutes: str = Field(min_length=1, max_length=MAX_TEXT)
    version: StrictInt | None = None


class OrderConfirmationRecord(SQLModel):
    """A phone, oral or fax order's confirmation: every requirement confirmed back."""

    model_config = {"extra": "forbid"}

    confirmed_with: str = Field(min_length=1, max_length=200, description="Who, at the customer")
    confirmed_on: date
    summary: str = Field(
        min_length=1, max_length=MAX_TEXT, description="The requirements as confirmed back"
    )
    version: StrictInt | None = None


class ReviewQuestionToCustomer(SQLModel):
    model_config = {"extra": "forbid"}

    question: str = Field(min_length=1, max_length=5_000)
    version: StrictInt | None = None


class ReviewCustomerAnswer(SQLModel):
    model_config = {"extra": "forbid"}

    answer: str = Field(min_length=1, max_length=MAX_TEXT)
    version: StrictInt | None = None


class ReviewAnswerPublic(SQLModel):
    department: Department
    round: int
    verdict: ReviewVerdict
    answers: dict[str, bool]
    conditions: str
    comments: str
    answered_by: str
    answered_at: datetime


class ReviewTaskPublic(SQLModel):
    id: int
    department: Department
    round: int | None
    status: TaskStatus
    assignee: str | None
    assignee_id: int | None = Field(default=None, description="The claimant's user id.")
    due_at: datetime
    questions: dict[str, str] = Field(description="The questions this department answers.")
    scope: str = Field(description="What this department reviews.")


class ReviewMeetingPublic(SQLModel):
    held_on: date
    attendees: list[str]
    minutes: str
    recorded_by: str
    recorded_at: datetime


class ReviewSummary(SQLModel):
    reference: str
    kind: ReviewKind
    title: str
    customer: str
    status: ReviewStatus
    special: bool
    waiting_on: str | None = Field(
        description="What the review waits for now, in words; none once decided."
    )
    due_at: datetime | None = Field(description="When what it waits for is due.")
    created_at: datetime


class ReviewList(SQLModel):
    items: list[ReviewSummary]
    has_more: bool = Field(description="More matched than `limit`: narrow the filter.")


class ReviewDocumentPublic(SQLModel):
    id: int
    filename: str
    content_type: str
    size_bytes: int
    uploaded_at: datetime


class ReviewPublic(SQLModel):
    reference: str = Field(schema_extra={"examples": ["CR-2026-000001"]})
    kind: ReviewKind
    status: ReviewStatus
    customer: CustomerPublic
    title: str
    order_reference: str | None
    value: Decimal | None
    currency: str
    quantity: int | None
    requested_delivery: date | None
    requirements: str
    channel: Channel
    special: bool
    special_criteria: list[str]
    confirmation_needed: bool
    confirmed_at: datetime | None
    confirmation: dict[str, Any]
    round: int
    departments: list[str]
    left_out_reason: str | None
    current_department: Department | None
    version: int
    created_at: datetime
    created_by: str
    decided_at: datetime | None
    decision_reason: str | None
    customer_answer: str | None = Field(
        description="What the customer is told once decided: accepted, "
        "accepted_with_conditions or declined."
    )
    conditions: list[str]
    contract_reference: str | None
    changes_contract: str | None = Field(description="A change's contract in the ledger.")
    waiting_on: str | None = Field(
        default=None, description="What the review waits for now, in words; none once decided."
    )
    tasks: list[ReviewTaskPublic]
    answers: list[ReviewAnswerPublic]
    meetings: list[ReviewMeetingPublic]
    documents: list[ReviewDocumentPublic] = Field(
        description="The customer's requirements as documents (drawings, specifications)."
    )
    available_actions: list[str]
