"""partial indexes of the open tasks, in the queue's default order

A department's queue sorted by time left reads its first page off
``ix_task_open_department_due_at`` (every department's off ``ix_task_open_due_at``) instead of
sorting every open task of the department on each view.

Revision ID: 0028
Revises: 0027
Create Date: 2026-11-30 14:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0028"
down_revision: str | None = "0027"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OPEN_TASK = sa.text("status IN ('claimed', 'open')")


def upgrade() -> None:
    for name, columns in (
        ("ix_task_open_department_due_at", ["department", "due_at", "id"]),
        ("ix_task_open_due_at", ["due_at", "id"]),
    ):
        op.create_index(name, "task", columns, sqlite_where=OPEN_TASK, postgresql_where=OPEN_TASK)


def downgrade() -> None:
    op.drop_index("ix_task_open_due_at", table_name="task")
    op.drop_index("ix_task_open_department_due_at", table_name="task")
