from datetime import datetime

from sqlmodel import Field, SQLModel

from models.base import enum_field, utc_field
from models.enums import ProcessKind


class CaseFile(SQLModel, table=True):
    """One case of a customer process: a complaint or a contract review. Its id is the
    complaint's or the review's, and the engine's rows (tasks, clocks, history, events,
    notices, documents, comments) point at it, whichever process it is of."""

    __tablename__ = "case_file"

    id: int | None = Field(default=None, primary_key=True)
    process: ProcessKind = enum_field(ProcessKind)
    created_at: datetime = utc_field(nullable=False)
