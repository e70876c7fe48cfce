"""Shapes the API returns that join several tables."""

from datetime import datetime
from typing import Generic, TypeVar

from sqlmodel import Field, SQLModel

from models.comment import CommentPublic
from models.complaint import ComplaintPublic
from models.deadline import DeadlinePublic
from models.enums import Department, Severity, Step
from models.history import HistoryEntryPublic
from models.mail import CustomerMessagePublic
from models.notification import NotificationPublic
from models.resolution import ResolutionPublic
from models.task import TaskPublic

Item = TypeVar("Item")


class Page(SQLModel, Generic[Item]):
    items: list[Item]
    limit: int
    offset: int
    has_more: bool = Field(description="True if another page follows.")


class ComplaintRecord(ComplaintPublic):
    """The whole complaint file, as an auditor asks for it."""

    available_actions: list[str] = Field(
        default_factory=list,
        description="What you may do on this complaint now (the rules' answer for your role "
        "and its state), e.g. wait_for_customer, record_acceptance.",
    )
    deadlines: list[DeadlinePublic] = Field(description="Every clocked step, with its figures.")
    tasks: list[TaskPublic]
    resolutions: list[ResolutionPublic]
    notifications: list[NotificationPublic]
    customer_messages: list[CustomerMessagePublic] = Field(
        default_factory=list,
        description="What the customer wrote to us after intake (replies by e-mail), oldest first.",
    )
    comments: list[CommentPublic] = Field(
        default_factory=list,
        description="Staff's internal comments on the complaint and its tasks, oldest first.",
    )
    history: list[HistoryEntryPublic]
    contract_reference: str | None = Field(
        default=None,
        description="The contract in the ledger its order reference names (same customer).",
    )


class OverdueItem(SQLModel):
    reference: str
    step: Step
    cycle: int
    task_id: int | None
    department: Department
    assignee: str | None
    severity: Severity
    due_at: datetime
    late_hours: float = Field(
        description="How late, in business hours (wall hours for steps "
        "that run on wall time, such as containment)."
    )
    late: str = Field(description="How late, for people: '2d 3h' of wall-clock time.")
    escalation_level: int = Field(
        description="0 none, 1 assignee, 2 head of department, "
        "3 quality manager, 4 general manager."
    )
