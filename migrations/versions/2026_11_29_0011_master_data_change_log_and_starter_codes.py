"""master data: its change log, and the starter defect and cause codes

- ``master_data_change``: every change to a product or a code (who, when, old and new, why);
  the history table needs a complaint, master data has none.
- The starter sets of ``workflow/data/defect_codes.csv`` and ``cause_codes.csv`` are loaded
  into ``defect_code`` and ``cause_code``: new and existing databases get them alike, and a
  code already there (by its code string) is left as it is, so nothing is doubled.
- Complaints keep their free-text ``product``; they stay unmapped until quality maps them.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-29 16:00:00
"""

import csv
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
from alembic import op

import models.base

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DATA = Path(__file__).resolve().parents[2] / "workflow" / "data"
STARTER_SETS = (
    ("defect_code", "defect_codes.csv", "family"),
    ("cause_code", "cause_codes.csv", "category"),
)


def _starter_rows(filename: str) -> list[dict[str, str]]:
    with (DATA / filename).open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _load_starter_codes() -> None:
    connection = op.get_bind()
    now = datetime.now(UTC)
    for table_name, filename, group in STARTER_SETS:
        table = sa.table(
            table_name,
            sa.column("code", sa.String),
            sa.column(group, sa.String),
            sa.column("label", sa.String),
            sa.column("active", sa.Boolean),
            sa.column("created_at", models.base.UTCDateTime()),
        )
        known = set(connection.execute(sa.select(table.c.code)).scalars())
        rows = [
            {**row, "active": True, "created_at": now}
            for row in _starter_rows(filename)
            if row["code"] not in known
        ]
        if rows:
            op.bulk_insert(table, rows)


def upgrade() -> None:
    op.create_table(
        "master_data_change",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=100), nullable=False),
        sa.Column("entity", sa.String(length=32), nullable=False),
        sa.Column("entity_id", sa.Integer(), nullable=True),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("changes", sa.JSON(), nullable=False),
        sa.Column("reason", sa.String(length=2000), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_master_data_change")),
    )
    with op.batch_alter_table("master_data_change", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_master_data_change_at"), ["at"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_master_data_change_entity_id"), ["entity_id"], unique=False
        )
    _load_starter_codes()


def downgrade() -> None:
    # The starter codes stay: complaints may point at them.
    with op.batch_alter_table("master_data_change", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_master_data_change_entity_id"))
        batch_op.drop_index(batch_op.f("ix_master_data_change_at"))
    op.drop_table("master_data_change")
