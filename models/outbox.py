from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Index
from sqlmodel import Field, SQLModel

from models.base import enum_field, json_field, utc_field


class EventStatus(StrEnum):
    pending = "pending"
    processing = "processing"
    done = "done"
    failed = "failed"  # parked after its attempts ran out: waits for an admin's retry


class OutboxEvent(SQLModel, table=True):
    """An event committed with the state change that caused it; delivered to a flow once."""

    __tablename__ = "outbox_event"
    __table_args__ = (Index("ix_outbox_event_status_available_at", "status", "available_at"),)

    id: str = Field(primary_key=True, max_length=36)
    case_id: int = Field(foreign_key="case_file.id", index=True)
    kind: str = Field(max_length=48)
    payload: dict[str, Any] = json_field()
    status: EventStatus = enum_field(EventStatus, EventStatus.pending)
    attempts: int = 0
    created_at: datetime = utc_field(nullable=False)
    available_at: datetime = utc_field(nullable=False)  # not before: also the lease expiry
    handled_at: datetime | None = utc_field()
    failed_at: datetime | None = utc_field()
    last_error: str | None = Field(default=None, max_length=2000)
