"""The recurrence rule and the shapes the related-complaint and recurrence routes take and
return (the tables of links and alerts are in ``models.quality``)."""

from datetime import datetime

from pydantic import StrictInt
from sqlmodel import Field, SQLModel

from models.base import utc_field
from models.enums import LinkReason, LinkStatus, Status

DEFAULT_THRESHOLD = 3
DEFAULT_WINDOW_DAYS = 90


class RecurrenceRuleBase(SQLModel):
    threshold: int = Field(
        ge=2, le=1_000, description="How many complaints on one product and defect code alert."
    )
    window_days: int = Field(ge=1, le=3_650, description="Within how many calendar days.")


class RecurrenceRuleRow(RecurrenceRuleBase, table=True):
    """A change of the rule. Rows are never changed: a new row supersedes the one before."""

    __tablename__ = "recurrence_rule"

    id: int | None = Field(default=None, primary_key=True)
    reason: str = Field(max_length=2_000)
    changed_by: str = Field(max_length=64)
    changed_at: datetime = utc_field(nullable=False)
    superseded_at: datetime | None = utc_field()


class RecurrenceRuleChange(RecurrenceRuleBase):
    model_config = {
        "json_schema_extra": {
            "examples": [{"threshold": 2, "window_days": 60, "reason": "Audit finding 2026-14."}]
        }
    }

    threshold: StrictInt = Field(
        ge=2, le=1_000, description="How many complaints on one product and defect code alert."
    )
    window_days: StrictInt = Field(ge=1, le=3_650, description="Within how many calendar days.")
    reason: str = Field(min_length=3, max_length=2_000, description="Why the rule changes.")


class RecurrenceRulePublic(RecurrenceRuleBase):
    source: str = Field(description="'default', or 'changed by <user> at <time>'")


class RelatedPublic(SQLModel):
    """Another complaint linked to this one, whichever of the two was the newer."""

    reference: str
    status: Status = Field(description="The other complaint's status.")
    product: str = Field(description="The other complaint's product as logged.")
    received_at: datetime
    reason: LinkReason
    score: float = Field(
        description="1.0 same product and lot; 0.8 same product and defect "
        "code; the text similarity for similar descriptions."
    )
    link_status: LinkStatus
    found_at: datetime
    decided_by: str | None


class LinkReview(SQLModel):
    model_config = {
        "json_schema_extra": {
            "examples": [{"status": "confirmed", "reason": "Same seal batch, same failure."}]
        }
    }

    status: LinkStatus = Field(
        description="`confirmed` or `dismissed` (`suggested` is the system's, refused here)."
    )
    reason: str = Field(min_length=3, max_length=2_000, description="Why (kept in the history).")


class ClusterPublic(SQLModel):
    """Complaints on one product with one defect code within the period."""

    product_id: int
    product: str
    defect_code_id: int
    defect_code: str
    count: int
    references: list[str]
    first_seen: datetime
    last_seen: datetime
    meets_rule: bool = Field(description="The count reaches the recurrence rule's threshold.")
    alerted: bool = Field(description="A recurrence alert was raised for this cluster.")
