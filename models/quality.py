"""The quality loop's records: master data (products, defect and cause codes), corrective and
preventive actions, effectiveness checks, related complaints and recurrence alerts."""

from datetime import datetime
from typing import Any

from sqlalchemy import Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from models.base import enum_field, json_field, utc_field
from models.enums import (
    ActionKind,
    ActionStatus,
    CauseCategory,
    Department,
    LinkReason,
    LinkStatus,
    Verdict,
)


class Product(SQLModel, table=True):
    """An item the company sells; a complaint points at one (or names an unknown item)."""

    __table_args__ = (UniqueConstraint("part_number"),)

    id: int | None = Field(default=None, primary_key=True)
    part_number: str = Field(max_length=64)
    name: str = Field(max_length=200, index=True)
    family: str = Field(max_length=100, index=True)
    active: bool = True
    created_at: datetime = utc_field(nullable=False)
    updated_at: datetime = utc_field(nullable=False)


class DefectCode(SQLModel, table=True):
    """What is wrong, two levels: a family ("leak") and a code in it ("seal leak")."""

    __tablename__ = "defect_code"
    __table_args__ = (UniqueConstraint("code"),)

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=32)
    family: str = Field(max_length=100, index=True)
    label: str = Field(max_length=200)
    active: bool = True
    created_at: datetime = utc_field(nullable=False)


class CauseCode(SQLModel, table=True):
    """Why it went wrong, two levels: a 6M category and a cause in it."""

    __tablename__ = "cause_code"
    __table_args__ = (UniqueConstraint("code"),)

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=32)
    category: CauseCategory = enum_field(CauseCategory)
    label: str = Field(max_length=200)
    active: bool = True
    created_at: datetime = utc_field(nullable=False)


class CapaAction(SQLModel, table=True):
    """A containment, corrective or preventive action of a complaint. Its task carries it in
    the owner's queue, on a clock with reminders and escalation like every step."""

    __tablename__ = "capa_action"
    __table_args__ = (Index("ix_capa_action_complaint_round", "complaint_id", "round"),)

    id: int | None = Field(default=None, primary_key=True)
    complaint_id: int = Field(foreign_key="complaint.id")
    task_id: int | None = Field(default=None, foreign_key="task.id", unique=True)
    round: int = Field(
        default=1,
        description="The corrective-action round (a new one after "
        "a check found the actions not effective).",
    )
    kind: ActionKind = enum_field(ActionKind)
    description: str = Field(max_length=5_000)
    owner_department: Department = enum_field(Department)
    owner_id: int | None = Field(default=None, foreign_key="user.id", index=True)
    due_at: datetime = utc_field(nullable=False)
    status: ActionStatus = enum_field(ActionStatus, ActionStatus.open)
    evidence: str | None = Field(default=None, max_length=10_000)
    evidence_attachment_ids: list[int] = json_field(list)
    cancel_reason: str | None = Field(default=None, max_length=2_000)
    created_by: str = Field(max_length=64)
    created_at: datetime = utc_field(nullable=False)
    closed_by: str | None = Field(default=None, max_length=64)
    closed_at: datetime | None = utc_field()


class EffectivenessCheck(SQLModel, table=True):
    """Quality's check, a set time after a round's last corrective action, that the actions
    worked: effective completes the quality record, not effective starts a new round."""

    __tablename__ = "effectiveness_check"
    __table_args__ = (UniqueConstraint("complaint_id", "round"),)

    id: int | None = Field(default=None, primary_key=True)
    complaint_id: int = Field(foreign_key="complaint.id", index=True)
    round: int
    actions_closed_at: datetime = utc_field(nullable=False)
    scheduled_for: datetime = utc_field(nullable=False, index=True)
    task_id: int | None = Field(default=None, foreign_key="task.id", unique=True)
    verdict: Verdict | None = enum_field(Verdict, None)
    reasoning: str | None = Field(default=None, max_length=10_000)
    recurrences: list[str] = json_field(list)
    decided_by: str | None = Field(default=None, max_length=64)
    decided_at: datetime | None = utc_field()
    created_at: datetime = utc_field(nullable=False)


class ComplaintLink(SQLModel, table=True):
    """Two complaints that look like the same problem, found by the system or by a person;
    quality confirms or dismisses the link. Stored once per pair, the newer complaint first."""

    __tablename__ = "complaint_link"
    __table_args__ = (UniqueConstraint("complaint_id", "related_id"),)

    id: int | None = Field(default=None, primary_key=True)
    complaint_id: int = Field(foreign_key="complaint.id", index=True)
    related_id: int = Field(foreign_key="complaint.id", index=True)
    reason: LinkReason = enum_field(LinkReason)
    score: float = Field(ge=0, le=1)
    status: LinkStatus = enum_field(LinkStatus, LinkStatus.suggested)
    found_at: datetime = utc_field(nullable=False)
    decided_by: str | None = Field(default=None, max_length=64)
    decided_at: datetime | None = utc_field()


class RecurrenceAlert(SQLModel, table=True):
    """One alert per cluster (product and defect code) that met the recurrence rule."""

    __tablename__ = "recurrence_alert"
    __table_args__ = (UniqueConstraint("cluster_key"),)

    id: int | None = Field(default=None, primary_key=True)
    cluster_key: str = Field(max_length=128)
    product_id: int = Field(foreign_key="product.id")
    defect_code_id: int = Field(foreign_key="defect_code.id")
    references: list[str] = json_field(list)
    first_seen: datetime = utc_field(nullable=False)
    last_seen: datetime = utc_field(nullable=False)
    raised_at: datetime = utc_field(nullable=False)
    details: dict[str, Any] = json_field()
