from datetime import datetime, timedelta
from typing import Any

from pydantic import StrictBool, StrictInt, ValidationInfo, field_validator, model_validator
from sqlalchemy import Index, UniqueConstraint, func, text
from sqlmodel import Field, SQLModel

from models.base import enum_field, utc_field, utcnow
from models.capa import CapaActionPublic, EffectivenessCheckPublic
from models.catalogue import CodeRef, ProductRef
from models.customer import CustomerCreate, CustomerPublic
from models.enums import Channel, Department, Kind, Remedy, Severity, Status
from models.recurrence import RelatedPublic
from workflow.config import get_settings

MAX_ID = 2**62  # ids from clients stay well inside a 64-bit integer column
RECEIVED_AT_CLOCK_SKEW = timedelta(minutes=5)


class ComplaintBase(SQLModel):
    kind: Kind = enum_field(Kind, Kind.complaint)
    channel: Channel = enum_field(Channel)
    product: str = Field(min_length=1, max_length=200, schema_extra={"examples": ["Pump P-200"]})
    lot_number: str | None = Field(
        default=None, max_length=100, schema_extra={"examples": ["L-2026-114"]}
    )
    serial_number: str | None = Field(default=None, max_length=100)
    order_reference: str | None = Field(
        default=None, max_length=100, schema_extra={"examples": ["PO-7781"]}
    )
    quantity_affected: int | None = Field(default=None, ge=0, le=10_000_000)
    description: str = Field(
        min_length=1,
        max_length=10_000,
        schema_extra={"examples": ["Seal leaks after two hours of operation."]},
    )
    remedy_sought: Remedy | None = enum_field(Remedy, None)
    severity: Severity = enum_field(Severity, Severity.minor)


class Complaint(ComplaintBase, table=True):
    __table_args__ = (
        UniqueConstraint("reference"),
        Index("ix_complaint_status_due_at", "status", "due_at"),
        Index("ix_complaint_department_status", "current_department", "status"),
        Index("ix_complaint_created_at", "created_at"),
        # A search by status lists newest first: read in index order, stop at the page's end.
        Index("ix_complaint_status_created_at", "status", "created_at"),
        # Recurrence (workflow/recurrence.py), on every routing: the earlier complaints of the
        # same lot however it was typed, and the window's latest complaints, newest first.
        Index("ix_complaint_lot_key", func.lower(func.trim(text("lot_number")))),
        Index("ix_complaint_received_at", "received_at"),
    )

    # The case's id: a complaint is a case of the complaint process (``models.case``).
    id: int | None = Field(default=None, primary_key=True, foreign_key="case_file.id")
    reference: str = Field(max_length=32)
    customer_id: int = Field(foreign_key="customer.id", index=True)
    received_at: datetime = utc_field(nullable=False)
    received_by_id: int = Field(foreign_key="user.id")
    status: Status = enum_field(Status, Status.received)
    current_department: Department | None = enum_field(Department, Department.sales)
    due_at: datetime | None = utc_field()
    reply_due_at: datetime | None = utc_field()
    acknowledged_at: datetime | None = utc_field()
    resolved_at: datetime | None = utc_field()
    closed_at: datetime | None = utc_field()
    customer_accepted: bool | None = None
    status_before_wait: Status | None = enum_field(Status, None)
    cycle: int = 0
    product_id: int | None = Field(
        default=None,
        foreign_key="product.id",
        index=True,
        description="The product from the catalogue; empty while ``product`` names an item "
        "quality has not mapped yet.",
    )
    defect_code_id: int | None = Field(default=None, foreign_key="defect_code.id", index=True)
    cause_code_id: int | None = Field(default=None, foreign_key="cause_code.id", index=True)
    quality_record_complete_at: datetime | None = utc_field()
    duplicate_of_id: int | None = Field(
        default=None,
        foreign_key="complaint.id",
        index=True,
        description="For a complaint logged twice: the one that stays.",
    )
    status_token: str | None = Field(
        default=None,
        max_length=64,
        unique=True,
        index=True,
        description="The customer's status link key.",
    )
    created_at: datetime = utc_field(nullable=False)
    updated_at: datetime = utc_field(nullable=False)
    version: int = 1


class ComplaintCreate(ComplaintBase):
    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "kind": "complaint",
                    "channel": "phone",
                    "product": "Pump P-200",
                    "lot_number": "L-2026-114",
                    "order_reference": "PO-7781",
                    "quantity_affected": 12,
                    "description": "Seal leaks after two hours of operation.",
                    "remedy_sought": "replace",
                    "severity": "major",
                    "customer": {
                        "name": "Jane Miller",
                        "company": "Acme",
                        "email": "jane@acme.example",
                        "phone": "+49 30 1234",
                    },
                },
                {
                    "kind": "praise",
                    "channel": "web",
                    "product": "Service",
                    "description": "Quick and friendly technician.",
                    "customer_id": 1,
                },
            ]
        }
    }

    product: str | None = Field(  # type: ignore[assignment]
        default=None,
        min_length=1,
        max_length=200,
        description="The item as the customer names it; required unless `product_id` is given "
        "(then the catalogue name). Text that is an active product's part number or name "
        "(any case) links that product; other text stays unmapped until quality maps it.",
        schema_extra={"examples": ["Pump P-200"]},
    )
    product_id: StrictInt | None = Field(
        default=None, ge=1, le=MAX_ID, description="A product of the catalogue (optional)."
    )
    quantity_affected: StrictInt | None = Field(default=None, ge=0, le=10_000_000)
    customer_id: StrictInt | None = Field(
        default=None, ge=1, le=MAX_ID, description="An existing customer, or give `customer`."
    )
    customer: CustomerCreate | None = Field(
        default=None,
        description="A new customer, inline.",
        # Validated even when absent, so "neither" is reported at this field.
        schema_extra={"validate_default": True},
    )
    received_at: datetime | None = Field(
        default=None,
        description="When the company received it; defaults to now. A datetime with a time "
        "zone, at most 5 minutes in the future and at most `CW_MAX_RECEIVED_AGE_DAYS` days "
        "(365 by default) in the past; anything else is refused with 422.",
    )

    @field_validator("customer")
    @classmethod
    def _exactly_one_customer(
        cls, customer: CustomerCreate | None, info: ValidationInfo
    ) -> CustomerCreate | None:
        if "customer_id" not in info.data:  # customer_id itself is invalid: reported there
            return customer
        if (info.data["customer_id"] is None) == (customer is None):
            raise ValueError("give exactly one of customer_id or customer")
        return customer

    @model_validator(mode="before")
    @classmethod
    def _product_named(cls, data: Any) -> Any:
        """Without ``product_id`` the text is required: a missing one is reported at
        ``product`` like any blank required field."""
        if isinstance(data, dict) and data.get("product_id") is None and not data.get("product"):
            return {**data, "product": ""}
        return data

    @field_validator("received_at")
    @classmethod
    def _aware_and_recent(cls, received_at: datetime | None) -> datetime | None:
        if received_at is None:
            return None
        if received_at.tzinfo is None:
            raise ValueError("received_at must carry a time zone")
        now = utcnow()
        if received_at > now + RECEIVED_AT_CLOCK_SKEW:
            raise ValueError("received_at is in the future")
        # Every due date counts business time from here: an old date is a slow record.
        max_age = get_settings().max_received_age_days
        if received_at < now - timedelta(days=max_age):
            raise ValueError(
                f"received_at is more than {max_age} days ago; only complaints received "
                f"within the last {max_age} days can be logged"
            )
        return received_at


class ComplaintCreated(SQLModel):
    reference: str = Field(schema_extra={"examples": ["CMP-2026-000042"]})
    status: Status
    kind: Kind
    severity: Severity
    due_at: datetime | None = Field(description="Due date of the next step (quality's answer).")
    reply_due_at: datetime | None = Field(description="Date by which the customer is answered.")


class ComplaintPublic(ComplaintBase):
    reference: str
    status: Status
    current_department: Department | None
    customer: CustomerPublic
    received_at: datetime
    received_by: str
    due_at: datetime | None
    reply_due_at: datetime | None
    acknowledged_at: datetime | None
    resolved_at: datetime | None
    closed_at: datetime | None
    customer_accepted: bool | None
    cycle: int
    created_at: datetime
    updated_at: datetime
    version: int
    overdue: bool
    duplicate_of: str | None = Field(
        default=None, description="Logged twice: the reference of the complaint that stays."
    )
    duplicates: list[str] = Field(
        default_factory=list, description="The complaints closed as duplicates of this one."
    )
    related: list[RelatedPublic] = Field(
        default_factory=list,
        description="Complaints that look like the same problem (found or linked by quality).",
    )
    quality_record_complete_at: datetime | None = Field(
        default=None,
        description="When the quality record was complete: an effective check, or closing "
        "with nothing to correct.",
    )
    actions: list[CapaActionPublic] = Field(
        default_factory=list, description="Containment, corrective and preventive actions."
    )
    effectiveness_check: EffectivenessCheckPublic | None = Field(
        default=None, description="The latest round's effectiveness check, if any."
    )
    catalogue_product: ProductRef | None = Field(
        default=None, description="The catalogue product it points at; null while unmapped."
    )
    product_mapped: bool = Field(
        default=False, description="False: `product` names an item quality has not mapped yet."
    )
    defect_code: CodeRef | None = Field(default=None, description="Quality's first assessment.")
    cause_code: CodeRef | None = Field(default=None, description="Quality's result.")


class CustomerResponse(SQLModel):
    model_config = {
        "json_schema_extra": {
            "examples": [
                {"accepted": True},
                {"accepted": False, "comment": "The replacement pump leaks too."},
            ]
        }
    }

    accepted: StrictBool = Field(
        description="True closes the complaint; false reopens it to quality."
    )
    comment: str | None = Field(default=None, max_length=5_000)
    version: StrictInt | None = Field(
        default=None, description="Expected complaint version (optional)."
    )

    @model_validator(mode="after")
    def _refusal_needs_comment(self) -> "CustomerResponse":
        if not self.accepted and not (self.comment and self.comment.strip()):
            raise ValueError("comment is required when the customer does not accept")
        return self


class AcknowledgementRecord(SQLModel):
    """Sales acknowledged the customer themselves (a customer without an e-mail address)."""

    model_config = {
        "json_schema_extra": {
            "examples": [{"channel": "phone", "note": "Called Mr Lee, gave him the reference."}]
        }
    }

    channel: Channel = Field(description="How the customer was acknowledged.")
    note: str = Field(min_length=3, max_length=2_000, description="What the customer was told.")


class ReferenceCounter(SQLModel, table=True):
    __tablename__ = "reference_counter"

    prefix: str = Field(primary_key=True, max_length=8)
    year: int = Field(primary_key=True)
    last_value: int = 0


class ComplaintSummary(SQLModel):
    reference: str
    kind: Kind
    status: Status
    severity: Severity
    product: str
    customer_name: str
    current_department: Department | None
    received_at: datetime
    due_at: datetime | None
    overdue: bool
