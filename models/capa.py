"""What the API takes and returns for corrective and preventive actions and effectiveness
checks (the tables are in ``models/quality.py``)."""

from datetime import date, datetime

from pydantic import StrictInt, model_validator
from sqlmodel import Field, SQLModel

from models.enums import ActionKind, ActionStatus, Department, Verdict

MAX_ACTION_BUSINESS_DAYS = 250  # about a year of working days
MAX_ACTION_DAYS_AHEAD = 366


class ActionCreate(SQLModel):
    """Quality opens a containment, corrective or preventive action on a complaint."""

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "kind": "corrective",
                    "description": "Reject supplier batch S-4411 and tighten seal inspection.",
                    "owner_department": "production",
                    "owner": "production",
                    "business_days": 10,
                }
            ]
        }
    }

    kind: ActionKind
    description: str = Field(min_length=3, max_length=5_000, description="What is to be done.")
    owner_department: Department = Field(
        description="quality, technical, production, procurement or sales (management: 422)"
    )
    owner: str | None = Field(
        default=None,
        min_length=1,
        max_length=64,
        description="Username of the person who does it: an active user of that department. "
        "Without it, the department's queue holds the action until someone claims it.",
    )
    due_date: date | None = Field(
        default=None,
        description="Due by the end of this working day (company calendar); at most a year "
        "ahead. Give this or business_days, or neither for the default (10 business days).",
    )
    business_days: StrictInt | None = Field(
        default=None, ge=1, le=MAX_ACTION_BUSINESS_DAYS, description="Time allowed instead."
    )

    @model_validator(mode="after")
    def _one_due(self) -> "ActionCreate":
        if self.due_date is not None and self.business_days is not None:
            raise ValueError("give due_date or business_days, not both")
        return self


class ActionCancellation(SQLModel):
    model_config = {
        "json_schema_extra": {"examples": [{"reason": "Superseded by the supplier's own 8D."}]}
    }

    reason: str = Field(min_length=3, max_length=2_000, description="Why it is not done.")


class CapaActionPublic(SQLModel):
    id: int
    round: int = Field(description="The corrective-action round (2 after a not-effective check).")
    kind: ActionKind
    description: str
    owner_department: Department
    owner: str | None
    task_id: int | None
    due_at: datetime
    overdue: bool
    status: ActionStatus
    evidence: str | None
    evidence_attachment_ids: list[int]
    cancel_reason: str | None
    created_by: str
    created_at: datetime
    closed_by: str | None
    closed_at: datetime | None
    available_actions: list[str] = Field(
        default_factory=list, description="What you may do on this action now (cancel_action)."
    )


class EffectivenessCheckPublic(SQLModel):
    round: int
    actions_closed_at: datetime = Field(
        description="When the round's last corrective action closed."
    )
    scheduled_for: datetime
    task_id: int | None = Field(description="Quality's task, once the check has opened.")
    verdict: Verdict | None
    reasoning: str | None
    recurrences: list[str] = Field(
        description="References of complaints on the same product and defect code received "
        "since the actions closed (found when the check opened)."
    )
    decided_by: str | None
    decided_at: datetime | None


class ActionList(SQLModel):
    reference: str
    actions: list[CapaActionPublic]
    effectiveness_check: EffectivenessCheckPublic | None
    quality_record_complete_at: datetime | None
