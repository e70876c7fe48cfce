"""Migration 0018 on a database with customers (SQLite, or PostgreSQL under
CW_TEST_DATABASE_URL): existing customers get the company's language and time zone of the
day, and a new customer after it names their own."""

from alembic import command
from alembic.config import Config
from sqlalchemy import inspect, text

from tests.conftest import _reset_caches
from workflow import db
from workflow.stack import PROJECT_DIR


def _migrate(revision: str, *, down: bool = False) -> None:
    config = Config(str(PROJECT_DIR / "alembic.ini"))
    config.attributes["configure_logger"] = False
    (command.downgrade if down else command.upgrade)(config, revision)
    db.reset_engines()


def _customers() -> list[tuple[str, str, str]]:
    with db.read_session() as session:
        rows = session.execute(
            text("SELECT email, language, time_zone FROM customer ORDER BY id")
        ).all()
    return [(str(e), str(lang), str(zone)) for e, lang, zone in rows]


def _columns(table: str) -> set[str]:
    with db.read_session() as session:
        connection = session.connection()
        return {c["name"] for c in inspect(connection).get_columns(table)}


def _email_index_exists() -> bool:
    """Customers are found by address through ``lower(email)``: the index must survive."""
    with db.read_session() as session:
        sqlite = session.connection().dialect.name == "sqlite"
        query = (
            "SELECT name FROM sqlite_master WHERE type = 'index' AND name = :name"
            if sqlite
            else "SELECT indexname FROM pg_indexes WHERE indexname = :name"
        )
        return session.execute(text(query), {"name": "ix_customer_email_lower"}).first() is not None


def test_existing_customers_get_the_company_language_and_time_zone(as_user, monkeypatch):
    sales = as_user("sales")
    sales.log_complaint(customer={"name": "Old Customer", "email": "old@acme.example"})
    _migrate("0016", down=True)
    assert "language" not in _columns("customer")
    assert "language" not in _columns("notification")

    monkeypatch.setenv("CW_DEFAULT_LANGUAGE", "de")
    monkeypatch.setenv("CW_BUSINESS_TIMEZONE", "Europe/Vienna")
    _reset_caches()
    _migrate("head")
    assert _customers() == [("old@acme.example", "de", "Europe/Vienna")]
    assert "language" in _columns("notification")
    assert _email_index_exists()

    customer = {"name": "New", "email": "new@acme.example", "language": "es"}
    customer["time_zone"] = "America/Mexico_City"
    reference = sales.log_complaint(customer=customer)["reference"]
    assert sales.record(reference)["customer"]["language"] == "es"
    assert _customers()[1] == ("new@acme.example", "es", "America/Mexico_City")

    _migrate("0016", down=True)
    _migrate("head")
    assert [c[1:] for c in _customers()] == [("de", "Europe/Vienna")] * 2
    assert _email_index_exists()
