"""The migrations build the schema the models describe, and carry existing data along."""

import json
import warnings
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlalchemy import Connection, create_engine, text
from sqlalchemy.exc import IntegrityError
from sqlmodel import SQLModel

import models  # noqa: F401 - registers every table
from workflow import db
from workflow.config import Settings

ROOT = Path(__file__).resolve().parent.parent


def _schema_differences(url: str) -> list:
    engine = create_engine(url)
    try:
        with engine.connect() as connection, warnings.catch_warnings():
            # Expression indexes cannot be reflected on SQLite: alembic says so and skips them.
            warnings.simplefilter("ignore")
            return compare_metadata(MigrationContext.configure(connection), SQLModel.metadata)
    finally:
        engine.dispose()


def _sqlite_history_status_width(difference: object) -> bool:
    """SQLite keeps history.from/to_status at their first width: it does not enforce VARCHAR
    lengths, and rebuilding that table would drop its append-only triggers (migration 0002)."""
    return (
        isinstance(difference, list)
        and difference[0][0] == "modify_type"
        and difference[0][2] == "history"
        and difference[0][3] in ("from_status", "to_status")
    )


def _reflected_differently(differences: list) -> set[str]:
    """Expression indexes PostgreSQL reflects in words of its own (``trim(x)`` comes back as
    ``TRIM(BOTH FROM x)``): the same index, removed and added again by name. One that is
    only added or only removed is a real difference and stays."""

    def names(kind: str) -> set[str]:
        return {d[1].name for d in differences if isinstance(d, tuple) and d[0] == kind}

    return names("remove_index") & names("add_index") & {"ix_complaint_lot_key"}


def test_the_migrations_build_the_schema_the_models_describe(settings: Settings):
    url = settings.sqlalchemy_url
    differences = [d for d in _schema_differences(url) if not _sqlite_history_status_width(d)]
    same = _reflected_differently(differences)
    differences = [d for d in differences if not (isinstance(d, tuple) and d[1].name in same)]
    assert differences == []


def _alembic(url: str) -> Config:
    config = Config(str(ROOT / "alembic.ini"))
    config.attributes["configure_logger"] = False
    config.attributes["url"] = url
    return config


NOW = "2026-11-02 09:00:00"


def _insert(connection: Connection, table: str, row: dict) -> None:
    """A row as the old schema held it (names are this test's own, values are bound)."""
    columns = ", ".join(row)
    values = ", ".join(f":{name}" for name in row)
    connection.execute(text(f'INSERT INTO "{table}" ({columns}) VALUES ({values})'), row)  # noqa: S608


def test_subtasks_and_milestone_clocks_of_existing_rounds_are_carried_over(tmp_path, monkeypatch):
    """Data written before migration 0006 (SQLite): a sub-task's parent moves from its JSON
    result into a foreign key, and quality's milestone clocks are attached to its task."""
    monkeypatch.setenv("CW_VAR_DIR", str(tmp_path))
    monkeypatch.setenv("CW_DATABASE_URL", "")
    url = f"sqlite:///{tmp_path / 'old.db'}"
    command.upgrade(_alembic(url), "0004")
    engine = db.build_engine(url)
    rows = {
        "user": {
            "id": 1, "username": "q", "full_name": "Q", "email": "q@example.com",
            "role": "quality", "hashed_password": "x", "is_active": 1, "digest_enabled": 1,
            "created_at": NOW,
        },
        "customer": {
            "id": 1, "name": "Jane", "email": "jane@acme.example",
            "notification_targets": "[]", "created_at": NOW,
        },
        "complaint": {
            "id": 1, "kind": "complaint", "channel": "phone", "product": "Pump",
            "description": "Leaks", "severity": "major", "reference": "CMP-2026-000001",
            "customer_id": 1, "received_at": NOW, "received_by_id": 1,
            "status": "with_quality", "cycle": 1, "created_at": NOW, "updated_at": NOW,
            "version": 3,
        },
    }  # fmt: skip
    tasks = [
        {"id": 1, "kind": "quality_assessment", "department": "quality", "event": "event-1",
         "result": "{}"},
        {"id": 2, "kind": "subtask", "department": "technical", "event": "made-up",
         "result": json.dumps({"request": "Test it", "parent_task_id": 1})},
    ]  # fmt: skip
    with engine.begin() as connection:
        for table, row in rows.items():
            _insert(connection, table, row)
        for task in tasks:
            _insert(
                connection,
                "task",
                {
                    "id": task["id"], "complaint_id": 1, "department": task["department"],
                    "kind": task["kind"], "status": "open", "source_event_id": task["event"],
                    "created_at": NOW, "due_at": NOW, "result": task["result"],
                },
            )  # fmt: skip
        for step, task_id in (("quality_result", 1), ("first_assessment", None)):
            _insert(
                connection,
                "deadline",
                {
                    "complaint_id": 1, "task_id": task_id, "step": step, "cycle": 1,
                    "department": "quality", "hours": 9, "business_time": 1,
                    "reminder_fraction": 0.75, "escalation_interval_hours": 4,
                    "started_at": NOW, "due_at": NOW, "remind_at": NOW, "paused_hours": 0,
                    "escalation_level": 0,
                },
            )  # fmt: skip
    engine.dispose()

    command.upgrade(_alembic(url), "head")

    engine = db.build_engine(url)
    with engine.connect() as connection:
        migrated_tasks = connection.execute(
            text("SELECT id, parent_task_id, source_event_id FROM task ORDER BY id")
        ).all()
        clocks = connection.execute(text("SELECT step, task_id FROM deadline ORDER BY id")).all()
    engine.dispose()
    assert [tuple(t) for t in migrated_tasks] == [(1, None, "event-1"), (2, 1, None)]
    assert [tuple(c) for c in clocks] == [("quality_result", 1), ("first_assessment", 1)]

    command.downgrade(_alembic(url), "0005")  # and back: the old shape holds the same data
    engine = db.build_engine(url)
    with engine.connect() as connection:
        subtask = connection.execute(text("SELECT source_event_id FROM task WHERE id = 2")).one()
    engine.dispose()
    assert subtask[0] == "subtask-2"
    command.upgrade(_alembic(url), "head")


def test_an_upgraded_install_gets_one_empty_company_profile_that_goes_down_and_up_again(
    tmp_path, monkeypatch
):
    """Migration 0026: the one profile row is made empty (the settings apply until an admin
    fills it in), a second row is refused, and the downgrade removes the table."""
    monkeypatch.setenv("CW_VAR_DIR", str(tmp_path))
    monkeypatch.setenv("CW_DATABASE_URL", "")
    url = f"sqlite:///{tmp_path / 'old.db'}"
    command.upgrade(_alembic(url), "0024")
    command.upgrade(_alembic(url), "head")
    engine = db.build_engine(url)
    with engine.connect() as connection:
        rows = connection.execute(
            text("SELECT id, name, mail_display_name, version, logo FROM company_profile")
        ).all()
    assert [tuple(r) for r in rows] == [(1, "", "", "initial", None)]
    with engine.begin() as connection, pytest.raises(IntegrityError):
        connection.execute(text("INSERT INTO company_profile (id, name) VALUES (2, 'Second')"))
    engine.dispose()

    command.downgrade(_alembic(url), "0024")
    engine = db.build_engine(url)
    with engine.connect() as connection:
        tables = connection.execute(text("SELECT name FROM sqlite_master WHERE type='table'"))
        assert "company_profile" not in {t[0] for t in tables}
    engine.dispose()
    command.upgrade(_alembic(url), "head")
