"""personal values kept out of the sealed history; customers' erasure date

``personal_value`` holds what a history entry refers to instead of sealing it (a customer's
description, mail sender and subject, a notice's recipient, a customer's comment), so
erasing it leaves every entry, and the chain, as sealed. Entries sealed before this revision
keep their values: they are counted and reported by an erasure, never rewritten.

Revision ID: 0017
Revises: 0016
Create Date: 2026-11-29 19:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from models.base import UTCDateTime

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "personal_value",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("complaint_id", sa.Integer(), nullable=False),
        sa.Column("field", sa.String(length=64), nullable=False),
        sa.Column("value", sa.JSON(), nullable=True),
        sa.Column("salt", sa.String(length=64), nullable=True),
        sa.Column("erased_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["complaint_id"], ["complaint.id"], name="fk_personal_value_complaint_id_complaint"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_personal_value"),
    )
    op.create_index("ix_personal_value_complaint_id", "personal_value", ["complaint_id"])
    with op.batch_alter_table("customer") as batch_op:
        batch_op.add_column(sa.Column("erased_at", UTCDateTime(), nullable=True))


EMAIL_INDEX = "ix_customer_email_lower"


def downgrade() -> None:
    # SQLite drops a column by rebuilding the table, which cannot carry an expression index.
    op.drop_index(EMAIL_INDEX, table_name="customer")
    with op.batch_alter_table("customer") as batch_op:
        batch_op.drop_column("erased_at")
    op.create_index(EMAIL_INDEX, "customer", [sa.text("lower(email)")])
    op.drop_index("ix_personal_value_complaint_id", table_name="personal_value")
    op.drop_table("personal_value")
