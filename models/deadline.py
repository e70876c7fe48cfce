from datetime import datetime

from pydantic import StrictBool, StrictFloat
from sqlalchemy import Index, text
from sqlmodel import Field, SQLModel

from models.base import enum_field, utc_field
from models.enums import Department, Kind, Severity, Step


class PolicyBase(SQLModel):
    step: Step = enum_field(Step)
    kind: Kind | None = enum_field(Kind, None, description="Empty: any kind.")
    severity: Severity | None = enum_field(Severity, None, description="Empty: any severity.")
    hours: float = Field(ge=0.1, le=10_000, description="Time allowed for the step (hours).")
    business_time: bool = Field(
        default=True, description="Count business hours on the company calendar (else wall time)."
    )
    reminder_fraction: float = Field(
        default=0.75, gt=0, lt=1, description="Remind when this share of the time is used."
    )
    escalation_interval_hours: float = Field(
        default=4.0, ge=0.1, le=1_000, description="Wait between escalation levels after a breach."
    )


class DeadlinePolicyRow(PolicyBase, table=True):
    """An admin's override of a default policy. Rows are never changed: a new row supersedes."""

    __tablename__ = "deadline_policy"

    id: int | None = Field(default=None, primary_key=True)
    changed_by: str = Field(max_length=64)
    changed_at: datetime = utc_field(nullable=False)
    reason: str = Field(max_length=2000)
    superseded_at: datetime | None = utc_field()


class PolicyChange(PolicyBase):
    hours: StrictFloat = Field(ge=0.1, le=10_000, description="Time allowed for the step (hours).")
    reminder_fraction: StrictFloat = Field(
        default=0.75, gt=0, lt=1, description="Remind when this share of the time is used."
    )
    escalation_interval_hours: StrictFloat = Field(
        default=4.0, ge=0.1, le=1_000, description="Wait between escalation levels after a breach."
    )
    business_time: StrictBool = Field(
        default=True, description="Count business hours on the company calendar (else wall time)."
    )
    reason: str = Field(min_length=3, max_length=2000, description="Why the policy changes.")


class PolicyPublic(PolicyBase):
    source: str = Field(description="'default', or 'override by <user> at <time>'")


class Deadline(SQLModel, table=True):
    """One clock: a step of a complaint (in one quality round), its due date and escalation."""

    __table_args__ = (
        # A complaint's own clock: one per step and round; a task's: one per task and step.
        Index(
            "uq_deadline_case_step_cycle",
            "case_id",
            "step",
            "cycle",
            unique=True,
            sqlite_where=text("task_id IS NULL"),
            postgresql_where=text("task_id IS NULL"),
        ),
        Index(
            "uq_deadline_task_step",
            "task_id",
            "step",
            unique=True,
            sqlite_where=text("task_id IS NOT NULL"),
            postgresql_where=text("task_id IS NOT NULL"),
        ),
        Index("ix_deadline_next_check_at", "next_check_at"),
        Index("ix_deadline_open_due_at", "met_at", "due_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="case_file.id", index=True)
    task_id: int | None = Field(default=None, foreign_key="task.id", index=True)
    step: Step = enum_field(Step)
    cycle: int = 0
    department: Department = enum_field(Department)
    owner_id: int | None = Field(default=None, foreign_key="user.id")
    hours: float
    business_time: bool = True
    reminder_fraction: float = 0.75
    escalation_interval_hours: float = 4.0
    started_at: datetime = utc_field(nullable=False)
    due_at: datetime = utc_field(nullable=False)
    remind_at: datetime = utc_field(nullable=False)
    paused_since: datetime | None = utc_field()
    paused_hours: float = 0.0
    reminded_at: datetime | None = utc_field()
    escalation_level: int = 0
    escalated_at: datetime | None = utc_field()
    met_at: datetime | None = utc_field()
    next_check_at: datetime | None = utc_field()


class DeadlinePublic(SQLModel):
    step: Step
    cycle: int
    department: Department
    started_at: datetime
    due_at: datetime
    met_at: datetime | None
    paused: bool
    paused_hours: float
    hours_allowed: float
    hours_used: float
    hours_left: float
    late_by_hours: float = Field(description="0 unless late; counted like the step's clock.")
    escalation_level: int
