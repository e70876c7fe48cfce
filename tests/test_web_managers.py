"""The managers' pages over real HTTP: the overdue board and the dashboard, with figures counted
by hand from the complaints each test logs."""

import re
from datetime import UTC, date, datetime, timedelta

import pytest

from tests.support import Api, drain_outbox, freeze_at, quality_result, sweep
from tests.test_web_pages import Browser
from workflow.calendar import company_calendar
from workflow.dashboard import dashboard
from workflow.db import read_session

MONDAY_W47 = datetime(2026, 11, 16, 9, 0, tzinfo=UTC)
MONDAY_W48 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
WEDNESDAY_W48 = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
LATE = WEDNESDAY_W48 + timedelta(days=30, hours=3, minutes=4, seconds=5)


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
    """The board's rows as text, without the closing "Updated" line."""
    body = re.search(r"<tbody[^>]*>(.*?)</tbody>", html, re.S)
    assert body, html
    rows = re.findall(r"<tr( class=\"board-updated\")?>(.*?)</tr>", body.group(1), re.S)
    return [
        re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", row)).strip()
        for updated, row in rows
        if not updated
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
    assert [(c.label, c.count) for c in figures.top_defect_codes] == [
        ("LK-SEAL Seal leak (leak)", 1)
    ]
    assert [(c.label, c.count) for c in figures.top_cause_codes] == [
        ("MAT-BTCH Faulty raw-material batch (material)", 1)
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
    assert "LK-SEAL Seal leak (leak)</th><td>1</td>" in figures_of["defects"]
    assert page.text.count('role="img"') == 8


def _late_and_swept(base_url: str) -> dict[str, str]:
    """The two weeks' complaints, then a month on and one sweep: every running step is late."""
    logged = _two_weeks_of_complaints(base_url)
    freeze_at(LATE)
    sweep()  # one escalation level per sweep: every late step's assignee is reminded
    return logged


def test_the_overdue_board_lists_late_steps_and_filters_them(settings, base_url, signed_in):
    logged = _late_and_swept(base_url)
    manager = signed_in("manager")

    board = manager.client.get("/overdue")
    assert board.status_code == 200
    rows = _rows(board.text)
    # Running clocks, counted by hand: the three complaints still in assessment (pump_2,
    # pump_3, valve) each have first assessment, quality result and customer reply; pump_2,
    # critical, also containment; pump_1 (assessed) waits on the sales review and its reply.
    assert len(rows) == 3 * 3 + 1 + 2
    for key in ("pump_1", "pump_2", "valve", "pump_3"):
        assert any(row.startswith(logged[key]) for row in rows), key
    assert not any(logged["praise"] in row for row in rows)
    assert all("late by" in row and row.endswith(" 1: assignee reminded") for row in rows)
    assert 'class="due due-late"' in board.text
    assert 'hx-trigger="every 15s"' in board.text
    assert f'href="/complaints/{logged["pump_2"]}"' in board.text

    # The form sends every field, "All" as an empty value: that is no filter.
    def board_rows(query: str) -> list[str]:
        page = manager.client.get(f"/overdue?{query}")
        assert page.status_code == 200, page.text
        return _rows(page.text)

    assert board_rows("department=&severity=&escalation_level=") == rows
    quality = board_rows("department=quality&severity=&escalation_level=")
    sales = board_rows("department=sales&severity=&escalation_level=")
    assert (len(quality), len(sales)) == (7, 5)
    assert all(" quality " in row for row in quality)
    assert all(" sales " in row and " quality " not in row for row in sales)
    assert sorted(quality + sales) == sorted(rows)
    critical = board_rows("department=&severity=critical&escalation_level=")
    assert len(critical) == 4
    assert all(row.startswith(logged["pump_2"]) for row in critical)
    assert board_rows("escalation_level=1") == rows
    assert board_rows("escalation_level=0") == ["Nothing is overdue."]
    assert board_rows("department=quality&escalation_level=2") == ["Nothing is overdue."]
    assert manager.client.get("/overdue?department=purchasing").status_code == 422
    assert manager.client.get("/overdue?escalation_level=5").status_code == 422


def test_the_rows_fragment_refreshes_with_its_filters(settings, base_url, signed_in):
    logged = _late_and_swept(base_url)
    manager = signed_in("manager")

    page = manager.client.get("/overdue", params={"department": "sales"})
    found = re.search(r"<form id=\"overdue-filters\"[^>]*>", page.text)
    assert found is not None
    form = found.group(0)
    for attribute in (
        'hx-get="/overdue/rows"',
        'hx-trigger="change"',
        'hx-target="#overdue-rows"',
        'hx-push-url="true"',
    ):
        assert attribute in form, attribute
    assert re.search(r'<option value="sales"\s+selected>', page.text)
    assert '<label for="department">' in page.text
    assert '<tbody id="overdue-rows" hx-get="/overdue/rows?department=sales"' in page.text

    # What htmx fetches every 15 s: the table body alone, polling again with the same filters.
    polled = manager.client.get(
        "/overdue/rows?department=quality&severity=&escalation_level=",
        headers={"HX-Request": "true", "HX-Trigger": "overdue-rows"},
    )
    assert polled.status_code == 200
    fragment = polled.text.strip()
    assert fragment.startswith("<tbody")
    assert fragment.endswith("</tbody>")
    assert "<html" not in fragment
    assert "<form" not in fragment
    assert 'hx-get="/overdue/rows?department=quality"' in fragment
    assert 'hx-trigger="every 15s"' in fragment
    assert len(_rows(fragment)) == 7
    assert any(row.startswith(logged["valve"]) for row in _rows(fragment))
    assert "Updated <time" in fragment
    assert f">{LATE.astimezone(company_calendar().zone):%H:%M:%S}</time>" in fragment
    assert "HX-Push-Url" not in polled.headers  # polling leaves the address alone

    # A filter changed on the form: the rows, and the board's address for the address bar.
    changed = manager.client.get(
        "/overdue/rows?department=&severity=critical&escalation_level=",
        headers={"HX-Request": "true", "HX-Trigger": "overdue-filters"},
    )
    assert changed.headers["HX-Push-Url"] == "/overdue?severity=critical"
    assert len(_rows(changed.text)) == 4

    freeze_at(LATE + timedelta(minutes=1, seconds=5))
    later = manager.client.get("/overdue/rows?department=quality").text
    assert (
        f">{(LATE + timedelta(minutes=1, seconds=5)).astimezone(company_calendar().zone):%H:%M:%S}<"
        in later
    )

    empty = manager.client.get("/overdue/rows?department=technical").text
    assert _rows(empty) == ["Nothing is overdue."]
    assert "Updated <time" in empty


def test_nothing_overdue_says_so(settings, base_url, signed_in):
    page = signed_in("gm").client.get("/overdue")
    assert page.status_code == 200
    assert _rows(page.text) == ["Nothing is overdue."]


@pytest.mark.parametrize("username", ["sales", "quality", "technical"])
def test_department_users_may_not_open_the_managers_pages(settings, signed_in, username):
    client = signed_in(username)
    for path in ("/overdue", "/overdue/rows", "/dashboard"):
        answer = client.client.get(path)
        assert answer.status_code == 403, path
        assert "Not for your role" in answer.text
