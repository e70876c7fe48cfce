"""Shapes the API returns that join several tables."""

from datetime import datetime
from typing import Generic, TypeVar

from sqlmodel import Field, SQLModel

from models.complaint import ComplaintPublic
from models.history import HistoryEntryPublic
from models.notification import NotificationPublic
from models.resolution import ResolutionPublic
from models.task import TaskPublic
from workflow.rules import Department, Severity

Item = TypeVar("Item")


class Page(SQLModel, Generic[Item]):
    items: list[Item]
    limit: int
    offset: int
    has_more: bool = Field(description="True if another page follows.")


class ComplaintRecord(ComplaintPublic):
    """The whole complaint file, as an auditor asks for it."""

    tasks: list[TaskPublic]
    resolutions: list[ResolutionPublic]
    notifications: list[NotificationPublic]
    history: list[HistoryEntryPublic]


class OverdueItem(SQLModel):
    item: str = Field(description="'task' or 'complaint'")
    reference: str
    task_id: int | None
    task_kind: str | None
    department: Department | None
    assignee: str | None
    severity: Severity
    due_at: datetime
    late_seconds: int = Field(description="How late, in seconds of wall-clock time.")
    late: str = Field(description="How late, for people: '2d 3h'.")
