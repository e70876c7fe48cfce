"""Engines and sessions.

SQLite has one writer at a time: write transactions start with ``BEGIN IMMEDIATE`` so a
read-then-write never fails on lock upgrade, and WAL lets readers go on meanwhile.
PostgreSQL needs neither; there the write engine is the same engine.
"""

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from typing import Any

from sqlalchemy import Engine, event
from sqlalchemy.engine import make_url
from sqlmodel import Session, create_engine

from workflow.config import get_settings

logger = logging.getLogger(__name__)


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def _configure_sqlite(
    engine: Engine, *, immediate: bool, busy_timeout_ms: int, max_page_count: int
) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control from pysqlite so our BEGIN is the one that runs.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        # Overwrite what is deleted or replaced: an erased customer's values must not stay
        # readable in the file's free space (docs/architecture.md, "Personal data").
        cursor.execute("PRAGMA secure_delete=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        if max_page_count:
            cursor.execute(f"PRAGMA max_page_count={int(max_page_count)}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def build_engine(url: str, *, immediate: bool = False, side: bool = False) -> Engine:
    settings = get_settings()
    if is_sqlite(url):
        db_path = make_url(url).database
        if db_path and db_path != ":memory:":
            from pathlib import Path

            Path(db_path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": 30},
            # One writer at a time per process: threads wait their turn in the pool's queue
            # (woken in order) instead of in SQLite's busy handler (sleep-and-retry), which
            # under load left the lock idle between retries and timed requests out.
            **({"pool_size": 1, "max_overflow": 0, "pool_timeout": 30} if immediate else {}),
        )
        _configure_sqlite(
            engine,
            immediate=immediate,
            busy_timeout_ms=settings.sqlite_busy_timeout_ms,
            max_page_count=settings.sqlite_max_page_count,
        )
        return engine
    if side:  # short one-statement reads: a few connections are plenty
        return create_engine(url, pool_pre_ping=True, pool_size=2, max_overflow=3)
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)


@lru_cache
def get_engine() -> Engine:
    return build_engine(get_settings().sqlalchemy_url)


@lru_cache
def get_side_engine() -> Engine:
    """A pool of its own for one-statement reads a transaction in progress may need (the
    business calendar's and the company profile's versions): from the main pool they could
    wait for connections held by requests that wait for this very transaction's locks."""
    return build_engine(get_settings().sqlalchemy_url, side=True)


@lru_cache
def get_write_engine() -> Engine:
    url = get_settings().sqlalchemy_url
    return build_engine(url, immediate=True) if is_sqlite(url) else get_engine()


def clear_write_ahead_log(attempts: int = 8) -> bool:
    """SQLite: copy the write-ahead log into the database and empty it, so replaced values
    no longer linger in its old frames. False when readers kept it from finishing."""
    url = get_settings().sqlalchemy_url
    if not is_sqlite(url):
        return True
    connection = get_engine().raw_connection()
    try:
        for attempt in range(attempts):
            cursor = connection.cursor()
            busy, _, _ = cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
            cursor.close()
            if not busy:
                return True
            time.sleep(0.2 * (attempt + 1))
        logger.warning("the write-ahead log is still in use: it is emptied at a later checkpoint")
        return False
    finally:
        connection.close()


def reset_engines() -> None:
    """Forget cached engines (after settings change, e.g. in tests)."""
    for cached in (get_engine, get_write_engine, get_side_engine):
        if cached.cache_info().currsize:
            cached().dispose()
        cached.cache_clear()


@contextmanager
def read_session() -> Iterator[Session]:
    with Session(get_engine(), expire_on_commit=False) as session:
        yield session


@contextmanager
def write_session() -> Iterator[Session]:
    """A session that takes the write lock up front (SQLite) and rolls back on error."""
    with Session(get_write_engine(), expire_on_commit=False) as session:
        try:
            yield session
        except BaseException:
            session.rollback()
            raise
