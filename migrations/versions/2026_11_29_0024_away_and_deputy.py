"""a person away, and the colleague who stands in

``user.away_until`` (the last day away) and ``user.deputy_id``. The history actions
``task_assigned`` and ``task_unclaimed`` and the notice kind ``task_assigned`` are new values
of VARCHARs without CHECK constraints.

Revision ID: 0024
Revises: 0023
Create Date: 2026-11-29 23:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0024"
down_revision: str | None = "0023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("user", schema=None) as batch_op:
        batch_op.add_column(sa.Column("away_until", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("deputy_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key("fk_user_deputy_id_user", "user", ["deputy_id"], ["id"])


def downgrade() -> None:
    with op.batch_alter_table("user", schema=None) as batch_op:
        batch_op.drop_constraint("fk_user_deputy_id_user", type_="foreignkey")
        batch_op.drop_column("deputy_id")
        batch_op.drop_column("away_until")
