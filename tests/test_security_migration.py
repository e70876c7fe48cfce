"""Migration 0008 on a database with data: the stored SMTP URLs go, the customer's token is
withheld in stored bodies, extra targets get their channel, and the history stays
append-only (SQLite rebuilds only the notification table)."""

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import inspect, text
from sqlalchemy.exc import DatabaseError

from workflow import db
from workflow.stack import PROJECT_DIR

PASSWORD = "Stored-Smtp-Secret-99"  # what the old ledger kept in its URLs


def _alembic() -> Config:
    config = Config(str(PROJECT_DIR / "alembic.ini"))
    config.attributes["configure_logger"] = False
    return config


def _insert_old_notices(complaint_id: int, token: str) -> None:
    body = (
        f"<a href='http://127.0.0.1:8000/status/{token}'>http://127.0.0.1:8000/status/{token}</a>"
    )
    rows = [
        ("acknowledgement", "jane@acme.example", f"mailto://relay:{PASSWORD}@smtp.example:587"),
        ("acknowledgement", "mailto://ops@example.com", "mailto://ops@example.com"),
    ]
    with db.write_session() as session:
        for number, (kind, recipient, url) in enumerate(rows):
            session.execute(
                text(
                    "INSERT INTO notification (kind, recipient, channel, subject, status, "
                    "attempts, created_at, complaint_id, dedupe_key, target_url, body_text, "
                    "body_html) VALUES (:kind, :recipient, 'email', 'Ack', 'pending', 0, "
                    "CURRENT_TIMESTAMP, :complaint, :key, :url, :body, :body)"
                ),
                {
                    "kind": kind,
                    "recipient": recipient,
                    "complaint": complaint_id,
                    "key": f"old-{number}",
                    "url": url,
                    "body": body,
                },
            )
        session.commit()


def test_the_migration_drops_stored_credentials_and_withholds_tokens(as_user, settings):
    reference = as_user("sales").log_complaint()["reference"]
    command.downgrade(_alembic(), "0007")
    db.reset_engines()
    with db.read_session() as session:
        complaint_id, token = session.execute(
            text("SELECT id, status_token FROM complaint WHERE reference = :r"), {"r": reference}
        ).one()
    _insert_old_notices(complaint_id, token)

    command.upgrade(_alembic(), "head")
    db.reset_engines()
    with db.read_session() as session:
        columns = {c["name"] for c in inspect(session.connection()).get_columns("notification")}
        rows = session.execute(
            text("SELECT recipient, channel, body_text, body_html FROM notification")
        ).all()
    assert "target_url" not in columns
    assert {(r.recipient, r.channel) for r in rows} == {
        ("jane@acme.example", "email"),
        ("mailto://ops@example.com", "apprise"),
    }
    for row in rows:
        assert token not in row.body_text + row.body_html
        assert "/status/[customer-only]" in row.body_text
        assert PASSWORD not in row.body_text + row.recipient

    with db.write_session() as session, pytest.raises(DatabaseError):  # still append-only
        session.execute(text("UPDATE history SET actor = 'someone else'"))
