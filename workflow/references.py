"""Human references, unique per prefix and year: CMP-2026-000042."""

import secrets

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session

from models.base import table_of
from models.complaint import ReferenceCounter
from workflow.rules import Kind

PREFIXES = {Kind.complaint: "CMP"}
FEEDBACK_PREFIX = "FBK"
REVIEW_PREFIX = "CR"  # a contract or order review
CONTRACT_PREFIX = "CT"  # an accepted contract or order in the ledger


def provisional_reference() -> str:
    """A new record's unique placeholder until ``next_reference`` is taken, in the same
    transaction: never committed, so never seen."""
    return "new-" + secrets.token_hex(12)


def next_reference(session: Session, kind: Kind, year: int) -> str:
    """A complaint's or a feedback's next reference."""
    return take_reference(session, PREFIXES.get(kind, FEEDBACK_PREFIX), year)


def take_reference(session: Session, prefix: str, year: int) -> str:
    """Take the next number in the caller's transaction (an upsert: no race on first use)."""
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    table = table_of(ReferenceCounter)
    statement = (
        insert(table)
        .values(prefix=prefix, year=year, last_value=1)
        .on_conflict_do_update(
            index_elements=["prefix", "year"],
            set_={"last_value": table.c.last_value + 1},
        )
        .returning(table.c.last_value)
    )
    number = session.execute(statement).scalar_one()
    return f"{prefix}-{year}-{number:06d}"
