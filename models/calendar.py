"""Closure days of the business calendar: working weekdays the company is closed on, besides
public holidays (plant shutdown, company holiday). Rows are never deleted: a removal is
stamped with who and why, so the table is the history of every change."""

from datetime import date, datetime

from sqlalchemy import Index, text
from sqlmodel import Field, SQLModel

from models.base import utc_field

ACTIVE = text("removed_at IS NULL")


class ClosureChange(SQLModel):
    reason: str = Field(min_length=3, max_length=500, description="Why: shown beside the day.")


class ClosureCreate(ClosureChange):
    model_config = {
        "json_schema_extra": {"examples": [{"day": "2026-12-24", "reason": "Plant shutdown."}]}
    }

    day: date = Field(description="A working weekday, today or later.")


class ClosureDay(SQLModel, table=True):
    __tablename__ = "closure_day"
    # One closure in force per day; removed ones stay beside it.
    __table_args__ = (
        Index(
            "uq_closure_day_active",
            "day",
            unique=True,
            sqlite_where=ACTIVE,
            postgresql_where=ACTIVE,
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    day: date
    reason: str = Field(max_length=500)
    added_by: str = Field(max_length=100)
    added_at: datetime = utc_field(nullable=False)
    removed_by: str | None = Field(default=None, max_length=100)
    removed_at: datetime | None = utc_field()
    removal_reason: str | None = Field(default=None, max_length=500)


class ClosurePublic(SQLModel):
    day: date
    reason: str
    added_by: str
    added_at: datetime
    removed_by: str | None
    removed_at: datetime | None
    removal_reason: str | None


class ClosureResult(SQLModel):
    closure: ClosurePublic
    clocks_moved: int = Field(
        description="Running business-time clocks whose due date moved with the calendar."
    )
