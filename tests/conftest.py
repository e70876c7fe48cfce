"""Real components for every test: a Prefect server, an SMTP server, HTTP, a SQL database.

One Prefect server per test session (``prefect_test_harness``, or the one named by
CW_TEST_PREFECT_API_URL); one SMTP server per session, emptied before each test; a fresh
migrated database per test (copied from one migrated at session start), or a fresh schema on
PostgreSQL when CW_TEST_DATABASE_URL names one.
"""

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")

from notifications.smtp_catcher import MailStore, SmtpCatcher
from tests.support import Api, ServerThread, free_port
from workflow import db
from workflow.calendar import company_calendar
from workflow.clock import set_clock
from workflow.config import Settings, get_settings


def _reset_caches() -> None:
    get_settings.cache_clear()
    db.reset_engines()
    company_calendar.cache_clear()


@pytest.fixture(scope="session")
def prefect_api_url() -> Iterator[str]:
    given = os.environ.get("CW_TEST_PREFECT_API_URL")
    if given:
        os.environ["PREFECT_API_URL"] = given
        yield given
        return
    from prefect.settings import PREFECT_API_URL
    from prefect.testing.utilities import prefect_test_harness

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
    """A SQLite database migrated to head with the demo users, copied for each test."""
    directory = tmp_path_factory.mktemp("template")
    mp = pytest.MonkeyPatch()
    mp.setenv("CW_VAR_DIR", str(directory))
    mp.setenv("CW_ENVIRONMENT", "test")
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
    return directory / "complaints.db"


@pytest.fixture
def settings(
    tmp_path: Path,
    migrated_template: Path,
    smtp_server: SmtpCatcher,
    prefect_api_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Settings]:
    shutil.copy(migrated_template, tmp_path / "complaints.db")
    monkeypatch.setenv("CW_VAR_DIR", str(tmp_path))
    monkeypatch.setenv("CW_ENVIRONMENT", "test")
    monkeypatch.setenv("CW_SMTP_PORT", str(smtp_server.port))
    monkeypatch.setenv("CW_PREFECT_API_URL", prefect_api_url)
    monkeypatch.setenv("CW_NOTICE_RETRY_BASE_SECONDS", "0.2")
    monkeypatch.setenv("CW_SMTP_TIMEOUT_SECONDS", "3")
    _reset_caches()
    yield get_settings()
    set_clock(None)
    _reset_caches()


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
