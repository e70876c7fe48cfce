"""a customer's language and time zone; the language a notice was written in

``customer.language`` (BCP 47) and ``customer.time_zone`` (IANA): existing customers get the
company's defaults of the day (CW_DEFAULT_LANGUAGE, CW_BUSINESS_TIMEZONE).
``notification.language``: the ``Content-Language`` its mail carries (none for older rows).

Revision ID: 0018
Revises: 0017
Create Date: 2026-11-29 19:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from workflow.languages import default_language, default_time_zone

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


EMAIL_INDEX = "ix_customer_email_lower"


def _without_email_index() -> None:
    # SQLite rebuilds the table for NOT NULL and cannot carry an expression index across.
    op.drop_index(EMAIL_INDEX, table_name="customer")


def _with_email_index() -> None:
    op.create_index(EMAIL_INDEX, "customer", [sa.text("lower(email)")])


def upgrade() -> None:
    _without_email_index()
    with op.batch_alter_table("customer") as batch_op:
        batch_op.add_column(sa.Column("language", sa.String(length=35), nullable=True))
        batch_op.add_column(sa.Column("time_zone", sa.String(length=64), nullable=True))
    op.execute(
        sa.text("UPDATE customer SET language = :language, time_zone = :zone").bindparams(
            language=default_language(), zone=default_time_zone()
        )
    )
    with op.batch_alter_table("customer") as batch_op:
        batch_op.alter_column("language", existing_type=sa.String(length=35), nullable=False)
        batch_op.alter_column("time_zone", existing_type=sa.String(length=64), nullable=False)
    _with_email_index()
    with op.batch_alter_table("notification") as batch_op:
        batch_op.add_column(sa.Column("language", sa.String(length=35), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("notification") as batch_op:
        batch_op.drop_column("language")
    _without_email_index()
    with op.batch_alter_table("customer") as batch_op:
        batch_op.drop_column("time_zone")
        batch_op.drop_column("language")
    _with_email_index()
