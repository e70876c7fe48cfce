"""Sales' triage of a complaint made from a mail: the body that completes a ``triage_mail``
task (``POST /api/v1/tasks/{id}/complete``)."""

from typing import Literal

from pydantic import StrictInt, ValidationInfo, field_validator
from sqlmodel import Field, SQLModel

from models.enums import Kind, Severity

MAX_ID = 2**62
TRIAGE_KINDS = (Kind.complaint, Kind.inquiry, Kind.praise, Kind.suggestion)


class MailTriage(SQLModel):
    """What the mail is: its kind, severity and product as the intake form asks them; the
    complaint then routes as one of that kind routes at intake."""

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "kind": "triage",
                    "complaint_kind": "complaint",
                    "severity": "major",
                    "product": "Pump P-200",
                    "lot_number": "L-2026-114",
                    "note": "The customer's second leak this month.",
                },
                {"kind": "triage", "complaint_kind": "inquiry", "product_id": 3},
            ]
        }
    }

    kind: Literal["triage"] = "triage"
    complaint_kind: Kind = Field(
        description="complaint, inquiry, praise or suggestion: how it routes from here."
    )
    severity: Severity = Field(default=Severity.minor, description="Severity of a complaint.")
    product_id: StrictInt | None = Field(
        default=None, ge=1, le=MAX_ID, description="A product of the catalogue (optional)."
    )
    product: str | None = Field(
        default=None,
        min_length=1,
        max_length=200,
        description="The item as the customer names it; required unless `product_id` is given "
        "(as at intake: text naming an active product links it).",
        schema_extra={"validate_default": True},  # so "neither" is reported at this field
    )
    order_reference: str | None = Field(default=None, max_length=100)
    lot_number: str | None = Field(default=None, max_length=100)
    note: str | None = Field(
        default=None, max_length=2_000, description="Why, for the history (optional)."
    )
    version: StrictInt | None = Field(
        default=None, description="Expected complaint version (optional)."
    )

    @field_validator("complaint_kind")
    @classmethod
    def _a_kind_sales_triages(cls, kind: Kind) -> Kind:
        if kind not in TRIAGE_KINDS:
            names = ", ".join(k.value for k in TRIAGE_KINDS)
            raise ValueError(f"a mail is triaged as one of {names}")
        return kind

    @field_validator("product")
    @classmethod
    def _product_named(cls, product: str | None, info: ValidationInfo) -> str | None:
        """Reported at ``product``: without a catalogue product, its text is required."""
        if info.data.get("product_id") is None and not (product or "").strip():
            raise ValueError("name the product: pick one from the catalogue or type it")
        return product
