"""one keyed chain for the whole history, checked on INSERT, with checkpoints

Every history entry joins one global chain (``chain_seq``, gapless) sealed with HMAC-SHA256
under the key in ``CW_HISTORY_KEY`` (``key_id`` names it, ``content_mac`` covers the entry's
own fields, ``hash`` its place in the chain). ``history_head`` holds the chain's last
position and hash: a new INSERT trigger refuses an entry that is not the next one, and
PostgreSQL writers lock that row. ``history_checkpoint`` keeps the published heads.

Existing entries are put in (at, id) order, numbered 1..N, re-chained and sealed with the
current key. History written before this migration was only checked by the old per-complaint
chain of plain SHA-256 hashes, which anyone able to write the table could recompute: this
migration checks those chains first and stops, naming the broken complaints, if any fails
(re-sealing a tampered entry would launder it). After investigating, an operator may set
CW_HISTORY_RESEAL_BROKEN=1 to seal them anyway; what the old chain could not prove stays
unproved.

The append-only triggers are dropped and re-created around the rewrite, on SQLite and on
PostgreSQL. Downgrade is refused: the old hashes are gone.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25 09:00:00
"""

import hashlib
import json
import os
from collections.abc import Iterator, Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

import models.base
from workflow.history import GENESIS, content_mac, current_key, link_mac

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

HISTORY_IS_APPEND_ONLY = "history is append-only"
BATCH = 1_000

history = sa.table(
    "history",
    sa.column("id", sa.Integer),
    sa.column("complaint_id", sa.Integer),
    sa.column("seq", sa.Integer),
    sa.column("at", models.base.UTCDateTime()),
    sa.column("actor", sa.String),
    sa.column("action", sa.String),
    sa.column("from_status", sa.String),
    sa.column("to_status", sa.String),
    sa.column("changes", sa.JSON),
    sa.column("reason", sa.String),
    sa.column("prev_hash", sa.String),
    sa.column("hash", sa.String),
    sa.column("chain_seq", sa.Integer),
    sa.column("key_id", sa.String),
    sa.column("content_mac", sa.String),
)


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    _drop_append_only_triggers(postgres)
    _check_old_chains()
    op.add_column("history", sa.Column("chain_seq", sa.Integer(), nullable=True))
    op.add_column("history", sa.Column("key_id", sa.String(32), nullable=True))
    op.add_column("history", sa.Column("content_mac", sa.String(64), nullable=True))
    _number_in_time_order()
    last_seq, last_hash = _seal_all()
    with op.batch_alter_table("history") as batch_op:
        for name in ("chain_seq", "key_id", "content_mac"):
            batch_op.alter_column(name, nullable=False)
        batch_op.create_unique_constraint("uq_history_chain_seq", ["chain_seq"])
    _create_head_and_checkpoints(last_seq, last_hash)
    _create_chain_triggers(postgres)
    _create_append_only_triggers(postgres)


def downgrade() -> None:
    raise RuntimeError(
        "0005 cannot be downgraded: the history was re-sealed with the history key and the "
        "old per-complaint hashes are gone. Restore a backup taken before the upgrade instead."
    )


def _old_digest(row: Any) -> str:
    """The hash before this migration: plain SHA-256 of the entry and the complaint's last."""
    content = {
        "complaint_id": row.complaint_id,
        "seq": row.seq,
        "at": row.at.isoformat(),
        "actor": row.actor,
        "action": row.action,
        "from_status": row.from_status,
        "to_status": row.to_status,
        "changes": row.changes,
        "reason": row.reason,
        "prev_hash": row.prev_hash,
    }
    canonical = json.dumps(content, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def _check_old_chains() -> None:
    new_columns = ("chain_seq", "key_id", "content_mac")
    rows = op.get_bind().execute(
        sa.select(*(c for c in history.c if c.name not in new_columns))
        .order_by(history.c.complaint_id, history.c.seq)
        .execution_options(yield_per=BATCH)
    )
    broken: list[str] = []
    current, previous = None, GENESIS
    for row in rows:
        if row.complaint_id != current:
            current, previous = row.complaint_id, GENESIS
        if row.prev_hash != previous or _old_digest(row) != row.hash:
            broken.append(f"complaint id {row.complaint_id} entry {row.seq}")
        previous = row.hash
    if broken and os.environ.get("CW_HISTORY_RESEAL_BROKEN") != "1":
        raise RuntimeError(
            "the history does not verify under the old per-complaint chain, so sealing it now "
            f"would launder the change: {', '.join(broken[:20])}"
            f"{' and more' if len(broken) > 20 else ''}. Investigate; then "
            "CW_HISTORY_RESEAL_BROKEN=1 seals it as it stands."
        )


def _number_in_time_order() -> None:
    """chain_seq = 1..N in (at, id) order, in one statement (window function)."""
    op.execute(
        """
        UPDATE history SET chain_seq = numbered.position
        FROM (SELECT id, ROW_NUMBER() OVER (ORDER BY at, id) AS position FROM history) AS numbered
        WHERE history.id = numbered.id
        """
    )


def _in_chain_order() -> Iterator[Any]:
    """Entries in chain order, a batch at a time (keyset on chain_seq: never all in memory)."""
    bind, after = op.get_bind(), 0
    while True:
        batch = bind.execute(
            sa.select(history)
            .where(history.c.chain_seq > after)
            .order_by(history.c.chain_seq)
            .limit(BATCH)
        ).all()
        if not batch:
            return
        yield from batch
        after = batch[-1].chain_seq


def _seal_all() -> tuple[int, str]:
    key_id, key = current_key()
    bind = op.get_bind()
    op.create_index("ix_history_chain_seq_tmp", "history", ["chain_seq"])
    position, previous, updates = 0, GENESIS, []
    for row in _in_chain_order():
        fields = {**row._mapping, "key_id": key_id}
        entry_mac = content_mac(key, fields)
        position = row.chain_seq
        digest = link_mac(key, position, previous, entry_mac)
        updates.append({"row_id": row.id, "k": key_id, "m": entry_mac, "p": previous, "h": digest})
        previous = digest
        if len(updates) >= BATCH:
            _write_seals(bind, updates)
    _write_seals(bind, updates)
    op.drop_index("ix_history_chain_seq_tmp", "history")
    return position, previous


def _write_seals(bind: sa.Connection, updates: list[dict[str, Any]]) -> None:
    if updates:
        bind.execute(
            history.update()
            .where(history.c.id == sa.bindparam("row_id"))
            .values(
                key_id=sa.bindparam("k"),
                content_mac=sa.bindparam("m"),
                prev_hash=sa.bindparam("p"),
                hash=sa.bindparam("h"),
            ),
            updates,
        )
        updates.clear()


def _create_head_and_checkpoints(last_seq: int, last_hash: str) -> None:
    head = op.create_table(
        "history_head",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_history_head")),
    )
    op.bulk_insert(head, [{"id": 1, "seq": last_seq, "hash": last_hash}])
    op.create_table(
        "history_checkpoint",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("chain_seq", sa.Integer(), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.Column("taken_at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_history_checkpoint")),
    )
    op.create_index(
        op.f("ix_history_checkpoint_chain_seq"), "history_checkpoint", ["chain_seq"], unique=False
    )


def _create_chain_triggers(postgres: bool) -> None:
    """Refuse an INSERT that is not the next link; move the head to it."""
    if postgres:
        op.execute(
            """
            CREATE FUNCTION history_chain_append() RETURNS trigger AS $$
            DECLARE head_seq integer; head_hash varchar;
            BEGIN
                SELECT seq, hash INTO head_seq, head_hash FROM history_head WHERE id = 1
                    FOR UPDATE;
                IF NEW.chain_seq IS DISTINCT FROM head_seq + 1
                        OR NEW.prev_hash IS DISTINCT FROM head_hash THEN
                    RAISE EXCEPTION 'history: not the next link of the chain';
                END IF;
                UPDATE history_head SET seq = NEW.chain_seq, hash = NEW.hash WHERE id = 1;
                RETURN NEW;
            END;
            $$ LANGUAGE plpgsql
            """
        )
        op.execute(
            "CREATE TRIGGER history_chain_append BEFORE INSERT ON history "
            "FOR EACH ROW EXECUTE FUNCTION history_chain_append()"
        )
        return
    op.execute(
        """
        CREATE TRIGGER history_chain_append BEFORE INSERT ON history
        WHEN NEW.chain_seq IS NOT (SELECT seq + 1 FROM history_head WHERE id = 1)
          OR NEW.prev_hash IS NOT (SELECT hash FROM history_head WHERE id = 1)
        BEGIN
            SELECT RAISE(ABORT, 'history: not the next link of the chain');
        END
        """
    )
    op.execute(
        """
        CREATE TRIGGER history_chain_head AFTER INSERT ON history
        BEGIN UPDATE history_head SET seq = NEW.chain_seq, hash = NEW.hash WHERE id = 1; END
        """
    )


def _drop_append_only_triggers(postgres: bool) -> None:
    if postgres:
        op.execute("DROP TRIGGER IF EXISTS history_append_only ON history")
        return
    for verb in ("update", "delete"):
        op.execute(f"DROP TRIGGER IF EXISTS history_no_{verb}")


def _create_append_only_triggers(postgres: bool) -> None:
    """The history's triggers of 0001 again, and the same for the checkpoints."""
    if postgres:
        for table in ("history", "history_checkpoint"):
            op.execute(
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION history_append_only()"
            )
        return
    for table in ("history", "history_checkpoint"):
        for verb in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER {table}_no_{verb.lower()} BEFORE {verb} ON {table} "
                f"BEGIN SELECT RAISE(ABORT, '{HISTORY_IS_APPEND_ONLY}'); END"
            )
