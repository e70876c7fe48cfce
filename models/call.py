"""Sales' record of a call that gave the customer a notice we could not mail."""

from datetime import UTC, datetime, timedelta
from typing import Literal

from pydantic import AwareDatetime, StrictBool, StrictInt, model_validator
from sqlmodel import Field, SQLModel

# A phone's clock may run a little ahead of ours; later than this is a typing error.
CLOCK_SLACK = timedelta(minutes=5)


class CallRecord(SQLModel):
    """Completes a ``call_customer`` task when the customer was reached; a call that did not
    reach them is recorded as an attempt and the task stays open for the next try."""

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "kind": "call_record",
                    "reached": True,
                    "called_at": "2026-11-30T09:15:00Z",
                    "spoke_to": "Jane Miller",
                    "note": "Read the acknowledgement and gave her the reference.",
                }
            ]
        }
    }

    kind: Literal["call_record"] = "call_record"
    reached: StrictBool = Field(description="Whether the customer was reached and told.")
    called_at: AwareDatetime | None = Field(
        default=None, description="When the call was made, with its UTC offset; default: now."
    )
    spoke_to: str | None = Field(
        default=None,
        max_length=200,
        description="Whom sales spoke to (required when reached).",
    )
    note: str = Field(min_length=3, max_length=2_000, description="What was said or happened.")
    version: StrictInt | None = Field(
        default=None, description="Expected complaint version (optional)."
    )

    @model_validator(mode="after")
    def _reached_someone_at_a_past_time(self) -> "CallRecord":
        if self.reached and not (self.spoke_to or "").strip():
            raise ValueError("spoke_to is required when the customer was reached")
        if self.called_at is not None and self.called_at > datetime.now(UTC) + CLOCK_SLACK:
            raise ValueError("called_at is in the future: give the time the call was made")
        return self
