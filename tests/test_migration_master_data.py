"""Migration 0011 on a database with data (SQLite, or PostgreSQL under CW_TEST_DATABASE_URL):
the starter codes are loaded once, codes already there are kept as they are, and complaints
keep their free-text product, unmapped."""

import csv

from alembic import command
from alembic.config import Config
from sqlalchemy import text

from workflow import db
from workflow.stack import PROJECT_DIR

DATA = PROJECT_DIR / "workflow" / "data"


def _alembic() -> Config:
    config = Config(str(PROJECT_DIR / "alembic.ini"))
    config.attributes["configure_logger"] = False
    return config


def _migrate(revision: str, *, down: bool = False) -> None:
    (command.downgrade if down else command.upgrade)(_alembic(), revision)
    db.reset_engines()


def _codes(table: str) -> dict[str, str]:
    with db.read_session() as session:
        rows = session.execute(text(f"SELECT code, label FROM {table}")).all()  # noqa: S608
    return {str(code): str(label) for code, label in rows}


def _starter(filename: str) -> set[str]:
    with (DATA / filename).open(encoding="utf-8") as handle:
        return {row["code"] for row in csv.DictReader(handle)}


def test_existing_data_keeps_its_products_and_gets_the_starter_codes_once(as_user, settings):
    sales = as_user("sales")
    references = [sales.log_complaint(product=p)["reference"] for p in ("Pump P-200", "old valve")]
    _migrate("0009", down=True)  # before the quality loop: no code tables at all
    _migrate("0010")
    with db.write_session() as session:
        session.execute(
            text(
                "INSERT INTO defect_code (code, family, label, active, created_at) "
                "VALUES ('LK-SEAL', 'leak', 'Seal leak, our own words', :yes, CURRENT_TIMESTAMP)"
            ),
            {"yes": True},
        )
        session.commit()

    _migrate("head")
    defects, causes = _codes("defect_code"), _codes("cause_code")
    assert set(defects) == _starter("defect_codes.csv")
    assert defects["LK-SEAL"] == "Seal leak, our own words"  # kept, not doubled
    assert set(causes) == _starter("cause_codes.csv")
    with db.read_session() as session:
        rows = session.execute(
            text("SELECT reference, product, product_id FROM complaint ORDER BY id")
        ).all()
    assert [tuple(r) for r in rows] == [
        (references[0], "Pump P-200", None),
        (references[1], "old valve", None),
    ]

    _migrate("0010", down=True)
    _migrate("head")
    assert _codes("defect_code") == defects
    assert _codes("cause_code") == causes
    record = sales.record(references[1])
    assert (record["product"], record["product_mapped"]) == ("old valve", False)
