from datetime import datetime
from typing import Any

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from models.base import json_field, utc_field


class HistoryEntryBase(SQLModel):
    seq: int = Field(description="Position in this complaint's history, from 1.")
    at: datetime = utc_field(nullable=False)
    actor: str = Field(max_length=100, description="Username, or flow:<name> for the system.")
    action: str = Field(max_length=64)
    from_status: str | None = Field(default=None, max_length=32)
    to_status: str | None = Field(default=None, max_length=32)
    changes: dict[str, Any] = json_field()
    reason: str | None = None


class HistoryEntry(HistoryEntryBase, table=True):
    """Append-only: database triggers refuse UPDATE and DELETE; rows are hash-chained."""

    __tablename__ = "history"
    __table_args__ = (UniqueConstraint("complaint_id", "seq"),)

    id: int | None = Field(default=None, primary_key=True)
    complaint_id: int = Field(foreign_key="complaint.id", index=True)
    prev_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64)


class HistoryEntryPublic(HistoryEntryBase):
    hash: str
