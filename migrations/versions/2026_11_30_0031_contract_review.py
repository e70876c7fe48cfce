"""contract and order review and the contract ledger

A review is a case of the review process (its id is its ``case_file``'s); its departments'
answers, its review meeting, and the ledger of accepted contracts with their versions, their
deliveries and the complaints linked to them. New tables only.

Revision ID: 0031
Revises: 0030
Create Date: 2026-11-30 16:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

import models.base

revision: str = "0031"
down_revision: str | None = "0030"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "contract",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reference", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("order_reference", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "active",
                "completed",
                "cancelled",
                name="contractstatus",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customer.id"], name=op.f("fk_contract_customer_id_customer")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contract")),
        sa.UniqueConstraint("reference", name=op.f("uq_contract_reference")),
    )
    with op.batch_alter_table("contract", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_contract_customer_id"), ["customer_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_contract_order_reference"), ["order_reference"], unique=False
        )

    op.create_table(
        "contract_complaint",
        sa.Column("complaint_id", sa.Integer(), nullable=False),
        sa.Column("contract_id", sa.Integer(), nullable=False),
        sa.Column("linked_at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["complaint_id"],
            ["complaint.id"],
            name=op.f("fk_contract_complaint_complaint_id_complaint"),
        ),
        sa.ForeignKeyConstraint(
            ["contract_id"],
            ["contract.id"],
            name=op.f("fk_contract_complaint_contract_id_contract"),
        ),
        sa.PrimaryKeyConstraint("complaint_id", name=op.f("pk_contract_complaint")),
    )
    with op.batch_alter_table("contract_complaint", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_contract_complaint_contract_id"), ["contract_id"], unique=False
        )

    op.create_table(
        "delivery",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("contract_id", sa.Integer(), nullable=False),
        sa.Column("delivered_on", sa.Date(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column("on_time", sa.Boolean(), nullable=False),
        sa.Column("note", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=False),
        sa.Column("recorded_at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["contract_id"], ["contract.id"], name=op.f("fk_delivery_contract_id_contract")
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"], ["user.id"], name=op.f("fk_delivery_recorded_by_id_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_delivery")),
    )
    with op.batch_alter_table("delivery", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_delivery_contract_id"), ["contract_id"], unique=False)

    op.create_table(
        "review",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reference", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "contract",
                "tender",
                "order",
                "change",
                name="reviewkind",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("order_reference", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
        sa.Column("title", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("value", models.base.DecimalText(length=40), nullable=True),
        sa.Column("currency", sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=True),
        sa.Column("requested_delivery", sa.Date(), nullable=True),
        sa.Column("requirements", sqlmodel.sql.sqltypes.AutoString(length=20000), nullable=False),
        sa.Column(
            "channel",
            sa.Enum(
                "phone",
                "fax",
                "email",
                "visit",
                "web",
                "portal",
                name="channel",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("flagged_criteria", sa.JSON(), nullable=False),
        sa.Column("special_criteria", sa.JSON(), nullable=False),
        sa.Column("special", sa.Boolean(), nullable=False),
        sa.Column("confirmation_needed", sa.Boolean(), nullable=False),
        sa.Column("confirmed_at", models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("confirmation", sa.JSON(), nullable=False),
        sa.Column("departments", sa.JSON(), nullable=False),
        sa.Column("round_departments", sa.JSON(), nullable=False),
        sa.Column("left_out_reason", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=True),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "in_review",
                "waiting_on_customer",
                "with_sales",
                "awaiting_approval",
                "accepted",
                "declined",
                "rejected",
                "withdrawn",
                name="reviewstatus",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column(
            "status_before_wait",
            sa.Enum(
                "in_review",
                "waiting_on_customer",
                "with_sales",
                "awaiting_approval",
                "accepted",
                "declined",
                "rejected",
                "withdrawn",
                name="reviewstatus",
                native_enum=False,
                length=32,
            ),
            nullable=True,
        ),
        sa.Column(
            "current_department",
            sa.Enum(
                "sales",
                "quality",
                "technical",
                "production",
                "procurement",
                "management",
                name="department",
                native_enum=False,
                length=32,
            ),
            nullable=True,
        ),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("contract_id", sa.Integer(), nullable=True),
        sa.Column("created_at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=False),
        sa.Column("decided_at", models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("decision_reason", sqlmodel.sql.sqltypes.AutoString(length=5000), nullable=True),
        sa.ForeignKeyConstraint(
            ["contract_id"], ["contract.id"], name=op.f("fk_review_contract_id_contract")
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["user.id"], name=op.f("fk_review_created_by_id_user")
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customer.id"], name=op.f("fk_review_customer_id_customer")
        ),
        sa.ForeignKeyConstraint(["id"], ["case_file.id"], name=op.f("fk_review_id_case_file")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review")),
        sa.UniqueConstraint("reference", name=op.f("uq_review_reference")),
    )
    with op.batch_alter_table("review", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_review_contract_id"), ["contract_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_review_customer_id"), ["customer_id"], unique=False)

    op.create_table(
        "contract_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("contract_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("review_id", sa.Integer(), nullable=False),
        sa.Column("title", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("value", models.base.DecimalText(length=40), nullable=True),
        sa.Column("currency", sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=True),
        sa.Column("requested_delivery", sa.Date(), nullable=True),
        sa.Column("requirements", sqlmodel.sql.sqltypes.AutoString(length=20000), nullable=False),
        sa.Column("conditions", sa.JSON(), nullable=False),
        sa.Column("accepted_at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["contract_id"], ["contract.id"], name=op.f("fk_contract_version_contract_id_contract")
        ),
        sa.ForeignKeyConstraint(
            ["review_id"], ["review.id"], name=op.f("fk_contract_version_review_id_review")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contract_version")),
        sa.UniqueConstraint(
            "contract_id", "version", name=op.f("uq_contract_version_contract_id_version")
        ),
        sa.UniqueConstraint("review_id", name=op.f("uq_contract_version_review_id")),
    )
    with op.batch_alter_table("contract_version", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_contract_version_contract_id"), ["contract_id"], unique=False
        )

    op.create_table(
        "review_answer",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("review_id", sa.Integer(), nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=False),
        sa.Column(
            "department",
            sa.Enum(
                "sales",
                "quality",
                "technical",
                "production",
                "procurement",
                "management",
                name="department",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column(
            "verdict",
            sa.Enum(
                "can_meet",
                "can_meet_with_conditions",
                "cannot_meet",
                name="reviewverdict",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("answers", sa.JSON(), nullable=False),
        sa.Column("conditions", sqlmodel.sql.sqltypes.AutoString(length=20000), nullable=False),
        sa.Column("comments", sqlmodel.sql.sqltypes.AutoString(length=20000), nullable=False),
        sa.Column("answered_by_id", sa.Integer(), nullable=False),
        sa.Column("answered_at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["answered_by_id"], ["user.id"], name=op.f("fk_review_answer_answered_by_id_user")
        ),
        sa.ForeignKeyConstraint(
            ["review_id"], ["review.id"], name=op.f("fk_review_answer_review_id_review")
        ),
        sa.ForeignKeyConstraint(
            ["task_id"], ["task.id"], name=op.f("fk_review_answer_task_id_task")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review_answer")),
        sa.UniqueConstraint("task_id", name=op.f("uq_review_answer_task_id")),
    )
    with op.batch_alter_table("review_answer", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_review_answer_review_id"), ["review_id"], unique=False)

    op.create_table(
        "review_meeting",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("review_id", sa.Integer(), nullable=False),
        sa.Column("held_on", sa.Date(), nullable=False),
        sa.Column("attendees", sa.JSON(), nullable=False),
        sa.Column("minutes", sqlmodel.sql.sqltypes.AutoString(length=20000), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=False),
        sa.Column("recorded_at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"], ["user.id"], name=op.f("fk_review_meeting_recorded_by_id_user")
        ),
        sa.ForeignKeyConstraint(
            ["review_id"], ["review.id"], name=op.f("fk_review_meeting_review_id_review")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review_meeting")),
    )
    with op.batch_alter_table("review_meeting", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_review_meeting_review_id"), ["review_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("review_meeting", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_review_meeting_review_id"))

    op.drop_table("review_meeting")
    with op.batch_alter_table("review_answer", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_review_answer_review_id"))

    op.drop_table("review_answer")
    with op.batch_alter_table("contract_version", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_contract_version_contract_id"))

    op.drop_table("contract_version")
    with op.batch_alter_table("review", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_review_customer_id"))
        batch_op.drop_index(batch_op.f("ix_review_contract_id"))

    op.drop_table("review")
    with op.batch_alter_table("delivery", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_delivery_contract_id"))

    op.drop_table("delivery")
    with op.batch_alter_table("contract_complaint", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_contract_complaint_contract_id"))

    op.drop_table("contract_complaint")
    with op.batch_alter_table("contract", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_contract_order_reference"))
        batch_op.drop_index(batch_op.f("ix_contract_customer_id"))

    op.drop_table("contract")
