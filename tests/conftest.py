"""Real components for every test: a Prefect server, an SMTP server, HTTP, a SQL database.

One Prefect server per test session (``prefect_test_harness``, or the one named by
CW_TEST_PREFECT_API_URL); one SMTP server per session, emptied before each test; a fresh
database per test, copied from one migrated (and seeded with the demo users) at session start.

That is a SQLite file, unless CW_TEST_DATABASE_URL names a PostgreSQL database (e.g. the one
``.ci/postgres.sh`` prints): then the session migrates a template database on that server and
each test gets a database cloned from it (``CREATE DATABASE ... TEMPLATE``), dropped after the
test. The named database itself is only the connection that creates and drops the others, so its
role needs CREATEDB; the names carry the xdist worker and a random part.
"""

import os
import shutil
import time
import uuid
import warnings
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ProgrammingError
from sqlalchemy.pool import NullPool

os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")

from notifications.smtp_catcher import MailStore, SmtpCatcher
from tests.support import Api, ServerThread, free_port
from workflow import db
from workflow.calendar import forget_calendar
from workflow.clock import set_clock
from workflow.config import Settings, get_settings

TEST_DATABASE_URL = os.environ.get("CW_TEST_DATABASE_URL", "")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "sqlite_leg_only(reason): what the test checks does not depend on the database "
        "backend (a browser driving pages the HTTP tests also run on PostgreSQL, or state kept "
        "in a Prefect server of the test's own); CI's PostgreSQL leg skips it, saying why",
    )


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    if not TEST_DATABASE_URL:
        return
    for item in items:
        marker = item.get_closest_marker("sqlite_leg_only")
        if marker is not None:
            reason = marker.kwargs.get("reason") or (marker.args[0] if marker.args else "")
            item.add_marker(pytest.mark.skip(reason=f"run in the SQLite leg: {reason}"))


def pytest_report_header() -> str:
    if TEST_DATABASE_URL:
        return f"database: PostgreSQL, {make_url(TEST_DATABASE_URL)!r} (CW_TEST_DATABASE_URL)"
    return "database: SQLite (CW_TEST_DATABASE_URL not set)"


def _reset_caches() -> None:
    get_settings.cache_clear()
    db.reset_engines()
    forget_calendar()


def _migrate_and_seed(environment: dict[str, str]) -> None:
    """``complaints migrate`` and ``complaints seed-demo``, run as an operator runs them."""
    mp = pytest.MonkeyPatch()
    for name, value in {**environment, "CW_ENVIRONMENT": "test"}.items():
        mp.setenv(name, value)
    _reset_caches()
    try:
        from typer.testing import CliRunner

        from workflow.cli import app

        for command in (["migrate"], ["seed-demo"]):
            result = CliRunner().invoke(app, command)
            assert result.exit_code == 0, result.output
    finally:
        db.reset_engines()
        mp.undo()
        _reset_caches()


DROP_ATTEMPTS = 20


class FreshDatabases:
    """Hands out databases migrated to head with the demo users, copied from one template.

    ``new(directory)`` returns the environment pointing the application at a new one
    (CW_VAR_DIR is ``directory``, where the SQLite file goes); ``drop(environment)`` removes it
    early (on PostgreSQL; whatever is left is dropped at the end of the session).
    """

    def __init__(self, sqlite_template: Path | None = None, postgres_url: str = "") -> None:
        self.sqlite_template = sqlite_template
        self.created: set[str] = set()
        if not postgres_url:
            return
        self.url = make_url(postgres_url)
        if self.url.get_backend_name() != "postgresql":
            raise pytest.UsageError(f"CW_TEST_DATABASE_URL is not PostgreSQL: {self.url!r}")
        self.admin = create_engine(self.url, isolation_level="AUTOCOMMIT", poolclass=NullPool)
        worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
        self.prefix = f"cwtest_{worker}_{uuid.uuid4().hex[:8]}"
        self.template = f"{self.prefix}_template"
        self._cloner = ThreadPoolExecutor(max_workers=1, thread_name_prefix="clone-database")
        self._next: Future[str] | None = None

    def _url_of(self, name: str) -> str:
        return self.url.set(database=name).render_as_string(hide_password=False)

    def _execute(self, statement: str) -> None:
        with self.admin.connect() as connection:
            connection.execute(text(statement))

    def migrate_template(self, directory: Path) -> None:
        self._execute(f'CREATE DATABASE "{self.template}"')
        self.created.add(self.template)
        _migrate_and_seed(
            {"CW_VAR_DIR": str(directory), "CW_DATABASE_URL": self._url_of(self.template)}
        )

    def _clone(self) -> str:
        name = f"{self.prefix}_{uuid.uuid4().hex[:12]}"
        self._execute(f'CREATE DATABASE "{name}" TEMPLATE "{self.template}"')
        self.created.add(name)
        return name

    def new(self, directory: Path) -> dict[str, str]:
        if self.sqlite_template is not None:
            shutil.copy(self.sqlite_template, directory / "complaints.db")
            return {"CW_VAR_DIR": str(directory), "CW_DATABASE_URL": ""}
        # The next test's copy is made while this test runs.
        name = (self._next or self._cloner.submit(self._clone)).result()
        self._next = self._cloner.submit(self._clone)
        return {"CW_VAR_DIR": str(directory), "CW_DATABASE_URL": self._url_of(name)}

    def drop(self, environment: dict[str, str]) -> None:
        if self.sqlite_template is not None:
            return
        name = make_url(environment["CW_DATABASE_URL"]).database
        # FORCE: a connection some thread left open must not keep the database alive. A role
        # without pg_signal_backend cannot end an autovacuum worker on it: that one ends by
        # itself within moments, so try again.
        for attempt in range(DROP_ATTEMPTS):
            try:
                self._execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                break
            except ProgrammingError:
                if attempt == DROP_ATTEMPTS - 1:
                    raise
                time.sleep(0.5)
        self.created.discard(str(name))

    def close(self) -> None:
        if self.sqlite_template is not None:
            return
        self._cloner.shutdown(wait=True)
        for name in sorted(self.created, key=lambda n: n == self.template):
            self.drop({"CW_DATABASE_URL": self._url_of(name)})
        self.admin.dispose()


@pytest.fixture(scope="session")
def prefect_api_url() -> Iterator[str]:
    from prefect.settings import PREFECT_API_URL, temporary_settings
    from prefect.testing.utilities import prefect_test_harness

    given = os.environ.get("CW_TEST_PREFECT_API_URL")
    if given:
        # Prefect's settings are loaded already: the URL must go through its own context,
        # or flows in this process would run against an ephemeral server.
        os.environ["PREFECT_API_URL"] = given
        with temporary_settings({PREFECT_API_URL: given}):
            yield given
        return

    with prefect_test_harness(server_startup_timeout=120):
        url = PREFECT_API_URL.value()
        os.environ["PREFECT_API_URL"] = url
        yield url


@pytest.fixture(scope="session")
def smtp_server() -> Iterator[SmtpCatcher]:
    catcher = SmtpCatcher("127.0.0.1", free_port()).start()
    yield catcher
    catcher.stop()


@pytest.fixture
def mailbox(smtp_server: SmtpCatcher) -> MailStore:
    smtp_server.store.messages.clear()
    return smtp_server.store


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite database migrated to head with the demo users, copied for each test.

    SQLite only: under CW_TEST_DATABASE_URL, ask for ``fresh_databases`` instead."""
    if TEST_DATABASE_URL:
        warnings.warn(
            "a fixture copies the SQLite template although CW_TEST_DATABASE_URL is set: "
            "its tests run on SQLite; use fresh_databases.new(directory) instead",
            stacklevel=1,
        )
    directory = tmp_path_factory.mktemp("template")
    _migrate_and_seed({"CW_VAR_DIR": str(directory), "CW_DATABASE_URL": ""})
    return directory / "complaints.db"


@pytest.fixture(scope="session")
def fresh_databases(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[FreshDatabases]:
    """New migrated databases on the backend under test (SQLite, or CW_TEST_DATABASE_URL's)."""
    if not TEST_DATABASE_URL:
        yield FreshDatabases(sqlite_template=request.getfixturevalue("migrated_template"))
        return
    databases = FreshDatabases(postgres_url=TEST_DATABASE_URL)
    try:
        databases.migrate_template(tmp_path_factory.mktemp("template"))
        yield databases
    finally:
        databases.close()


@pytest.fixture
def settings(
    tmp_path: Path,
    fresh_databases: FreshDatabases,
    smtp_server: SmtpCatcher,
    prefect_api_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Settings]:
    environment = fresh_databases.new(tmp_path)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("CW_ENVIRONMENT", "test")
    monkeypatch.setenv("CW_SMTP_PORT", str(smtp_server.port))
    monkeypatch.setenv("CW_PREFECT_API_URL", prefect_api_url)
    monkeypatch.setenv("CW_NOTICE_RETRY_BASE_SECONDS", "0.2")
    monkeypatch.setenv("CW_SMTP_TIMEOUT_SECONDS", "3")
    _reset_caches()
    yield get_settings()
    set_clock(None)
    _reset_caches()
    fresh_databases.drop(environment)


@pytest.fixture(scope="session")
def api_server() -> Iterator[ServerThread]:
    from api.main import app

    server = ServerThread(app, free_port()).start()
    yield server
    server.stop()


@pytest.fixture
def base_url(settings: Settings, api_server: ServerThread) -> str:
    return api_server.base_url


@pytest.fixture
def as_user(base_url: str):
    clients: list[Api] = []

    def sign_in(username: str) -> Api:
        client = Api(base_url, username)
        clients.append(client)
        return client

    yield sign_in
    for client in clients:
        client.close()
