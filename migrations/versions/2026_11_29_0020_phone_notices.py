"""phone notices: who told the customer

A notice we cannot mail becomes a ``call_customer`` task for sales and a ledger row on the
``phone`` channel (``to_call`` until sales reaches the customer, then ``called``). The new
channel, statuses, task kind, clock step and history actions are new values of VARCHARs
without CHECK constraints; the only new column is ``notification.called_by``.

Revision ID: 0020
Revises: 0019
Create Date: 2026-11-29 23:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("notification") as batch:
        batch.add_column(sa.Column("called_by", sa.String(length=200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("notification") as batch:
        batch.drop_column("called_by")
