"""The managers' pages over real HTTP: the overdue board and the dashboard, with figures counted
by hand from the complaints each test logs."""

import re
from datetime import UTC, date, datetime, timedelta

import pytest

from tests.support import Api, drain_outbox, freeze_at, quality_result, sweep
from tests.test_web_pages import Browser
from workflow.dashboard import dashboard
from workflow.db import read_session

MONDAY_W47 = datetime(2026, 11, 16, 9, 0, tzinfo=UTC)
MONDAY_W48 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
WEDNESDAY_W48 = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


@pytest.fixture
def signed_in(base_url):
    clients: list[Browser] = []

    def open_as(username: str) -> Browser:
        client = Browser(base_url)
        clients.append(client)
        assert client.sign_in(username).status_code == 303
        return client

    yield open_as
    for client in clients:
        client.client.close()


def _rows(html: str) -> list[str]:
    body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return [
        re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", row)).strip() for row in body.split("<tr>")[1:]
    ]


def _two_weeks_of_complaints(base_url: str) -> dict[str, str]:
    """W47: three complaints (two about Pump P-200) and a praise; W48: one more P-200."""
    sales = Api(base_url, "sales")
    freeze_at(MONDAY_W47)
    logged = {
        "pump_1": sales.log_complaint(product="Pump P-200")["reference"],
        "pump_2": sales.log_complaint(product="Pump P-200", severity="critical")["reference"],
        "valve": sales.log_complaint(product="Valve V-10", severity="minor")["reference"],
        "praise": sales.log_complaint(kind="praise", product="Service")["reference"],
    }
    drain_outbox()  # routes the complaints, closes the praise
    quality = Api(base_url, "quality")
    task = quality.open_task(logged["pump_1"], "quality_assessment")
    done = quality.post(f"/tasks/{task['id']}/complete", json=quality_result())
    assert done.status_code == 200, done.text
    freeze_at(MONDAY_W48)
    logged["pump_3"] = sales.log_complaint(product="Pump P-200")["reference"]
    drain_outbox()
    freeze_at(WEDNESDAY_W48)
    return logged


def test_dashboard_figures_match_a_hand_count(settings, base_url, signed_in):
    _two_weeks_of_complaints(base_url)
    with read_session() as session:
        figures = dashboard(session)

    weeks = {w.week_start: (w.received, w.closed) for w in figures.weeks}
    assert len(figures.weeks) == 12
    assert weeks[date(2026, 11, 16)] == (4, 1)  # three complaints and the praise; praise closed
    assert weeks[date(2026, 11, 23)] == (1, 0)
    assert sum(r for r, _ in weeks.values()) == 5
    assert [(c.label, c.count) for c in figures.top_products] == [
        ("Pump P-200", 3),
        ("Valve V-10", 1),
    ]  # the praise is no complaint about a product
    ages = {c.label: c.count for c in figures.open_by_age}
    # Open on 25 Nov: three from 16 Nov (9 days), one from 23 Nov (2 days); the praise is closed.
    assert ages == {
        "under 1 day": 0,
        "1 to 3 days": 1,
        "3 to 7 days": 0,
        "7 to 14 days": 3,
        "over 14 days": 0,
    }
    assert [(c.label, c.count) for c in figures.top_root_causes] == [
        ("Seal material from one supplier batch was out of specificat\u2026", 1)  # 60 chars
    ]

    # On-time shares agree with the deadline report the API already gives.
    manager = Api(base_url, "manager")
    report = manager.get(
        "/reports/deadlines", params={"from": "2026-11-01", "to": "2026-12-01"}
    ).json()
    expected = {
        r["group"]: (r["steps_done"], r["steps_on_time"]) for r in report if r["steps_done"]
    }
    assert {s.department: (s.steps_done, s.on_time) for s in figures.on_time} == expected
    assert expected["quality"][0] >= 1  # quality's result was given

    page = signed_in("manager").client.get("/dashboard")
    assert page.status_code == 200
    figures_of = dict(re.findall(r'<table id="([a-z-]+)-figures">(.*?)</table>', page.text, re.S))
    assert "Pump P-200</th><td>3</td>" in figures_of["products"]
    assert "week of 16 Nov</th><td>4 received, 1 closed</td>" in figures_of["weekly"]
    assert "7 to 14 days</th><td>3</td>" in figures_of["age"]
    assert page.text.count('role="img"') == 5


def test_the_overdue_board_lists_late_steps_and_filters_them(settings, base_url, signed_in):
    logged = _two_weeks_of_complaints(base_url)
    freeze_at(WEDNESDAY_W48 + timedelta(days=30))
    sweep()  # escalates the late steps
    manager = signed_in("manager")

    board = manager.client.get("/overdue")
    assert board.status_code == 200
    rows = _rows(board.text)
    for key in ("pump_2", "valve", "pump_3"):
        assert any(logged[key] in row for row in rows), key
    assert all("late by" in row for row in rows)
    assert 'hx-trigger="every 15s"' in board.text

    quality_rows = _rows(manager.client.get("/overdue", params={"department": "quality"}).text)
    sales_rows = _rows(manager.client.get("/overdue", params={"department": "sales"}).text)
    assert quality_rows
    assert all(" quality " in f" {r} " for r in quality_rows)
    assert all(" quality " not in f" {r} " for r in sales_rows)
    assert len(quality_rows) + len(sales_rows) <= len(rows)
    critical = _rows(manager.client.get("/overdue", params={"severity": "critical"}).text)
    assert critical
    assert all(logged["pump_2"] in r for r in critical)
    by_level = {
        level: _rows(manager.client.get("/overdue", params={"escalation_level": level}).text)
        for level in "01234"
    }
    shown = {level: rows for level, rows in by_level.items() if rows != ["Nothing is overdue."]}
    assert sum(len(r) for r in shown.values()) == len(rows)  # every row at exactly one level
    assert set(shown) != {"0"}  # the sweep escalated something
    for level, level_rows in shown.items():
        assert all("late by" in r and f" {level}: " in r for r in level_rows), level_rows

    # What htmx fetches every 15 s is the same page; it swaps in the board only.
    refreshed = manager.client.get("/overdue?department=quality", headers={"HX-Request": "true"})
    assert 'id="overdue-board"' in refreshed.text
    assert 'hx-get="/overdue?department=quality"' in refreshed.text


def test_nothing_overdue_says_so(settings, base_url, signed_in):
    page = signed_in("gm").client.get("/overdue")
    assert page.status_code == 200
    assert _rows(page.text) == ["Nothing is overdue."]


@pytest.mark.parametrize("username", ["sales", "quality", "technical"])
def test_department_users_may_not_open_the_managers_pages(settings, signed_in, username):
    client = signed_in(username)
    for path in ("/overdue", "/dashboard"):
        answer = client.client.get(path)
        assert answer.status_code == 403, path
        assert "Not for your role" in answer.text
