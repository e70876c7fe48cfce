"""attachments and customer status links

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24 14:41:16.791957
"""

import secrets
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

import models.base

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "attachment",
        sa.Column("filename", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("content_type", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("sha256", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("complaint_id", sa.Integer(), nullable=False),
        sa.Column("uploaded_by_id", sa.Integer(), nullable=False),
        sa.Column("uploaded_at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["complaint_id"], ["complaint.id"], name=op.f("fk_attachment_complaint_id_complaint")
        ),
        sa.ForeignKeyConstraint(
            ["uploaded_by_id"], ["user.id"], name=op.f("fk_attachment_uploaded_by_id_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attachment")),
    )
    with op.batch_alter_table("attachment", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_attachment_complaint_id"), ["complaint_id"], unique=False
        )

    # Plain ADD COLUMN and a unique index: no table rebuild of complaint, which rows of
    # other tables reference.
    op.add_column(
        "complaint",
        sa.Column("status_token", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    )
    op.create_index(op.f("ix_complaint_status_token"), "complaint", ["status_token"], unique=True)
    _give_every_complaint_a_status_token()


def _give_every_complaint_a_status_token() -> None:
    connection = op.get_bind()
    ids = connection.execute(sa.text("SELECT id FROM complaint WHERE status_token IS NULL"))
    for (complaint_id,) in ids.fetchall():
        connection.execute(
            sa.text("UPDATE complaint SET status_token = :token WHERE id = :id"),
            {"token": secrets.token_urlsafe(32), "id": complaint_id},
        )


def downgrade() -> None:
    op.drop_index(op.f("ix_complaint_status_token"), table_name="complaint")
    with op.batch_alter_table("complaint", schema=None) as batch_op:
        batch_op.drop_column("status_token")

    with op.batch_alter_table("attachment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_attachment_complaint_id"))

    op.drop_table("attachment")
