"""A complaint's record arranged as an 8D report (D0 to D8), as customers' quality engineers
ask for it. Read-only: every field comes from the complaint file."""

from datetime import datetime

from sqlmodel import Field, SQLModel

from models.enums import (
    ActionKind,
    ActionStatus,
    Department,
    Role,
    Severity,
    Verdict,
)


class TeamMember(SQLModel):
    name: str = Field(description="Username of the person.")
    full_name: str | None
    role: Role | None
    department: Department | None
    contributions: list[str] = Field(description="What they did on this complaint.")


class ActionLine(SQLModel):
    id: int
    round: int
    kind: ActionKind
    description: str
    owner_department: Department
    owner: str | None
    due_at: datetime
    status: ActionStatus
    evidence: str | None
    closed_by: str | None
    closed_at: datetime | None
    cancel_reason: str | None


class CodeLine(SQLModel):
    code: str
    label: str
    group: str = Field(description="The defect family, or the cause's 6M category.")


class CheckLine(SQLModel):
    round: int
    actions_closed_at: datetime
    scheduled_for: datetime
    verdict: Verdict | None
    reasoning: str | None
    recurrences: list[str]
    decided_by: str | None
    decided_at: datetime | None


class D0Symptom(SQLModel):
    symptom: str = Field(description="The customer's words.")
    severity: Severity
    received_at: datetime
    emergency_response: list[str] = Field(
        description="What was done at once: containment recorded and containment actions."
    )


class D2Problem(SQLModel):
    customer_words: str
    product: str
    catalogue_part_number: str | None
    lot_number: str | None
    serial_number: str | None
    order_reference: str | None
    quantity_affected: int | None
    valid: bool | None = Field(description="Quality's assessment; null until it is made.")
    investigated: bool | None
    no_investigation_reason: str | None
    defect_code: CodeLine | None
    assessed_by: str | None
    assessed_at: datetime | None


class D3Containment(SQLModel):
    recorded: list[str] = Field(description="Containment recorded by quality on its task.")
    actions: list[ActionLine]


class D4RootCause(SQLModel):
    root_cause: str | None
    cause_code: CodeLine | None


class D5Chosen(SQLModel):
    planned: str | None = Field(description="Quality's corrective action, as decided.")
    actions: list[ActionLine]


class D6Verified(SQLModel):
    implemented: list[ActionLine] = Field(description="Corrective actions done, with evidence.")
    effectiveness_checks: list[CheckLine]


class D7Preventive(SQLModel):
    planned: str | None
    actions: list[ActionLine]


class D8Closure(SQLModel):
    customer_told: str | None = Field(description="What the customer was told.")
    approved_by: str | None
    resolved_at: datetime | None
    closed_at: datetime | None
    customer_accepted: bool | None
    quality_record_complete_at: datetime | None
    quality_record_complete: bool


class EightDReport(SQLModel):
    reference: str
    customer: str
    generated_at: datetime
    d0_symptom: D0Symptom
    d1_team: list[TeamMember]
    d2_problem: D2Problem
    d3_containment: D3Containment
    d4_root_cause: D4RootCause
    d5_corrective_actions: D5Chosen
    d6_implemented_and_verified: D6Verified
    d7_preventive_actions: D7Preventive
    d8_closure: D8Closure
