"""Closure days of the business calendar as data: admins add and remove them over the API and
the admin page, running business-time clocks move with the calendar and say so in each
complaint's history, other processes pick the change up, and bad input is refused in words."""

import re
import time
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text

from tests.support import drain_outbox, freeze_at
from tests.test_web_pages import browser  # noqa: F401  (the signed-in page client)
from workflow.calendar import BusinessCalendar, company_calendar, forget_calendar
from workflow.db import get_engine

BERLIN = ZoneInfo("Europe/Berlin")
MONDAY = datetime(2026, 12, 7, 9, 0, tzinfo=BERLIN)
TUESDAY = date(2026, 12, 8)
SHUTDOWN = {"day": TUESDAY.isoformat(), "reason": "Plant shutdown for the new line."}


def clock(record: dict, step: str) -> dict:
    (found,) = [d for d in record["deadlines"] if d["step"] == step]
    return found


def due(record: dict, step: str) -> datetime:
    return datetime.fromisoformat(clock(record, step)["due_at"])


def expected_due(record: dict, step: str, closures: frozenset[date]) -> datetime:
    """The due date the clock's own start and hours give on a calendar with ``closures``."""
    found = clock(record, step)
    calendar = BusinessCalendar(closures=closures)
    return calendar.add_business_hours(
        datetime.fromisoformat(found["started_at"]), found["hours_allowed"]
    )


def test_a_closure_moves_the_running_clocks_and_its_removal_moves_them_back(as_user):
    sales, admin = as_user("sales"), as_user("admin")
    freeze_at(MONDAY)
    reference = sales.log_complaint(severity="minor")["reference"]
    drain_outbox()
    before = sales.record(reference)
    moving = ("quality_result", "customer_reply")  # quality's task and the customer's answer
    for step in moving:
        assert due(before, step) == expected_due(before, step, frozenset())

    added = admin.post("/calendar/closures", json=SHUTDOWN)
    assert added.status_code == 201, added.text
    after = sales.record(reference)
    changed = {
        d["step"] for d in after["deadlines"] if due(after, d["step"]) != due(before, d["step"])
    }
    assert added.json()["clocks_moved"] == len(changed)
    assert set(moving) <= changed
    for step in moving:
        assert due(after, step) == expected_due(after, step, frozenset({TUESDAY}))
        assert due(after, step) - due(before, step) >= timedelta(days=1)
    assert due(after, "acknowledgement") == due(before, "acknowledgement")  # due on Monday
    task = sales.open_task(reference, "quality_assessment")
    assert datetime.fromisoformat(task["due_at"]) == due(after, "quality_result")
    (entry,) = [h for h in after["history"] if h["action"] == "due_dates_moved"]
    assert {m["step"] for m in entry["changes"]["moved"]} == changed
    assert entry["actor"] == "admin"
    assert (
        entry["reason"] == "closure on 2026-12-08 added by admin: Plant shutdown for the new line."
    )
    assert admin.get("/calendar/closures").json()[0]["day"] == "2026-12-08"

    removed = admin.post("/calendar/closures/2026-12-08/remove", json={"reason": "Line delayed."})
    assert removed.status_code == 200, removed.text
    assert removed.json()["closure"]["removed_by"] == "admin"
    back = sales.record(reference)
    for step in moving:
        assert due(back, step) == due(before, step)
    assert [h["action"] for h in back["history"]].count("due_dates_moved") == 2
    assert admin.get("/calendar/closures").json() == []


def test_a_clock_already_late_stays_late_when_a_closure_is_added(as_user):
    sales, admin = as_user("sales"), as_user("admin")
    freeze_at(MONDAY - timedelta(days=7))
    reference = sales.log_complaint(severity="minor")["reference"]
    late = due(sales.record(reference), "acknowledgement")
    freeze_at(MONDAY)
    assert admin.post("/calendar/closures", json=SHUTDOWN).status_code == 201
    assert due(sales.record(reference), "acknowledgement") == late


@pytest.mark.parametrize(
    ("day", "words"),
    [
        ("2026-12-04", "not the past"),
        ("2026-12-12", "is a Saturday, not a working day"),
        ("2026-12-25", "public holiday"),
        ("2030-12-09", "at most three years ahead"),
    ],
)
def test_a_closure_that_cannot_be_is_refused_in_words(as_user, day, words):
    freeze_at(MONDAY)
    answer = as_user("admin").post("/calendar/closures", json={"day": day, "reason": "Because."})
    assert answer.status_code == 422
    assert words in answer.text


def test_closures_are_refused_twice_to_other_roles_and_without_a_reason(as_user):
    freeze_at(MONDAY)
    admin, sales = as_user("admin"), as_user("sales")
    assert sales.post("/calendar/closures", json=SHUTDOWN).status_code == 403
    assert admin.post("/calendar/closures", json={"day": "2026-12-08"}).status_code == 422
    assert admin.post("/calendar/closures", json=SHUTDOWN).status_code == 201
    twice = admin.post("/calendar/closures", json=SHUTDOWN)
    assert twice.status_code == 409
    assert "already closed on 2026-12-08" in twice.text
    reopen = {"reason": "Not after all."}
    assert sales.post("/calendar/closures/2026-12-08/remove", json=reopen).status_code == 403
    missing = admin.post("/calendar/closures/2026-12-09/remove", json=reopen)
    assert missing.status_code == 404
    assert "not closed on 2026-12-09" in missing.text
    freeze_at(MONDAY + timedelta(days=2))
    past = admin.post("/calendar/closures/2026-12-08/remove", json=reopen)
    assert past.status_code == 409
    assert "is past" in past.text
    assert [c["day"] for c in sales.get("/calendar/closures").json()] == ["2026-12-08"]


def test_another_process_counts_a_new_closure_within_a_second(settings):
    forget_calendar()
    assert TUESDAY not in company_calendar().closed_days
    with get_engine().begin() as connection:  # as the API in another process would
        connection.execute(
            text(
                "INSERT INTO closure_day (day, reason, added_by, added_at) "
                "VALUES (:day, 'Shutdown.', 'admin', :at)"
            ),
            {"day": TUESDAY, "at": datetime.now(BERLIN)},
        )
    deadline = time.monotonic() + 5
    while TUESDAY not in company_calendar().closed_days:
        assert time.monotonic() < deadline, "the new closure was never counted"
        time.sleep(0.1)


def words_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_admins_keep_closures_on_the_page_and_managers_read_them(browser):  # noqa: F811
    freeze_at(MONDAY)
    admin = browser("admin")
    page = admin.client.get("/admin/calendar")
    assert page.status_code == 200
    assert "No closure day ahead" in words_of(page.text)
    assert "Christmas Day" in page.text or "Erster Weihnachtstag" in page.text
    refused = admin.form("/admin/calendar", {"day": "2026-12-12", "reason": "Stocktaking."})
    assert refused.status_code == 422
    assert "is a Saturday" in words_of(refused.text)
    added = admin.form("/admin/calendar", SHUTDOWN)
    assert added.status_code == 303
    listed = words_of(admin.client.get("/admin/calendar").text)
    assert "Tue 08 Dec 2026 Plant shutdown for the new line." in listed
    assert "Closed on Tuesday 08 December 2026" in listed

    manager = browser("manager")
    read = manager.client.get("/admin/calendar")
    assert read.status_code == 200
    main = read.text.split("<main", 1)[1].split("</main>", 1)[0]
    assert "<form" not in main
    assert "Plant shutdown" in main
    assert manager.form("/admin/calendar", SHUTDOWN, page="/admin/calendar").status_code == 403
    assert browser("sales").client.get("/admin/calendar").status_code == 403

    reopened = admin.form(
        "/admin/calendar/2026-12-08/remove", {"reason": "Line delayed."}, page="/admin/calendar"
    )
    assert reopened.status_code == 303
    after = words_of(admin.client.get("/admin/calendar").text)
    assert "No closure day ahead" in after
    assert "2026-12-08 opened again by admin" in after
