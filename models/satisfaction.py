"""The customer's rating of how a closed complaint was handled: one per complaint."""

from datetime import datetime

from pydantic import StrictBool
from sqlmodel import Field, SQLModel

from models.base import utc_field


class SatisfactionAnswer(SQLModel):
    """What the customer sends from the status page."""

    score: int = Field(ge=1, le=5, description="1 (very unhappy) to 5 (very happy).")
    solved: StrictBool = Field(description="Was the problem solved?")
    comment: str | None = Field(default=None, max_length=5_000)


class SatisfactionResponse(SQLModel, table=True):
    __tablename__ = "satisfaction_response"

    id: int | None = Field(default=None, primary_key=True)
    complaint_id: int = Field(foreign_key="complaint.id", unique=True)
    score: int
    solved: bool
    comment: str | None = Field(default=None, max_length=5_000)
    answered_at: datetime = utc_field(nullable=False)


class SatisfactionRow(SQLModel):
    group: str
    invitations: int = Field(description="Closed complaints whose customer was invited to rate.")
    responses: int
    response_rate: float | None = Field(description="responses / invitations")
    average_score: float | None
    satisfied_share: float | None = Field(description="Share of responses scoring 4 or 5.")
    solved_share: float | None = Field(description="Share of responses saying it was solved.")
