"""closure days of the business calendar, as data

``closure_day`` lists the working weekdays the company is closed on besides public holidays,
with who added each and why; a removal is stamped (who, when, why), never deleted. One
closure in force per day (a partial unique index).

Revision ID: 0027
Revises: 0026
Create Date: 2026-11-30 07:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from models.base import UTCDateTime

revision: str = "0027"
down_revision: str | None = "0026"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ACTIVE = sa.text("removed_at IS NULL")


def upgrade() -> None:
    op.create_table(
        "closure_day",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("added_by", sa.String(length=100), nullable=False),
        sa.Column("added_at", UTCDateTime(), nullable=False),
        sa.Column("removed_by", sa.String(length=100), nullable=True),
        sa.Column("removed_at", UTCDateTime(), nullable=True),
        sa.Column("removal_reason", sa.String(length=500), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "uq_closure_day_active",
        "closure_day",
        ["day"],
        unique=True,
        sqlite_where=ACTIVE,
        postgresql_where=ACTIVE,
    )


def downgrade() -> None:
    op.drop_index("uq_closure_day_active", table_name="closure_day")
    op.drop_table("closure_day")
