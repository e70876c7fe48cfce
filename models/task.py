from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import StrictBool, StrictInt, model_validator
from sqlalchemy import Index, text
from sqlmodel import Field, SQLModel

from models.base import enum_field, json_field, utc_field
from models.call import CallRecord
from models.deadline import DeadlinePublic
from models.enums import Department, Severity, TaskKind, TaskStatus, Verdict
from models.review import DepartmentReviewAnswer
from models.triage import MailTriage

# A task still to be done, as the queue's partial indexes name it. A query uses those indexes
# only if it names the statuses the same way: as literals, in this order (`open_task_scope`).
OPEN_TASK_INDEX_STATUSES = (TaskStatus.claimed.value, TaskStatus.open.value)
OPEN_TASK_PREDICATE = text(f"status IN ({', '.join(repr(s) for s in OPEN_TASK_INDEX_STATUSES)})")


class Task(SQLModel, table=True):
    __table_args__ = (
        Index("ix_task_department_status_due_at", "department", "status", "due_at"),
        Index("ix_task_status_due_at", "status", "due_at"),
        # A queue's first page in its default order (time left) read off the index, not sorted.
        Index(
            "ix_task_open_department_due_at",
            "department",
            "due_at",
            "id",
            sqlite_where=OPEN_TASK_PREDICATE,
            postgresql_where=OPEN_TASK_PREDICATE,
        ),
        Index(
            "ix_task_open_due_at",
            "due_at",
            "id",
            sqlite_where=OPEN_TASK_PREDICATE,
            postgresql_where=OPEN_TASK_PREDICATE,
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="case_file.id", index=True)
    department: Department = enum_field(Department)
    kind: TaskKind = enum_field(TaskKind)
    status: TaskStatus = enum_field(TaskStatus, TaskStatus.open)
    assignee_id: int | None = Field(default=None, foreign_key="user.id", index=True)
    source_event_id: str | None = Field(
        default=None,
        max_length=36,
        unique=True,
        description="The outbox event that opened it (opened once per event); None for "
        "sub-tasks, which a person opens.",
    )
    parent_task_id: int | None = Field(
        default=None, foreign_key="task.id", index=True, description="A sub-task's task."
    )
    created_at: datetime = utc_field(nullable=False)
    claimed_at: datetime | None = utc_field()
    due_at: datetime = utc_field(nullable=False)
    done_at: datetime | None = utc_field()
    completed_by_id: int | None = Field(default=None, foreign_key="user.id")
    result: dict[str, Any] = json_field()


class TaskPublic(SQLModel):
    id: int
    complaint_reference: str = Field(
        description="The reference of the case the task is of: a complaint's (CMP-, FBK-) "
        "or a contract review's (CR-)."
    )
    department: Department
    kind: TaskKind
    status: TaskStatus
    parent_task_id: int | None = Field(default=None, description="A sub-task's task.")
    assignee: str | None
    created_at: datetime
    claimed_at: datetime | None
    due_at: datetime
    done_at: datetime | None
    overdue: bool
    clock: DeadlinePublic | None = Field(default=None, description="Time used, left and late.")
    result: dict[str, Any]
    available_actions: list[str] = Field(
        default_factory=list,
        description="In the complaint file: what you may do on this task now, e.g. "
        "claim_task, return_result.",
    )


class QualityResult(SQLModel):
    """Quality's assessment and resolution (21 CFR 820.198, ISO 9001 10.2)."""

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "kind": "quality_assessment",
                    "valid": True,
                    "investigate": True,
                    "defect_code": "LK-SEAL",
                    "cause_code": "MAT-BTCH",
                    "containment": "Lot L-2026-114 blocked in stock.",
                    "root_cause": "Seal batch out of specification.",
                    "corrective_action": "Supplier batch rejected.",
                    "preventive_action": "Seal hardness checked at incoming inspection.",
                    "customer_summary": "A faulty seal batch caused the leak; we replace "
                    "your pumps.",
                },
                {
                    "kind": "quality_assessment",
                    "valid": False,
                    "investigate": False,
                    "no_investigation_reason": "Pump was run dry, outside its specification.",
                    "customer_summary": "The pump was damaged by running dry; see the manual.",
                },
            ]
        }
    }

    kind: Literal["quality_assessment"] = "quality_assessment"
    valid: StrictBool = Field(description="Is it a valid complaint?")
    severity: Severity | None = Field(default=None, description="Confirmed or changed severity.")
    investigate: StrictBool
    no_investigation_reason: str | None = Field(
        default=None, max_length=5_000, description="Required when investigate is false."
    )
    defect_code: str | None = Field(
        default=None,
        max_length=32,
        description="What is wrong (`GET /codes/defects`); required when valid is true and the "
        "first assessment recorded none; replaces the assessment's when given.",
        schema_extra={"examples": ["LK-SEAL"]},
    )
    cause_code: str | None = Field(
        default=None,
        max_length=32,
        description="Why it went wrong (`GET /codes/causes`); required when investigate is true.",
        schema_extra={"examples": ["MAT-BTCH"]},
    )
    containment: str | None = Field(default=None, max_length=10_000)
    root_cause: str | None = Field(default=None, max_length=10_000)
    corrective_action: str | None = Field(default=None, max_length=10_000)
    preventive_action: str | None = Field(default=None, max_length=10_000)
    customer_summary: str = Field(
        min_length=1,
        max_length=10_000,
        description="What the customer is told; plain text, never markup.",
        schema_extra={"examples": ["The seal batch was faulty; we replace your pump."]},
    )
    version: StrictInt | None = Field(
        default=None, description="Expected complaint version (optional)."
    )

    @model_validator(mode="after")
    def _reason_when_not_investigated(self) -> "QualityResult":
        if not self.investigate and not (self.no_investigation_reason or "").strip():
            raise ValueError("no_investigation_reason is required when investigate is false")
        if self.investigate and not (self.cause_code or "").strip():
            raise ValueError("cause_code is required when investigate is true")
        return self


class SalesReview(SQLModel):
    model_config = {
        "json_schema_extra": {
            "examples": [
                {"kind": "sales_review", "approved": True},
                {
                    "kind": "sales_review",
                    "approved": False,
                    "comment": "Tell the customer when the replacements ship.",
                },
            ]
        }
    }

    kind: Literal["sales_review"] = "sales_review"
    approved: StrictBool
    comment: str | None = Field(default=None, max_length=5_000)
    version: StrictInt | None = Field(
        default=None, description="Expected complaint version (optional)."
    )

    @model_validator(mode="after")
    def _comment_when_sent_back(self) -> "SalesReview":
        if not self.approved and not (self.comment or "").strip():
            raise ValueError("comment is required when the result is sent back to quality")
        return self


class SubtaskAnswer(SQLModel):
    """Another department's answer to quality's sub-task."""

    model_config = {
        "json_schema_extra": {
            "examples": [{"kind": "subtask_answer", "answer": "Bench test: seal fails at 6 bar."}]
        }
    }

    kind: Literal["subtask_answer"] = "subtask_answer"
    answer: str = Field(min_length=1, max_length=10_000)
    version: StrictInt | None = Field(
        default=None, description="Expected complaint version (optional)."
    )


class ActionDone(SQLModel):
    """The owner department completes a corrective or preventive action, with its evidence."""

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "kind": "action_done",
                    "evidence": "Supplier batch S-4411 returned; incoming inspection plan rev. C.",
                    "attachment_ids": [],
                }
            ]
        }
    }

    kind: Literal["action_done"] = "action_done"
    evidence: str = Field(
        min_length=3, max_length=10_000, description="What was done, and how it can be seen."
    )
    attachment_ids: list[Annotated[int, Field(ge=1, le=2**62)]] = Field(
        default_factory=list,
        max_length=20,
        description="Attachments of the complaint that show it (ids from the complaint file).",
    )
    version: StrictInt | None = Field(
        default=None, description="Expected complaint version (optional)."
    )


class EffectivenessVerdict(SQLModel):
    """Quality's finding at an effectiveness check: effective completes the quality record,
    not effective opens a new round of corrective actions."""

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "kind": "effectiveness",
                    "verdict": "effective",
                    "reasoning": "No seal leak reported on lots made since the change.",
                }
            ]
        }
    }

    kind: Literal["effectiveness"] = "effectiveness"
    verdict: Verdict
    reasoning: str = Field(min_length=3, max_length=10_000, description="Why, for the auditor.")
    version: StrictInt | None = Field(
        default=None, description="Expected complaint version (optional)."
    )


class InquiryAnswer(SQLModel):
    """The answer to a customer's inquiry: sent to the customer, it closes the inquiry."""

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "kind": "inquiry_answer",
                    "answer": "The P-200 seal kit fits every pump made since 2019.",
                }
            ]
        }
    }

    kind: Literal["inquiry_answer"] = "inquiry_answer"
    answer: str = Field(
        min_length=3, max_length=10_000, description="The answer, as the customer will read it."
    )
    version: StrictInt | None = Field(
        default=None, description="Expected complaint version (optional)."
    )


class InquiryForward(SQLModel):
    """Sales passes an inquiry to the department that knows the answer."""

    model_config = {"json_schema_extra": {"examples": [{"department": "technical"}]}}

    department: Department = Field(
        description="quality or technical, whoever knows the answer (any other department: 422)."
    )
    note: str | None = Field(default=None, max_length=2000, description="What to look at.")


# Every body that completes a task; the ``kind`` field names which.
Completion = (
    QualityResult
    | SalesReview
    | SubtaskAnswer
    | ActionDone
    | EffectivenessVerdict
    | InquiryAnswer
    | MailTriage
    | CallRecord
    | DepartmentReviewAnswer
)
TaskCompletion = Annotated[
    Completion,
    Field(discriminator="kind"),
]


class TaskAssignment(SQLModel):
    """Hand a task to a colleague of its department (who gets a mail); the reason goes to the
    history."""

    model_config = {
        "json_schema_extra": {"examples": [{"user_id": 3, "reason": "Tess knows this pump."}]}
    }

    user_id: int = Field(ge=1, le=2**62, description="The colleague who takes the task.")
    reason: str | None = Field(default=None, max_length=2000, description="Why them.")


class AssignedTask(TaskPublic):
    deputy_for: str | None = Field(
        default=None,
        description="Set when the colleague chosen is away: the task went to their deputy "
        "(`assignee`) instead.",
    )


class TaskUnclaim(SQLModel):
    """Put a claimed task back in its department's queue, saying why."""

    model_config = {"json_schema_extra": {"examples": [{"reason": "Away until Monday."}]}}

    reason: str = Field(min_length=1, max_length=2000, description="Why it goes back.")


class SubtaskCancellation(SQLModel):
    """Quality withdraws a sub-task it no longer needs; the reason goes to the history."""

    model_config = {
        "json_schema_extra": {
            "examples": [{"reason": "The supplier's 8D already names the seal batch."}]
        }
    }

    reason: str = Field(min_length=3, max_length=2_000, description="Why it is no longer needed")


class SubtaskRequest(SQLModel):
    """Quality asks another department for a finding (a test, a production record, a
    supplier's answer); the sub-task runs beside quality's own task, on its own clock."""

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "department": "technical",
                    "request": "Bench-test the returned pump's seal at 6 bar.",
                    "business_days": 3,
                }
            ]
        }
    }

    department: Department = Field(
        description="technical, production or procurement (other departments are refused with 422)"
    )
    request: str = Field(min_length=3, max_length=5_000)
    business_days: StrictInt | None = Field(
        default=None,
        ge=1,
        le=30,
        description="Time allowed; by default the sub-task policy's (3 business days).",
    )


class Assessment(SQLModel):
    """Quality's first assessment, recorded before the investigation ends (optional)."""

    valid: StrictBool
    severity: Severity | None = Field(
        default=None,
        description="Confirmed or changed severity. A change re-times the running clocks; "
        "critical also starts the containment clock and alerts the general manager.",
    )
    defect_code: str | None = Field(
        default=None,
        max_length=32,
        description="What is wrong (`GET /codes/defects`); required when valid is true.",
        schema_extra={"examples": ["LK-SEAL"]},
    )
    investigate: StrictBool
    no_investigation_reason: str | None = Field(default=None, max_length=5_000)

    @model_validator(mode="after")
    def _reason_when_not_investigated(self) -> "Assessment":
        if not self.investigate and not (self.no_investigation_reason or "").strip():
            raise ValueError("no_investigation_reason is required when investigate is false")
        if self.valid and not (self.defect_code or "").strip():
            raise ValueError("defect_code is required when valid is true")
        return self


class Containment(SQLModel):
    containment: str = Field(min_length=1, max_length=10_000, description="What was contained.")
