"""What people send to keep a record honest after intake: a correction, a withdrawal, a
duplicate mark."""

from pydantic import StrictInt
from sqlmodel import Field, SQLModel

from models.enums import Channel, Remedy


class ComplaintCorrection(SQLModel):
    """The fields to correct (only those given change), the version you read, and why."""

    model_config = {
        "extra": "forbid",
        "json_schema_extra": {
            "examples": [
                {"lot_number": "L-2026-141", "version": 3, "reason": "Typo: digits swapped."}
            ]
        },
    }

    product: str | None = Field(default=None, min_length=1, max_length=200)
    lot_number: str | None = Field(default=None, max_length=100)
    serial_number: str | None = Field(default=None, max_length=100)
    order_reference: str | None = Field(default=None, max_length=100)
    quantity_affected: StrictInt | None = Field(default=None, ge=0, le=10_000_000)
    remedy_sought: Remedy | None = None
    channel: Channel | None = None
    version: StrictInt = Field(description="The complaint's version you corrected (409 if stale).")
    reason: str = Field(min_length=3, max_length=2_000, description="Why it is corrected.")


class Withdrawal(SQLModel):
    reason: str = Field(min_length=3, max_length=2_000, description="Why it was logged by mistake.")
    version: StrictInt | None = Field(default=None, description="Expected version (optional).")


class DuplicateMark(SQLModel):
    original: str = Field(
        min_length=1, max_length=32, description="Reference of the complaint that stays."
    )
    reason: str = Field(min_length=3, max_length=2_000)
    version: StrictInt | None = Field(default=None, description="Expected version (optional).")
