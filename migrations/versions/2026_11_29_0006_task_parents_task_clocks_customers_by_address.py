"""sub-tasks point at their task; clocks belong to their task; customers found by address

- ``task.parent_task_id``: a sub-task's task as a foreign key (it was ``result.parent_task_id``
  in JSON); ``task.source_event_id`` is empty for sub-tasks (a person opens them, no event).
- ``deadline``: a complaint's own clocks stay unique per step and round; a task's clocks
  (its own and its milestones', e.g. first assessment and containment) are unique per task and
  step, so a round can hold several sub-tasks, each on its own clock. Milestone clocks of
  existing rounds are attached to their quality task.
- ``customer.email`` may be empty (a customer known by phone only), and is indexed by its
  lower-case form to find the customer logged before.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29 09:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


PARENT_FROM_JSON = {
    "postgresql": "UPDATE task SET source_event_id = NULL, "
    "parent_task_id = CAST((result::json ->> 'parent_task_id') AS INTEGER) "
    "WHERE kind = 'subtask'",
    "sqlite": "UPDATE task SET source_event_id = NULL, "
    "parent_task_id = CAST(json_extract(result, '$.parent_task_id') AS INTEGER) "
    "WHERE kind = 'subtask'",
}


def upgrade() -> None:
    with op.batch_alter_table("task") as batch_op:
        batch_op.add_column(sa.Column("parent_task_id", sa.Integer(), nullable=True))
        batch_op.alter_column("source_event_id", existing_type=sa.String(36), nullable=True)
        batch_op.create_foreign_key(
            "fk_task_parent_task_id_task", "task", ["parent_task_id"], ["id"]
        )
        batch_op.create_index("ix_task_parent_task_id", ["parent_task_id"], unique=False)
    op.execute(PARENT_FROM_JSON[op.get_bind().dialect.name])

    with op.batch_alter_table("deadline") as batch_op:
        batch_op.drop_constraint("uq_deadline_complaint_id_step_cycle", type_="unique")
    op.execute(
        "UPDATE deadline SET task_id = (SELECT main.task_id FROM deadline AS main "
        "WHERE main.complaint_id = deadline.complaint_id AND main.cycle = deadline.cycle "
        "AND main.step = 'quality_result') "
        "WHERE task_id IS NULL AND step IN ('first_assessment', 'containment') AND cycle > 0"
    )
    op.create_index(
        "uq_deadline_complaint_step_cycle",
        "deadline",
        ["complaint_id", "step", "cycle"],
        unique=True,
        sqlite_where=sa.text("task_id IS NULL"),
        postgresql_where=sa.text("task_id IS NULL"),
    )
    op.create_index(
        "uq_deadline_task_step",
        "deadline",
        ["task_id", "step"],
        unique=True,
        sqlite_where=sa.text("task_id IS NOT NULL"),
        postgresql_where=sa.text("task_id IS NOT NULL"),
    )

    with op.batch_alter_table("customer") as batch_op:
        batch_op.alter_column("email", existing_type=sa.String(254), nullable=True)
    op.create_index("ix_customer_email_lower", "customer", [sa.text("lower(email)")])


def downgrade() -> None:
    op.drop_index("ix_customer_email_lower", table_name="customer")
    op.execute("UPDATE customer SET email = '' WHERE email IS NULL")
    with op.batch_alter_table("customer") as batch_op:
        batch_op.alter_column("email", existing_type=sa.String(254), nullable=False)
    op.drop_index("uq_deadline_task_step", table_name="deadline")
    op.drop_index("uq_deadline_complaint_step_cycle", table_name="deadline")
    op.execute(
        "UPDATE deadline SET task_id = NULL WHERE step IN ('first_assessment', 'containment')"
    )
    op.execute("DELETE FROM deadline WHERE step = 'subtask'")  # several per round: no place
    with op.batch_alter_table("deadline") as batch_op:
        batch_op.create_unique_constraint(
            "uq_deadline_complaint_id_step_cycle", ["complaint_id", "step", "cycle"]
        )
    op.execute(
        "UPDATE task SET source_event_id = 'subtask-' || CAST(id AS VARCHAR) "
        "WHERE source_event_id IS NULL"
    )
    with op.batch_alter_table("task") as batch_op:
        batch_op.drop_index("ix_task_parent_task_id")
        batch_op.drop_constraint("fk_task_parent_task_id_task", type_="foreignkey")
        batch_op.alter_column("source_event_id", existing_type=sa.String(36), nullable=False)
        batch_op.drop_column("parent_task_id")
