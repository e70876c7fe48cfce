"""a complaint logged twice points at the one that stays

``complaint.duplicate_of_id``; the statuses ``withdrawn`` and ``duplicate`` are new values of
a VARCHAR without a CHECK constraint, so they need no change of their own.

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-29 15:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("complaint") as batch_op:
        batch_op.add_column(sa.Column("duplicate_of_id", sa.Integer(), nullable=True))
        batch_op.create_index("ix_complaint_duplicate_of_id", ["duplicate_of_id"], unique=False)
        batch_op.create_foreign_key(
            "fk_complaint_duplicate_of_id_complaint", "complaint", ["duplicate_of_id"], ["id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("complaint") as batch_op:
        batch_op.drop_constraint("fk_complaint_duplicate_of_id_complaint", type_="foreignkey")
        batch_op.drop_index("ix_complaint_duplicate_of_id")
        batch_op.drop_column("duplicate_of_id")
