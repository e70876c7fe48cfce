"""The history is append-only in the database and hash-chained."""

from itertools import pairwise

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlmodel import select

from models.complaint import Complaint
from tests.support import drain_outbox
from workflow.db import get_write_engine, read_session
from workflow.history import list_history, verify_chain


def _history(reference: str):
    with read_session() as session:
        complaint = session.exec(select(Complaint).where(Complaint.reference == reference)).one()
        return list_history(session, complaint.id)


@pytest.fixture
def logged(as_user) -> str:
    reference = as_user("sales").log_complaint()["reference"]
    drain_outbox()
    return reference


@pytest.mark.parametrize(
    "statement",
    ["UPDATE history SET actor = 'mallory'", "DELETE FROM history"],
)
def test_the_database_refuses_to_change_history(logged, statement):
    with pytest.raises(DBAPIError, match="append-only"), get_write_engine().begin() as conn:
        conn.execute(text(statement))
    assert len(_history(logged)) >= 3


def test_the_chain_verifies_and_an_edit_made_around_the_trigger_is_found(logged, settings):
    entries = _history(logged)
    assert verify_chain(entries) is None
    assert entries[0].prev_hash == "0" * 64
    assert all(b.prev_hash == a.hash for a, b in pairwise(entries))

    engine = get_write_engine()
    trigger = "history_no_update"
    if engine.dialect.name == "postgresql":
        drop, restore = (
            "ALTER TABLE history DISABLE TRIGGER history_append_only",
            ("ALTER TABLE history ENABLE TRIGGER history_append_only"),
        )
    else:
        drop, restore = f"DROP TRIGGER {trigger}", None
    with engine.begin() as conn:
        conn.execute(text(drop))
        conn.execute(
            text("UPDATE history SET actor = 'mallory' WHERE id = :id"), {"id": entries[1].id}
        )
        if restore:
            conn.execute(text(restore))
    assert verify_chain(_history(logged)) == entries[1].seq


def _tamper(entry_id: int) -> None:
    engine = get_write_engine()
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("ALTER TABLE history DISABLE TRIGGER history_append_only"))
        else:
            conn.execute(text("DROP TRIGGER history_no_update"))
        conn.execute(text("UPDATE history SET reason = 'edited' WHERE id = :id"), {"id": entry_id})
        if engine.dialect.name == "postgresql":
            conn.execute(text("ALTER TABLE history ENABLE TRIGGER history_append_only"))


def test_verify_history_names_the_first_broken_row_from_the_cli_and_the_admin_route(
    logged, as_user
):
    from typer.testing import CliRunner

    from workflow.cli import app

    runner = CliRunner()
    intact = runner.invoke(app, ["verify-history"])
    assert intact.exit_code == 0, intact.output
    assert "history intact: 1 complaints verified" in intact.output
    admin = as_user("admin")
    assert admin.get("/admin/history/verify").json() == {
        "complaints_checked": 1,
        "intact": True,
        "broken": [],
    }
    assert as_user("manager").get("/admin/history/verify").status_code == 403

    entries = _history(logged)
    _tamper(entries[2].id)
    broken = runner.invoke(app, ["verify-history"])
    assert broken.exit_code == 1
    assert f"BROKEN {logged}: history entry 3 does not verify" in broken.output
    answer = admin.get("/admin/history/verify").json()
    assert answer["intact"] is False
    assert answer["broken"] == [{"reference": logged, "first_broken_seq": 3}]
