from datetime import datetime

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from models.base import enum_field, utc_field
from models.enums import Severity


class ResolutionBase(SQLModel):
    revision: int
    valid: bool
    severity: Severity = enum_field(Severity)
    investigate: bool
    no_investigation_reason: str | None = None
    decided_by: str = Field(max_length=64, description="Who decided (username).")
    decided_at: datetime = utc_field(nullable=False)
    containment: str | None = None
    root_cause: str | None = None
    corrective_action: str | None = None
    preventive_action: str | None = None
    customer_summary: str
    approved_by: str | None = Field(default=None, max_length=64)
    approved_at: datetime | None = utc_field()
    review_comment: str | None = None


class Resolution(ResolutionBase, table=True):
    """Quality's answer, one row per round (a reopened complaint gets a new revision)."""

    __table_args__ = (UniqueConstraint("complaint_id", "revision"),)

    id: int | None = Field(default=None, primary_key=True)
    complaint_id: int = Field(foreign_key="complaint.id", index=True)


class ResolutionPublic(ResolutionBase):
    pass
