from datetime import datetime

from sqlmodel import Field, SQLModel

from models.base import utc_field


class RelayHeartbeat(SQLModel, table=True):
    """The last sign of life of one relay process; the health route reads the newest."""

    __tablename__ = "relay_heartbeat"

    relay_id: str = Field(primary_key=True, max_length=255)  # host:pid
    started_at: datetime = utc_field(nullable=False)
    beat_at: datetime = utc_field(nullable=False)
