"""recurrence rule: quality managers' changes of the recurrence rule, each kept

- ``recurrence_rule``: one row per change (threshold, window in days, reason, who, when);
  the row in force has no ``superseded_at``. Without a row the default applies (3 complaints
  on one product and defect code within 90 days).

Revision ID: 0013
Revises: 0011
Create Date: 2026-11-29 15:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import models.base

revision: str = "0013"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "recurrence_rule",
        sa.Column("threshold", sa.Integer(), nullable=False),
        sa.Column("window_days", sa.Integer(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=2000), nullable=False),
        sa.Column("changed_by", sa.String(length=64), nullable=False),
        sa.Column("changed_at", models.base.UTCDateTime(), nullable=False),
        sa.Column("superseded_at", models.base.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recurrence_rule")),
    )


def downgrade() -> None:
    op.drop_table("recurrence_rule")
