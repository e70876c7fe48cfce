"""relay heartbeat: a row per relay process, so the health route can tell the relay is alive

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

import models.base

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "relay_heartbeat",
        sa.Column("relay_id", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("started_at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("beat_at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("relay_id", name=op.f("pk_relay_heartbeat")),
    )


def downgrade() -> None:
    op.drop_table("relay_heartbeat")
