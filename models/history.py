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
    """Append-only: database triggers refuse UPDATE and DELETE, and refuse an INSERT that is
    not the next link of the one chain every complaint's entries share."""

    __tablename__ = "history"
    __table_args__ = (UniqueConstraint("case_id", "seq"),)

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="case_file.id", index=True)
    chain_seq: int = Field(
        unique=True, description="Position in the one chain of all entries, from 1, gapless."
    )
    key_id: str = Field(max_length=32, description="Which history key sealed this entry.")
    content_mac: str = Field(max_length=64, description="HMAC-SHA256 of the entry's own fields.")
    prev_hash: str = Field(max_length=64)
    hash: str = Field(
        max_length=64, description="HMAC-SHA256 of chain_seq, prev_hash and content_mac."
    )


class HistoryHead(SQLModel, table=True):
    """One row: the last entry of the chain, kept by the INSERT trigger. On PostgreSQL a
    writer locks it (``FOR UPDATE``) so two transactions never take the same position."""

    __tablename__ = "history_head"

    id: int = Field(default=1, primary_key=True)
    seq: int = Field(default=0, description="chain_seq of the last entry; 0 when empty.")
    hash: str = Field(max_length=64)


class HistoryCheckpoint(SQLModel, table=True):
    """The chain's head as published by the checkpoint flow (also to an append-only file)."""

    __tablename__ = "history_checkpoint"

    id: int | None = Field(default=None, primary_key=True)
    chain_seq: int = Field(index=True)
    hash: str = Field(max_length=64)
    taken_at: datetime = utc_field(nullable=False)


class HistoryEntryPublic(HistoryEntryBase):
    chain_seq: int
    hash: str
