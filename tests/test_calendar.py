"""Due dates count business hours on the company calendar."""

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from workflow.calendar import BusinessCalendar

BERLIN = ZoneInfo("Europe/Berlin")
calendar = BusinessCalendar(timezone="Europe/Berlin", country="DE", start_hour=8, end_hour=17)


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=BERLIN)


def test_friday_evening_rolls_over_the_weekend():
    friday = local(2026, 11, 20, 16, 55)
    due = calendar.add_business_hours(friday, 1)
    assert due.astimezone(BERLIN) == local(2026, 11, 23, 8, 55)


def test_a_business_day_after_a_saturday_is_monday_evening():
    saturday = local(2026, 11, 21, 10, 0)
    assert calendar.add_business_hours(saturday, 9).astimezone(BERLIN) == local(2026, 11, 23, 17)


def test_public_holidays_do_not_count():
    christmas_eve = local(2026, 12, 24, 16, 0)  # Thursday; 25 and 26 December are holidays
    due = calendar.add_business_hours(christmas_eve, 2)
    assert due.astimezone(BERLIN) == local(2026, 12, 28, 9, 0)


def test_company_closures_do_not_count():
    closed = BusinessCalendar(closures=frozenset({date(2026, 11, 23)}))
    due = closed.add_business_hours(local(2026, 11, 20, 16, 0), 2)
    assert due.astimezone(BERLIN) == local(2026, 11, 24, 9, 0)


def test_before_opening_starts_at_opening_and_results_are_utc():
    due = calendar.add_business_hours(local(2026, 11, 24, 6, 0), 3)
    assert due.tzinfo is UTC
    assert due.astimezone(BERLIN) == local(2026, 11, 24, 11, 0)


def test_twenty_business_days_span_four_weeks():
    due = calendar.add_business_hours(local(2026, 11, 2, 8, 0), 20 * 9)
    assert due.astimezone(BERLIN) == local(2026, 11, 27, 17, 0)


def test_business_hours_between_skips_nights_weekends_and_holidays():
    friday = local(2026, 11, 20, 16, 0)
    monday = local(2026, 11, 23, 10, 0)
    assert calendar.business_hours_between(friday, monday) == 3.0
    assert calendar.business_hours_between(monday, friday) == 0.0
    christmas_eve = local(2026, 12, 24, 16, 0)
    assert calendar.business_hours_between(christmas_eve, local(2026, 12, 28, 9, 0)) == 2.0


def test_adding_and_measuring_business_hours_agree():
    start = local(2026, 11, 20, 11, 17)
    for hours in (0.5, 1, 9, 27, 90):
        due = calendar.add_business_hours(start, hours)
        assert abs(calendar.business_hours_between(start, due) - hours) < 1e-9


def test_calendar_time_ignores_the_calendar():
    friday = local(2026, 11, 20, 16, 0)
    due = calendar.add_hours(friday, 24, business_time=False)
    assert due == local(2026, 11, 21, 16, 0).astimezone(UTC)
    assert calendar.hours_between(friday, due, business_time=False) == 24
