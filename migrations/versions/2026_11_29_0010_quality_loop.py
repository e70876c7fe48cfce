"""quality loop: products, defect and cause codes, actions, effectiveness checks, links

- ``product``, ``defect_code``, ``cause_code``: master data; a complaint points at its product
  (``product_id``, empty while its free-text ``product`` is not mapped yet), its defect code
  (quality's first assessment) and its cause code (quality's result).
- ``capa_action``: containment, corrective and preventive actions, each carried by a task.
- ``effectiveness_check``: quality's check that a round of corrective actions worked.
- ``complaint_link`` and ``recurrence_alert``: related complaints and recurrence clusters.
- ``complaint.quality_record_complete_at``: set by an effective check.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-29 15:30:05.173048
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import models.base

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "cause_code",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column(
            "category",
            sa.Enum(
                "man",
                "machine",
                "method",
                "material",
                "measurement",
                "environment",
                name="causecategory",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cause_code")),
        sa.UniqueConstraint("code", name=op.f("uq_cause_code_code")),
    )
    op.create_table(
        "defect_code",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("family", sa.String(length=100), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_defect_code")),
        sa.UniqueConstraint("code", name=op.f("uq_defect_code_code")),
    )
    with op.batch_alter_table("defect_code", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_defect_code_family"), ["family"], unique=False)

    op.create_table(
        "product",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("part_number", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("family", sa.String(length=100), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_product")),
        sa.UniqueConstraint("part_number", name=op.f("uq_product_part_number")),
    )
    with op.batch_alter_table("product", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_product_family"), ["family"], unique=False)
        batch_op.create_index(batch_op.f("ix_product_name"), ["name"], unique=False)

    op.create_table(
        "recurrence_alert",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cluster_key", sa.String(length=128), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("defect_code_id", sa.Integer(), nullable=False),
        sa.Column("references", sa.JSON(), nullable=False),
        sa.Column("first_seen", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_seen", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("raised_at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["defect_code_id"],
            ["defect_code.id"],
            name=op.f("fk_recurrence_alert_defect_code_id_defect_code"),
        ),
        sa.ForeignKeyConstraint(
            ["product_id"], ["product.id"], name=op.f("fk_recurrence_alert_product_id_product")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recurrence_alert")),
        sa.UniqueConstraint("cluster_key", name=op.f("uq_recurrence_alert_cluster_key")),
    )
    op.create_table(
        "complaint_link",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("complaint_id", sa.Integer(), nullable=False),
        sa.Column("related_id", sa.Integer(), nullable=False),
        sa.Column(
            "reason",
            sa.Enum(
                "same_product_lot",
                "same_product_defect",
                "similar_text",
                name="linkreason",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "suggested",
                "confirmed",
                "dismissed",
                name="linkstatus",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("found_at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("decided_by", sa.String(length=64), nullable=True),
        sa.Column("decided_at", models.base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["complaint_id"],
            ["complaint.id"],
            name=op.f("fk_complaint_link_complaint_id_complaint"),
        ),
        sa.ForeignKeyConstraint(
            ["related_id"], ["complaint.id"], name=op.f("fk_complaint_link_related_id_complaint")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_complaint_link")),
        sa.UniqueConstraint(
            "complaint_id", "related_id", name=op.f("uq_complaint_link_complaint_id_related_id")
        ),
    )
    with op.batch_alter_table("complaint_link", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_complaint_link_complaint_id"), ["complaint_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_complaint_link_related_id"), ["related_id"], unique=False
        )

    op.create_table(
        "capa_action",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("complaint_id", sa.Integer(), nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=True),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "containment",
                "corrective",
                "preventive",
                name="actionkind",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("description", sa.String(length=5000), nullable=False),
        sa.Column(
            "owner_department",
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
        sa.Column("owner_id", sa.Integer(), nullable=True),
        sa.Column("due_at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column(
            "status",
            sa.Enum("open", "done", "cancelled", name="actionstatus", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("evidence", sa.String(length=10000), nullable=True),
        sa.Column("evidence_attachment_ids", sa.JSON(), nullable=False),
        sa.Column("cancel_reason", sa.String(length=2000), nullable=True),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("closed_by", sa.String(length=64), nullable=True),
        sa.Column("closed_at", models.base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["complaint_id"], ["complaint.id"], name=op.f("fk_capa_action_complaint_id_complaint")
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["user.id"], name=op.f("fk_capa_action_owner_id_user")
        ),
        sa.ForeignKeyConstraint(["task_id"], ["task.id"], name=op.f("fk_capa_action_task_id_task")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_capa_action")),
        sa.UniqueConstraint("task_id", name=op.f("uq_capa_action_task_id")),
    )
    with op.batch_alter_table("capa_action", schema=None) as batch_op:
        batch_op.create_index(
            "ix_capa_action_complaint_round", ["complaint_id", "round"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_capa_action_owner_id"), ["owner_id"], unique=False)

    op.create_table(
        "effectiveness_check",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("complaint_id", sa.Integer(), nullable=False),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("actions_closed_at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("scheduled_for", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=True),
        sa.Column(
            "verdict",
            sa.Enum("effective", "not_effective", name="verdict", native_enum=False, length=32),
            nullable=True,
        ),
        sa.Column("reasoning", sa.String(length=10000), nullable=True),
        sa.Column("recurrences", sa.JSON(), nullable=False),
        sa.Column("decided_by", sa.String(length=64), nullable=True),
        sa.Column("decided_at", models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["complaint_id"],
            ["complaint.id"],
            name=op.f("fk_effectiveness_check_complaint_id_complaint"),
        ),
        sa.ForeignKeyConstraint(
            ["task_id"], ["task.id"], name=op.f("fk_effectiveness_check_task_id_task")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_effectiveness_check")),
        sa.UniqueConstraint(
            "complaint_id", "round", name=op.f("uq_effectiveness_check_complaint_id_round")
        ),
        sa.UniqueConstraint("task_id", name=op.f("uq_effectiveness_check_task_id")),
    )
    with op.batch_alter_table("effectiveness_check", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_effectiveness_check_complaint_id"), ["complaint_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_effectiveness_check_scheduled_for"), ["scheduled_for"], unique=False
        )

    with op.batch_alter_table("complaint", schema=None) as batch_op:
        batch_op.add_column(sa.Column("product_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("defect_code_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("cause_code_id", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column(
                "quality_record_complete_at", models.base.UTCDateTime(timezone=True), nullable=True
            )
        )
        batch_op.create_index(
            batch_op.f("ix_complaint_cause_code_id"), ["cause_code_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_complaint_defect_code_id"), ["defect_code_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_complaint_product_id"), ["product_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_complaint_product_id_product"), "product", ["product_id"], ["id"]
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_complaint_defect_code_id_defect_code"),
            "defect_code",
            ["defect_code_id"],
            ["id"],
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_complaint_cause_code_id_cause_code"),
            "cause_code",
            ["cause_code_id"],
            ["id"],
        )


def downgrade() -> None:
    with op.batch_alter_table("complaint", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_complaint_cause_code_id_cause_code"), type_="foreignkey"
        )
        batch_op.drop_constraint(
            batch_op.f("fk_complaint_defect_code_id_defect_code"), type_="foreignkey"
        )
        batch_op.drop_constraint(batch_op.f("fk_complaint_product_id_product"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_complaint_product_id"))
        batch_op.drop_index(batch_op.f("ix_complaint_defect_code_id"))
        batch_op.drop_index(batch_op.f("ix_complaint_cause_code_id"))
        batch_op.drop_column("quality_record_complete_at")
        batch_op.drop_column("cause_code_id")
        batch_op.drop_column("defect_code_id")
        batch_op.drop_column("product_id")

    with op.batch_alter_table("effectiveness_check", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_effectiveness_check_scheduled_for"))
        batch_op.drop_index(batch_op.f("ix_effectiveness_check_complaint_id"))

    op.drop_table("effectiveness_check")
    with op.batch_alter_table("capa_action", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_capa_action_owner_id"))
        batch_op.drop_index("ix_capa_action_complaint_round")

    op.drop_table("capa_action")
    with op.batch_alter_table("complaint_link", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_complaint_link_related_id"))
        batch_op.drop_index(batch_op.f("ix_complaint_link_complaint_id"))

    op.drop_table("complaint_link")
    op.drop_table("recurrence_alert")
    with op.batch_alter_table("product", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_product_name"))
        batch_op.drop_index(batch_op.f("ix_product_family"))

    op.drop_table("product")
    with op.batch_alter_table("defect_code", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_defect_code_family"))

    op.drop_table("defect_code")
    op.drop_table("cause_code")
