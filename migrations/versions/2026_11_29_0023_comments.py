"""internal comments on complaints and tasks

``comment``: staff's comments, each with the usernames it mentions. The notice kind
``mention`` and the history action ``comment_added`` are new values of VARCHARs without CHECK
constraints.

Revision ID: 0023
Revises: 0020
Create Date: 2026-11-29 23:15:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from models.base import UTCDateTime

revision: str = "0023"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "comment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("complaint_id", sa.Integer(), nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=True),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("body", sa.String(length=5000), nullable=False),
        sa.Column("mentions", sa.JSON(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["complaint_id"], ["complaint.id"], name="fk_comment_complaint_id_complaint"
        ),
        sa.ForeignKeyConstraint(["task_id"], ["task.id"], name="fk_comment_task_id_task"),
        sa.ForeignKeyConstraint(["author_id"], ["user.id"], name="fk_comment_author_id_user"),
        sa.PrimaryKeyConstraint("id", name="pk_comment"),
    )
    op.create_index("ix_comment_complaint_id", "comment", ["complaint_id"])


def downgrade() -> None:
    op.drop_index("ix_comment_complaint_id", table_name="comment")
    op.drop_table("comment")
