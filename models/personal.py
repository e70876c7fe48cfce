"""Personal values kept out of the sealed history, so they can be erased without breaking it."""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel

from models.base import utc_field


class PersonalValue(SQLModel, table=True):
    """A customer's value that a history entry refers to. The entry seals a reference and
    ``sha256(salt + value)``; erasure clears ``value`` and ``salt``, so the entry (and the
    chain) stays as sealed, and the digest left in it can no longer be tested against a guess.
    """

    __tablename__ = "personal_value"

    id: str = Field(primary_key=True, max_length=32)
    case_id: int = Field(foreign_key="case_file.id", index=True)
    field: str = Field(max_length=64, description="The history field the value was given as.")
    value: Any = Field(default=None, sa_column=Column(JSON, nullable=True))
    salt: str | None = Field(default=None, max_length=64)
    erased_at: datetime | None = utc_field()


class ErasureRequest(SQLModel):
    model_config = {
        "extra": "forbid",
        "json_schema_extra": {
            "examples": [{"reason": "The customer asked to be forgotten (mail of 2026-11-28)."}]
        },
    }

    reason: str = Field(
        min_length=10, max_length=2_000, description="Why, e.g. the customer's request and date."
    )


class ErasureDone(SQLModel):
    customer_id: int
    erased_at: datetime
    complaints: list[str] = Field(description="References of the customer's complaints, kept.")
    values_erased: int = Field(description="Personal values the history referred to, erased.")
    texts_cleaned: int = Field(
        description="Notices, mails, messages and texts from which the values were removed."
    )
    entries_before_erasure_support: int = Field(
        description="History entries sealed before personal values were kept apart (database "
        "revision 0017): they still hold the values, since a sealed entry is never rewritten."
    )
    write_ahead_log_cleared: bool = Field(
        description="SQLite: old copies of pages in the write-ahead log were overwritten too. "
        "False when other readers held it: it is emptied at a later checkpoint."
    )
