from datetime import datetime

from sqlalchemy import Column, LargeBinary
from sqlmodel import Field, SQLModel

from models.base import utc_field


class AttachmentBase(SQLModel):
    filename: str = Field(max_length=255)
    content_type: str = Field(max_length=100, description="Detected from the bytes, not trusted.")
    size_bytes: int
    sha256: str = Field(max_length=64)


class Attachment(AttachmentBase, table=True):
    """A photo or PDF the customer sent, kept with the complaint file (in the database, so it
    commits with the complaint and is backed up with it)."""

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="case_file.id", index=True)
    uploaded_by_id: int = Field(foreign_key="user.id")
    uploaded_at: datetime = utc_field(nullable=False)
    data: bytes = Field(sa_column=Column(LargeBinary, nullable=False))


class AttachmentPublic(AttachmentBase):
    id: int
    uploaded_at: datetime
