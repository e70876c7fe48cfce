"""one identity for every case: complaints, and contract reviews to come

``case_file`` holds one row per case of any customer process; a complaint's id is its case's.
The engine's tables (tasks, clocks, history, outbox events, notices, attachments, comments,
personal values) point at the case (``case_id``) instead of the complaint, so a contract
review's rows can live in the same tables. The history's entries keep their seals: the case id
is sealed under its old name (``workflow.history.SEALED_NAMES``). SQLite rebuilds each table
to move its foreign key, and the history's triggers are made again after its rebuild.

Revision ID: 0030
Revises: 0029
Create Date: 2026-11-30 15:00:00
"""

import contextlib
from collections.abc import Iterator, Sequence

import sqlalchemy as sa
from alembic import op

import models.base

revision: str = "0030"
down_revision: str | None = "0029"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CASE_CLOCK = "uq_deadline_case_step_cycle"
LOT_KEY_INDEX = "ix_complaint_lot_key"
ENGINE_TABLES = (
    "task",
    "deadline",
    "history",
    "outbox_event",
    "notification",
    "attachment",
    "comment",
    "personal_value",
)
HISTORY_IS_APPEND_ONLY = "history is append-only"
# The history's SQLite triggers as migration 0005 made them: append-only, and each insert the
# next link of the chain, which moves the chain's head.
SQLITE_HISTORY_TRIGGERS = (
    *(
        f"CREATE TRIGGER history_no_{verb.lower()} BEFORE {verb} ON history "
        f"BEGIN SELECT RAISE(ABORT, '{HISTORY_IS_APPEND_ONLY}'); END"
        for verb in ("UPDATE", "DELETE")
    ),
    """
    CREATE TRIGGER history_chain_append BEFORE INSERT ON history
    WHEN NEW.chain_seq IS NOT (SELECT seq + 1 FROM history_head WHERE id = 1)
      OR NEW.prev_hash IS NOT (SELECT hash FROM history_head WHERE id = 1)
    BEGIN
        SELECT RAISE(ABORT, 'history: not the next link of the chain');
    END
    """,
    """
    CREATE TRIGGER history_chain_head AFTER INSERT ON history
    BEGIN UPDATE history_head SET seq = NEW.chain_seq, hash = NEW.hash WHERE id = 1; END
    """,
)


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    op.create_table(
        "case_file",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "process",
            sa.Enum("complaint", "review", name="processkind", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("created_at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_file")),
    )
    op.execute(
        "INSERT INTO case_file (id, process, created_at) "
        "SELECT id, 'complaint', created_at FROM complaint"
    )
    if postgres:
        op.execute(
            "SELECT setval(pg_get_serial_sequence('case_file', 'id'), "
            "COALESCE((SELECT max(id) FROM case_file), 0) + 1, false)"
        )
    with _keeping_lot_key_index(), op.batch_alter_table("complaint") as batch_op:
        batch_op.create_foreign_key("fk_complaint_id_case_file", "case_file", ["id"], ["id"])
    if not postgres:
        _drop_sqlite_history_triggers()
    op.drop_index("uq_deadline_complaint_step_cycle", table_name="deadline")
    for table in ENGINE_TABLES:
        _point_at_case(table, "complaint_id", "case_id", "case_file")
    _create_case_clock_index("case_id", CASE_CLOCK)
    if not postgres:
        _create_sqlite_history_triggers()


def downgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    reviews = sa.text("SELECT 1 FROM case_file WHERE process <> 'complaint'")
    if op.get_bind().execute(reviews).first():
        raise RuntimeError("contract reviews are recorded: they have no place before 0030")
    if not postgres:
        _drop_sqlite_history_triggers()
    op.drop_index(CASE_CLOCK, table_name="deadline")
    for table in ENGINE_TABLES:
        _point_at_case(table, "case_id", "complaint_id", "complaint")
    _create_case_clock_index("complaint_id", "uq_deadline_complaint_step_cycle")
    if not postgres:
        _create_sqlite_history_triggers()
    with _keeping_lot_key_index(), op.batch_alter_table("complaint") as batch_op:
        batch_op.drop_constraint("fk_complaint_id_case_file", type_="foreignkey")
    op.drop_table("case_file")


@contextlib.contextmanager
def _keeping_lot_key_index() -> Iterator[None]:
    """SQLite's batch rebuild of a table cannot reflect an index on an expression, so it
    would lose the complaint's lot key index (0029): dropped before, made again after."""
    op.drop_index(LOT_KEY_INDEX, table_name="complaint")
    yield
    op.create_index(LOT_KEY_INDEX, "complaint", [sa.text("lower(trim(lot_number))")])


def _point_at_case(table: str, old: str, new: str, referred: str) -> None:
    """Rename the column and move its foreign key; the history's (case, seq) key with it (a
    batch rebuild copies the table's constraints by column name, so it goes first)."""
    old_referred = "complaint" if referred == "case_file" else "case_file"
    with op.batch_alter_table(table) as batch_op:
        if table == "history":
            batch_op.drop_constraint(f"uq_history_{old}_seq", type_="unique")
        batch_op.drop_constraint(f"fk_{table}_{old}_{old_referred}", type_="foreignkey")
        batch_op.drop_index(f"ix_{table}_{old}")
        batch_op.alter_column(old, new_column_name=new, existing_type=sa.Integer())
    # Alembic's batch cannot index a column it renames in the same batch: a second batch.
    with op.batch_alter_table(table) as batch_op:
        batch_op.create_index(f"ix_{table}_{new}", [new], unique=False)
        batch_op.create_foreign_key(f"fk_{table}_{new}_{referred}", referred, [new], ["id"])
        if table == "history":
            batch_op.create_unique_constraint(f"uq_history_{new}_seq", [new, "seq"])


def _create_case_clock_index(column: str, name: str) -> None:
    """A case's own clock: one per step and round (a task's clocks are the task's)."""
    op.create_index(
        name,
        "deadline",
        [column, "step", "cycle"],
        unique=True,
        sqlite_where=sa.text("task_id IS NULL"),
        postgresql_where=sa.text("task_id IS NULL"),
    )


def _drop_sqlite_history_triggers() -> None:
    """SQLite drops a table's triggers with it when a batch rebuilds the table; dropped first
    so that the rebuild's copy is not refused, made again after it."""
    for name in ("no_update", "no_delete", "chain_append", "chain_head"):
        op.execute(f"DROP TRIGGER IF EXISTS history_{name}")


def _create_sqlite_history_triggers() -> None:
    for trigger in SQLITE_HISTORY_TRIGGERS:
        op.execute(trigger)
