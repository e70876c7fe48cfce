"""the customer's rating of a closed complaint

``satisfaction_response``, one row per complaint. The clock step ``customer_acceptance`` and
the new history actions are new values of VARCHARs without CHECK constraints.

Revision ID: 0019
Revises: 0018
Create Date: 2026-11-29 19:15:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from models.base import UTCDateTime

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "satisfaction_response",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("complaint_id", sa.Integer(), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("solved", sa.Boolean(), nullable=False),
        sa.Column("comment", sa.String(length=5000), nullable=True),
        sa.Column("answered_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["complaint_id"],
            ["complaint.id"],
            name="fk_satisfaction_response_complaint_id_complaint",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_satisfaction_response"),
        sa.UniqueConstraint("complaint_id", name="uq_satisfaction_response_complaint_id"),
    )


def downgrade() -> None:
    op.drop_table("satisfaction_response")
