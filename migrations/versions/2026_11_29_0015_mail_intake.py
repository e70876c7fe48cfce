"""mail intake: mails taken once, customers' messages, our Message-ID on each notice

Revision ID: 0015
Revises: 0013
Create Date: 2026-11-29 16:00:00

The notice status column is a VARCHAR without a CHECK constraint, so the new status
``bounced`` needs no change of its own.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import models.base

revision: str = "0015"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OUTCOMES = ("complaint", "reply", "held", "robot", "bounce", "refused", "dropped")


def upgrade() -> None:
    op.create_table(
        "inbound_mail",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("message_key", sa.String(length=300), nullable=False),
        sa.Column("sender", sa.String(length=320), nullable=False),
        sa.Column("subject", sa.String(length=500), nullable=False),
        sa.Column(
            "outcome",
            sa.Enum(*OUTCOMES, name="mailoutcome", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("reason", sa.String(length=500), nullable=True),
        sa.Column("complaint_id", sa.Integer(), sa.ForeignKey("complaint.id"), nullable=True),
        sa.Column("content_language", sa.String(length=35), nullable=True),
        sa.Column("taken_at", models.base.UTCDateTime(), nullable=False),
        sa.Column("raw", sa.LargeBinary(), nullable=True),
        sa.UniqueConstraint("message_key"),
    )
    op.create_index("ix_inbound_mail_complaint_id", "inbound_mail", ["complaint_id"])
    op.create_table(
        "customer_message",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("complaint_id", sa.Integer(), sa.ForeignKey("complaint.id"), nullable=False),
        sa.Column(
            "inbound_mail_id", sa.Integer(), sa.ForeignKey("inbound_mail.id"), nullable=False
        ),
        sa.Column("sender", sa.String(length=320), nullable=False),
        sa.Column("subject", sa.String(length=500), nullable=False),
        sa.Column("body", sa.String(length=20000), nullable=False),
        sa.Column("received_at", models.base.UTCDateTime(), nullable=False),
        sa.UniqueConstraint("inbound_mail_id"),
    )
    op.create_index("ix_customer_message_complaint_id", "customer_message", ["complaint_id"])
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.add_column(sa.Column("message_id", sa.String(length=300), nullable=True))
        batch_op.create_index("ix_notification_message_id", ["message_id"])


def downgrade() -> None:
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.drop_index("ix_notification_message_id")
        batch_op.drop_column("message_id")
    op.drop_index("ix_customer_message_complaint_id", table_name="customer_message")
    op.drop_table("customer_message")
    op.drop_index("ix_inbound_mail_complaint_id", table_name="inbound_mail")
    op.drop_table("inbound_mail")
