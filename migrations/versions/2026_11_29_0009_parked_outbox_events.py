"""outbox events parked as failed: the time they were parked

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-29 12:00:00

The status column is a VARCHAR without a CHECK constraint, so the new status value
``failed`` needs no change of its own.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import models.base

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("outbox_event", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("failed_at", models.base.UTCDateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("outbox_event", schema=None) as batch_op:
        batch_op.drop_column("failed_at")
