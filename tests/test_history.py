"""The history: append-only in the database, one keyed chain checked on INSERT, checkpoints.

Each tampering is done from outside with raw SQL and the triggers out of the way, as anyone
with the database owner's rights can; the verifier must find it and name it, from the admin
route and from the command line."""

import asyncio
import hashlib
import json
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from itertools import pairwise
from typing import Any, Literal, TypedDict
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from alembic import command
from pydantic import ValidationError
from sqlalchemy import Connection, text
from sqlalchemy.exc import DBAPIError
from sqlmodel import col, select
from typer.testing import CliRunner

from models.base import UTCDateTime, table_of
from models.complaint import Complaint
from models.enums import HistoryAction
from models.history import HistoryEntry
from tests.support import drain_outbox, freeze_at, mail_body
from workflow.config import DEV_HISTORY_KEY, Settings, get_settings
from workflow.db import get_write_engine, read_session, reset_engines, write_session
from workflow.history import (
    content_mac,
    current_key,
    key_id_of,
    link_mac,
    list_history,
    record_history,
)
from workflow.history_verify import verify_history
from workflow.transitions import lock_complaint_by_id

STRONG_SECRET_KEY = "Xq3v-Lp9sT2m_Rk7Wc4nB8yD1fH6jZ0aGe5uN"  # test-only keys
STRONG_HISTORY_KEY = "hJ4k-Pw8rT1v_Ny6Qz3mC9sX2bL7dF0gE5aK"
ATTACKER_KEY = b"a key the attacker made up, since the real one is not in the database"


def _complaint_id(reference: str) -> int:
    with read_session() as session:
        complaint_id = session.exec(
            select(Complaint.id).where(Complaint.reference == reference)
        ).one()
    assert complaint_id is not None
    return complaint_id


def _history(reference: str) -> list[HistoryEntry]:
    with read_session() as session:
        return list_history(session, _complaint_id(reference))


def _chain() -> list[dict[str, Any]]:
    """Every entry in chain order, as the database holds it."""
    with read_session() as session:
        rows = session.exec(select(HistoryEntry).order_by(col(HistoryEntry.chain_seq)))
        return [row.model_dump() for row in rows]


def _postgres() -> bool:
    return get_write_engine().dialect.name == "postgresql"


@contextmanager
def triggers_off(*tables: str) -> Iterator[Connection]:
    """One transaction with the tables' triggers out of the way, put back at the end."""
    tables = tables or ("history",)
    with get_write_engine().begin() as conn:
        if _postgres():
            for table in tables:
                conn.execute(text(f"ALTER TABLE {table} DISABLE TRIGGER USER"))
            yield conn
            for table in tables:
                conn.execute(text(f"ALTER TABLE {table} ENABLE TRIGGER USER"))
            return
        triggers = conn.execute(
            text("SELECT name, sql, tbl_name FROM sqlite_master WHERE type = 'trigger'")
        ).all()
        saved = [(name, sql) for name, sql, table in triggers if table in tables]
        for name, _ in saved:
            conn.execute(text(f'DROP TRIGGER "{name}"'))
        yield conn
        for _, sql in saved:
            conn.execute(text(sql))


def _seal(entry: dict[str, Any], key: bytes) -> None:
    """What an attacker can do: seal an entry with the verifier's own recipe and their key."""
    entry["content_mac"] = content_mac(key, entry)
    entry["hash"] = link_mac(key, entry["chain_seq"], entry["prev_hash"], entry["content_mac"])


HISTORY = table_of(HistoryEntry)


def _write(conn: Connection, entry: dict[str, Any]) -> None:
    sealed = {k: entry[k] for k in ("reason", "content_mac", "prev_hash", "hash")}
    conn.execute(HISTORY.update().where(HISTORY.c.id == entry["id"]).values(**sealed))


def _insert(conn: Connection, entry: dict[str, Any]) -> None:
    conn.execute(HISTORY.insert().values({k: v for k, v in entry.items() if k != "id"}))


def _verify(admin: Any) -> dict[str, Any]:
    answer = admin.get("/admin/history/verify")
    assert answer.status_code == 200, answer.text
    return answer.json()


def _cli() -> Any:
    from workflow.cli import app

    return CliRunner().invoke(app, ["verify-history"])


def _problems(admin: Any, kind: str) -> list[dict[str, Any]]:
    answer = _verify(admin)
    assert answer["intact"] is False
    return [p for p in answer["problems"] if p["kind"] == kind]


@pytest.fixture
def two_logged(as_user) -> tuple[str, str]:
    """Two complaints logged and routed one after the other: the first one's entries all come
    before the second one's in the chain."""
    sales = as_user("sales")
    first = sales.log_complaint()["reference"]
    drain_outbox()
    second = sales.log_complaint()["reference"]
    drain_outbox()
    return first, second


@pytest.mark.parametrize(
    "statement",
    ["UPDATE history SET actor = 'mallory'", "DELETE FROM history"],
)
def test_the_database_refuses_to_change_history(two_logged, statement):
    with pytest.raises(DBAPIError, match="append-only"), get_write_engine().begin() as conn:
        conn.execute(text(statement))
    assert len(_history(two_logged[0])) >= 3


def test_every_entry_is_the_next_link_of_one_chain_and_verifies(two_logged, as_user):
    first, second = two_logged
    chain = _chain()
    assert [e["chain_seq"] for e in chain] == list(range(1, len(chain) + 1))
    assert chain[0]["prev_hash"] == "0" * 64
    assert all(b["prev_hash"] == a["hash"] for a, b in pairwise(chain))
    first_id = _complaint_id(first)
    assert [e["case_id"] == first_id for e in chain] == sorted(
        (e["case_id"] == first_id for e in chain), reverse=True
    )
    assert {e["key_id"] for e in chain} == {current_key()[0]}
    assert [e.seq for e in _history(second)] == list(range(1, len(_history(second)) + 1))

    admin = as_user("admin")
    assert _verify(admin) == {
        "intact": True,
        "entries_checked": len(chain),
        "complaints_checked": 2,
        "checkpoints_checked": 0,
        "problems": [],
        "problems_not_listed": 0,
    }
    intact = _cli()
    assert intact.exit_code == 0, intact.output
    assert f"history intact: {len(chain)} entries, 2 complaints, checked against 0 " in (
        intact.output
    )
    assert as_user("manager").get("/admin/history/verify").status_code == 403


def test_an_entry_rewritten_with_the_chain_recomputed_after_it_is_named(two_logged, as_user):
    first, _ = two_logged
    chain = _chain()
    target = next(e for e in chain if e["case_id"] == _complaint_id(first) and e["seq"] == 2)
    with triggers_off() as conn:
        previous = None
        for entry in chain[target["chain_seq"] - 1 :]:
            if previous is None:
                entry["reason"] = "nothing happened here"
                _seal(entry, ATTACKER_KEY)
            else:
                entry["prev_hash"] = previous
                entry["hash"] = link_mac(
                    ATTACKER_KEY, entry["chain_seq"], previous, entry["content_mac"]
                )
            _write(conn, entry)
            previous = entry["hash"]

    (problem,) = _problems(as_user("admin"), "rewritten_entry")
    assert (problem["first_entry"], problem["last_entry"]) == (target["chain_seq"], len(chain))
    assert problem["references"][0] == first
    result = _cli()
    assert result.exit_code == 1
    assert f"REWRITTEN ENTRY (entries {target['chain_seq']}-{len(chain)}, {first}" in result.output


def test_a_complaints_last_entry_deleted_leaves_a_gap_that_is_named(two_logged, as_user):
    first, _ = two_logged
    last_of_first = _history(first)[-1]
    with triggers_off() as conn:
        conn.execute(text("DELETE FROM history WHERE id = :id"), {"id": last_of_first.id})

    (gap,) = _problems(as_user("admin"), "missing_entries")
    assert gap["first_entry"] == gap["last_entry"] == last_of_first.chain_seq
    result = _cli()
    assert result.exit_code == 1
    assert f"MISSING ENTRIES (entry {last_of_first.chain_seq})" in result.output


def test_the_last_entry_of_the_chain_deleted_is_a_truncated_end(two_logged, as_user):
    last = _chain()[-1]
    with triggers_off() as conn:
        conn.execute(text("DELETE FROM history WHERE id = :id"), {"id": last["id"]})

    (cut,) = _problems(as_user("admin"), "truncated_end")
    assert cut["first_entry"] == cut["last_entry"] == last["chain_seq"]
    assert "chain head" in cut["detail"]
    assert "TRUNCATED END" in _cli().output


def test_a_forged_entry_appended_with_a_correct_link_is_named(two_logged, as_user):
    first, _ = two_logged
    last = _chain()[-1]
    forged = {
        **last,
        "case_id": _complaint_id(first),
        "seq": len(_history(first)) + 1,
        "action": "closed",
        "reason": "closed by the customer on the phone",
        "chain_seq": last["chain_seq"] + 1,
        "prev_hash": last["hash"],
    }
    _seal(forged, ATTACKER_KEY)
    with triggers_off() as conn:
        _insert(conn, forged)

    (problem,) = _problems(as_user("admin"), "forged_entry")
    assert problem["first_entry"] == problem["last_entry"] == forged["chain_seq"]
    assert problem["references"] == [first]
    result = _cli()
    assert result.exit_code == 1
    assert f"FORGED ENTRY (entry {forged['chain_seq']}, {first})" in result.output


def test_a_complaints_whole_history_deleted_is_named(two_logged, as_user):
    first, _ = two_logged
    removed = _history(first)
    with triggers_off() as conn:
        conn.execute(text("DELETE FROM history WHERE case_id = :c"), {"c": removed[0].case_id})

    admin = as_user("admin")
    (gone,) = _problems(admin, "complaint_history_removed")
    assert gone["references"] == [first]
    assert "no history at all" in gone["detail"]
    gaps = _problems(admin, "missing_entries")
    assert [(g["first_entry"], g["last_entry"]) for g in gaps] == [(1, removed[-1].chain_seq)]
    result = _cli()
    assert result.exit_code == 1
    assert f"COMPLAINT HISTORY REMOVED ({first})" in result.output


@pytest.mark.parametrize(
    ("position", "link"),
    [(2, "head"), (1, "other"), (0, "head")],
    ids=["skips-a-position", "wrong-previous-hash", "takes-the-head-position"],
)
def test_the_database_refuses_an_insert_that_is_not_the_next_link(
    two_logged, as_user, position, link
):
    chain = _chain()
    last = chain[-1]
    forged = {
        **last,
        "seq": last["seq"] + 1,
        "chain_seq": last["chain_seq"] + position,
        "prev_hash": last["hash"] if link == "head" else chain[-2]["hash"],
    }
    _seal(forged, ATTACKER_KEY)
    with pytest.raises(DBAPIError, match="not the next link"), get_write_engine().begin() as conn:
        _insert(conn, forged)
    assert _verify(as_user("admin"))["intact"] is True


def test_the_trigger_cannot_check_the_key_so_a_well_linked_forgery_is_left_to_the_verifier(
    two_logged, as_user
):
    last = _chain()[-1]
    forged = {**last, "seq": last["seq"] + 1, "chain_seq": last["chain_seq"] + 1}
    forged["prev_hash"] = last["hash"]
    _seal(forged, ATTACKER_KEY)
    with get_write_engine().begin() as conn:
        _insert(conn, forged)
    (problem,) = _problems(as_user("admin"), "forged_entry")
    assert problem["first_entry"] == forged["chain_seq"]


def _checkpoint() -> int:
    from flows.checkpoint_history import checkpoint_history

    position = checkpoint_history()
    assert position is not None
    return position


@pytest.mark.parametrize("checkpointed", [False, True], ids=["no-checkpoint", "checkpoint"])
def test_entries_resealed_with_a_wrong_key_are_found(two_logged, as_user, checkpointed):
    first, _ = two_logged
    if checkpointed:
        assert _checkpoint() == len(_chain())
    chain = _chain()
    start = _history(first)[1].chain_seq
    with triggers_off() as conn:
        previous = chain[start - 2]["hash"]
        for entry in chain[start - 1 :]:
            entry["reason"] = "rewritten" if entry["chain_seq"] == start else entry["reason"]
            entry["prev_hash"] = previous
            _seal(entry, ATTACKER_KEY)
            _write(conn, entry)
            previous = entry["hash"]

    answer = _verify(as_user("admin"))
    found = [(p["kind"], p["first_entry"], p["last_entry"]) for p in answer["problems"]]
    if not checkpointed:
        assert found == [("forged_entry", start, len(chain))]
        assert "only a checkpoint" in answer["problems"][0]["detail"]
        return
    assert sorted(found) == [
        ("rewritten_entry", start, len(chain)),
        ("rewritten_entry", len(chain), len(chain)),
    ]
    assert any("another hash than the checkpoint" in p["detail"] for p in answer["problems"])


def test_a_truncation_after_a_checkpoint_is_found_though_the_table_and_head_were_fixed(
    two_logged, as_user, settings
):
    admin = as_user("admin")
    head = _checkpoint()
    log = settings.var_dir / "checkpoints" / "history.log"
    (line,) = log.read_text().splitlines()
    assert json.loads(line)["entry"] == head
    assert _verify(admin)["checkpoints_checked"] == 2  # the table's and the file's
    assert "checked against 2 checkpoints" in _cli().output

    kept = _chain()[head - 3]
    with triggers_off("history", "history_checkpoint") as conn:
        conn.execute(text("DELETE FROM history WHERE chain_seq > :n"), {"n": kept["chain_seq"]})
        conn.execute(text("DELETE FROM history_checkpoint"))
        conn.execute(
            text("UPDATE history_head SET seq = :seq, hash = :hash"),
            {"seq": kept["chain_seq"], "hash": kept["hash"]},
        )

    (cut,) = _problems(admin, "truncated_end")
    assert (cut["first_entry"], cut["last_entry"]) == (head - 1, head)
    assert "history.log line 1" in cut["detail"]
    result = _cli()
    assert result.exit_code == 1
    assert f"TRUNCATED END (entries {head - 1}-{head})" in result.output


def test_a_checkpoint_line_that_is_not_one_is_reported(two_logged, as_user, settings):
    _checkpoint()
    with (settings.var_dir / "checkpoints" / "history.log").open("a") as log:
        log.write("entry 12 was fine, trust me\n")
    (problem,) = _problems(as_user("admin"), "unreadable_checkpoint")
    assert "history.log line 2 is not a checkpoint" in problem["detail"]
    assert _cli().exit_code == 1


def test_entries_sealed_under_a_retired_key_still_verify_after_rotation(
    settings, as_user, monkeypatch
):
    old_key, new_key = "old history key " + "o" * 32, "new history key " + "n" * 32
    monkeypatch.setenv("CW_HISTORY_KEY", old_key)
    get_settings.cache_clear()
    sales, admin = as_user("sales"), as_user("admin")
    sales.log_complaint()
    drain_outbox()
    written_before = len(_chain())

    monkeypatch.setenv("CW_HISTORY_KEY", new_key)
    monkeypatch.setenv("CW_HISTORY_RETIRED_KEYS", json.dumps([old_key]))
    get_settings.cache_clear()
    sales.log_complaint()
    drain_outbox()
    key_ids = [e["key_id"] for e in _chain()]
    assert key_ids[:written_before] == [key_id_of(old_key)] * written_before
    assert set(key_ids[written_before:]) == {key_id_of(new_key)}
    assert _verify(admin)["intact"] is True
    assert _cli().exit_code == 0

    monkeypatch.delenv("CW_HISTORY_RETIRED_KEYS")
    get_settings.cache_clear()
    (unknown,) = _problems(admin, "unknown_key")
    assert (unknown["first_entry"], unknown["last_entry"]) == (1, written_before)
    assert key_id_of(old_key) in unknown["detail"]


class _StrongProduction(TypedDict):
    environment: Literal["production"]
    secret_key: str


@pytest.mark.parametrize(
    ("current", "retired"),
    [
        ("", []),
        ("too short", []),
        (DEV_HISTORY_KEY, []),
        ("k" * 40, []),
        (STRONG_HISTORY_KEY, ["short"]),
    ],
    ids=["empty", "short", "development-key", "one-character", "short-retired-key"],
)
def test_production_refuses_a_weak_history_key(current, retired):
    strong: _StrongProduction = {"environment": "production", "secret_key": STRONG_SECRET_KEY}
    with pytest.raises(ValidationError, match="CW_HISTORY_"):
        Settings(**strong, history_key=current, history_retired_keys=retired)
    assert Settings(
        **strong, history_key=STRONG_HISTORY_KEY, history_retired_keys=[STRONG_SECRET_KEY]
    )


def test_two_writers_of_different_complaints_never_break_the_chain(two_logged, as_user):
    """On PostgreSQL writers of different complaints run at once and meet at the chain's head."""
    answers: list[int] = []
    start = threading.Barrier(2)

    def wait_and_answer(reference: str) -> None:
        sales = as_user("sales")
        start.wait()
        for round_ in range(25):
            path = f"/complaints/{reference}"
            waiting = sales.post(f"{path}/wait-for-customer", json={"reason": f"round {round_}"})
            answered = sales.post(f"{path}/customer-answered", json={"note": f"round {round_}"})
            answers.extend([waiting.status_code, answered.status_code])

    writers = [threading.Thread(target=wait_and_answer, args=(r,)) for r in two_logged]
    for writer in writers:
        writer.start()
    for writer in writers:
        writer.join(timeout=300)
    assert answers == [200] * 100
    chain = _chain()
    assert [e["chain_seq"] for e in chain] == list(range(1, len(chain) + 1))
    verified = _verify(as_user("admin"))
    assert verified["intact"] is True, verified["problems"]
    assert verified["entries_checked"] == len(chain)


def test_the_managers_digest_carries_the_chain_head(as_user, mailbox):
    from flows.send_digests import send_digests

    berlin = ZoneInfo("Europe/Berlin")
    freeze_at(datetime(2026, 11, 23, 9, 0, tzinfo=berlin))
    as_user("sales").log_complaint()
    drain_outbox()
    freeze_at(datetime(2026, 11, 24, 10, 0, tzinfo=berlin))
    head = _chain()[-1]
    assert asyncio.run(send_digests()) == 2
    digest = next(m for m in mailbox.snapshot() if m["Subject"].startswith("Daily digest"))
    assert f"history: entry {head['chain_seq']}, hash {head['hash']}" in mail_body(digest)


# The customer table as revision 0004 has it: the model's later columns are not there yet.
OLD_CUSTOMER = sa.table(
    "customer",
    sa.column("id"),
    sa.column("name"),
    sa.column("email"),
    sa.column("notification_targets", sa.JSON),
    sa.column("created_at", UTCDateTime()),
)
OLD_HISTORY = sa.table(
    "history",
    *(sa.column(name, sa.Integer) for name in ("id", "complaint_id", "seq")),
    sa.column("at", UTCDateTime()),
    *(sa.column(n, sa.String) for n in ("actor", "action", "from_status", "to_status", "reason")),
    sa.column("changes", sa.JSON),
    *(sa.column(name, sa.String) for name in ("prev_hash", "hash")),
)


def _old_style_hash(row: dict[str, Any]) -> str:
    """How entries were hashed before 0005: plain SHA-256, chained per complaint."""
    content = {k: v for k, v in row.items() if k not in ("id", "hash")}
    content["at"] = row["at"].isoformat()
    canonical = json.dumps(content, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


@pytest.fixture
def database_at_0004(tmp_path, fresh_databases, monkeypatch) -> Iterator[Any]:
    """An empty database migrated to 0004 with the demo users, on the backend under test."""
    from alembic.config import Config

    from workflow.stack import PROJECT_DIR

    url = ""
    if os.environ.get("CW_TEST_DATABASE_URL"):
        name = f"{fresh_databases.prefix}_at_0004"
        with fresh_databases.admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        fresh_databases.created.add(name)
        url = fresh_databases.url.set(database=name).render_as_string(hide_password=False)
    for variable, value in {"CW_VAR_DIR": str(tmp_path), "CW_DATABASE_URL": url}.items():
        monkeypatch.setenv(variable, value)
    monkeypatch.setenv("CW_ENVIRONMENT", "test")
    get_settings.cache_clear()
    reset_engines()
    config = Config(str(PROJECT_DIR / "alembic.ini"))
    config.attributes["configure_logger"] = False
    try:
        command.upgrade(config, "0004")
        _sales_user_at_0004()
        yield config
    finally:
        reset_engines()
        get_settings.cache_clear()
        if url:
            fresh_databases.drop({"CW_DATABASE_URL": url})


# The user table as revision 0004 has it: today's model has columns added since.
OLD_USER = sa.table(
    "user",
    *(sa.column(n, sa.String) for n in ("username", "full_name", "email", "role")),
    *(sa.column(n, sa.String) for n in ("department", "hashed_password")),
    sa.column("is_active", sa.Boolean),
    sa.column("digest_enabled", sa.Boolean),
    sa.column("created_at", UTCDateTime()),
)


def _sales_user_at_0004() -> None:
    """The one user the old complaints need (their ``received_by``)."""
    with get_write_engine().begin() as conn:
        conn.execute(
            OLD_USER.insert().values(
                username="sales",
                full_name="Sam Sales",
                email="sales@example.com",
                role="sales",
                department="sales",
                hashed_password="not-a-password-hash",
                is_active=True,
                digest_enabled=False,
                created_at=datetime(2026, 11, 1, tzinfo=ZoneInfo("UTC")),
            )
        )


def _old_complaints_with_history(tamper: bool) -> list[tuple[int, int]]:
    """Two complaints whose old-style entries interleave in time; (complaint, seq) in time
    order, ties broken by id."""
    start = datetime(2026, 11, 2, 9, 0, tzinfo=ZoneInfo("UTC"))
    engine = get_write_engine()
    with engine.begin() as conn:
        sales = conn.execute(text("SELECT id FROM \"user\" WHERE username = 'sales'")).scalar()
        conn.execute(
            OLD_CUSTOMER.insert(),
            [
                {
                    "id": 1,
                    "name": "Jane",
                    "email": "j@acme.example",
                    "notification_targets": [],
                    "created_at": start,
                }
            ],
        )
        conn.execute(
            table_of(Complaint).insert(),
            [
                {
                    "id": i,
                    "kind": "complaint",
                    "channel": "phone",
                    "product": "Pump",
                    "description": "Leaks.",
                    "severity": "major",
                    "reference": f"OLD-{i}",
                    "customer_id": 1,
                    "received_at": start,
                    "received_by_id": sales,
                    "status": "received",
                    "cycle": 1,
                    "created_at": start,
                    "updated_at": start,
                    "version": 1,
                    "status_token": f"token-{i}",
                }
                for i in (1, 2)
            ],
        )
        offsets = {1: (0, 2, 4), 2: (1, 3, 4)}
        for complaint_id, seconds in offsets.items():
            previous = "0" * 64
            for seq, offset in enumerate(seconds, start=1):
                row = {
                    "complaint_id": complaint_id,
                    "seq": seq,
                    "at": start + timedelta(seconds=offset),
                    "actor": "sales",
                    "action": "logged" if seq == 1 else "note",
                    "from_status": None,
                    "to_status": "received",
                    "changes": {"n": seq},
                    "reason": None,
                    "prev_hash": previous,
                }
                row["hash"] = previous = _old_style_hash(row)
                if tamper and (complaint_id, seq) == (2, 2):
                    row["reason"] = "changed after it was hashed"
                conn.execute(OLD_HISTORY.insert().values(row))
    return [(1, 1), (2, 1), (1, 2), (2, 2), (1, 3), (2, 3)]


def test_the_migration_seals_existing_history_in_time_order(database_at_0004):
    expected_order = _old_complaints_with_history(tamper=False)
    command.upgrade(database_at_0004, "head")

    chain = _chain()
    assert [(e["case_id"], e["seq"]) for e in chain] == expected_order
    assert [e["chain_seq"] for e in chain] == [1, 2, 3, 4, 5, 6]
    result = verify_history()
    assert (result.intact, result.entries, result.complaints) == (True, 6, 2), result.problems
    with write_session() as session:
        lock_complaint_by_id(session, 1)
        record_history(
            session,
            case_id=1,
            actor="admin",
            action=HistoryAction.task_claimed,
            reason="after 0005",
        )
        session.commit()
    assert _chain()[-1]["chain_seq"] == 7
    assert verify_history().intact


def test_the_migration_refuses_to_seal_an_old_chain_that_does_not_verify(
    database_at_0004, monkeypatch
):
    _old_complaints_with_history(tamper=True)
    with pytest.raises(RuntimeError, match="complaint id 2 entry 2"):
        command.upgrade(database_at_0004, "head")
    with read_session() as session:
        assert session.execute(text("SELECT count(*) FROM history")).scalar() == 6

    monkeypatch.setenv("CW_HISTORY_RESEAL_BROKEN", "1")
    command.upgrade(database_at_0004, "head")
    assert verify_history().entries == 6
