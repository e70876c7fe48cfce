"""index complaints by status, newest first (the filtered search's first page)

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24 15:40:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_complaint_status_created_at", "complaint", ["status", "created_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_complaint_status_created_at", table_name="complaint")
