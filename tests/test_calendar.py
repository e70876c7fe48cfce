"""Due dates count business hours on the company calendar."""

import functools
import statistics
import time as clock
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import holidays
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workflow.calendar import BusinessCalendar

BERLIN = ZoneInfo("Europe/Berlin")
calendar = BusinessCalendar(timezone="Europe/Berlin", country="DE", start_hour=8, end_hour=17)


def local(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=BERLIN)


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


# The business time of the calendar against a simple day-by-day count (the implementation
# before whole weeks were counted at once), over random calendars, starts and spans.


class DayByDay:
    """Walks the calendar one day at a time: slow, obviously right, the reference."""

    def __init__(self, calendar: BusinessCalendar) -> None:
        self.calendar = calendar
        self.zone = ZoneInfo(calendar.timezone)

    @functools.cache  # noqa: B019 - one reference per example, dropped with it
    def _public_holidays(self, year: int) -> frozenset[date]:
        loaded = holidays.country_holidays(self.calendar.country, years=range(year - 1, year + 2))
        return frozenset(day for day in loaded if day.year == year)

    def is_working_day(self, day: date) -> bool:
        return (
            day.weekday() in self.calendar.working_weekdays
            and day not in self._public_holidays(day.year)
            and day not in self.calendar.closures
        )

    def _opening(self, day: date) -> datetime:
        return datetime.combine(day, time(self.calendar.start_hour), tzinfo=self.zone)

    def _closing(self, day: date) -> datetime:
        return datetime.combine(day, time(self.calendar.end_hour), tzinfo=self.zone)

    def _next_open_moment(self, moment: datetime) -> datetime:
        day = moment.date()
        if self.is_working_day(day) and moment < self._closing(day):
            return max(moment, self._opening(day))
        day += timedelta(days=1)
        while not self.is_working_day(day):
            day += timedelta(days=1)
        return self._opening(day)

    def business_hours_between(self, start: datetime, end: datetime) -> float:
        if end <= start:
            return 0.0
        end = end.astimezone(self.zone)
        total = timedelta()
        cursor = self._next_open_moment(start.astimezone(self.zone))
        while cursor < end:
            closing = self._closing(cursor.date())
            total += min(closing, end) - cursor
            cursor = self._next_open_moment(closing)
        return total.total_seconds() / 3600

    def add_business_hours(self, start: datetime, hours: float) -> datetime:
        remaining = timedelta(hours=hours)
        cursor = self._next_open_moment(start.astimezone(self.zone))
        while True:
            left_today = self._closing(cursor.date()) - cursor
            if remaining <= left_today:
                return (cursor + remaining).astimezone(UTC)
            remaining -= left_today
            cursor = self._next_open_moment(self._closing(cursor.date()))


ZONES = ["Europe/Berlin", "America/New_York", "Australia/Sydney", "Asia/Kolkata", "UTC"]
TWENTY_YEARS = timedelta(days=20 * 366)


@st.composite
def calendars(draw: st.DrawFn) -> BusinessCalendar:
    start_hour = draw(st.integers(0, 12))
    closures = draw(
        st.frozensets(st.dates(date(2010, 1, 1), date(2040, 12, 31)), max_size=30)
        | st.frozensets(st.dates(date(2026, 1, 1), date(2026, 3, 31)), max_size=40)
    )
    return BusinessCalendar(
        timezone=draw(st.sampled_from(ZONES)),
        country=draw(st.sampled_from(["DE", "US", "GB"])),
        start_hour=start_hour,
        end_hour=draw(st.integers(start_hour + 1, 23)),
        working_weekdays=draw(st.frozensets(st.integers(0, 6), min_size=1)),
        closures=closures,
    )


def moments() -> st.SearchStrategy[datetime]:
    zones = st.sampled_from([UTC, *(ZoneInfo(name) for name in ZONES)])
    return st.datetimes(datetime(2010, 1, 1), datetime(2025, 12, 31), timezones=zones)


spans = st.timedeltas(timedelta(0), timedelta(days=10)) | st.timedeltas(timedelta(0), TWENTY_YEARS)
# Whole hours, halves, and odd amounts; up to 20 years of full-time work.
business_hours = (
    st.integers(0, 20 * 366 * 24).map(float)
    | st.sampled_from([0.0, 0.5, 1.0, 9.0, 24.0, 27.0, 90.0])
    | st.floats(0, 20 * 366 * 24, allow_nan=False)
)
FUZZ = settings(max_examples=300, deadline=None, derandomize=True)


@FUZZ
@given(calendar=calendars(), start=moments(), span=spans)
def test_business_hours_between_matches_the_day_by_day_count(calendar, start, span):
    end = start + span
    expected = DayByDay(calendar).business_hours_between(start, end)
    assert calendar.business_hours_between(start, end) == expected
    assert calendar.business_hours_between(end, start) == 0.0


@FUZZ
@given(calendar=calendars(), start=moments(), hours=business_hours)
def test_add_business_hours_matches_the_day_by_day_walk(calendar, start, hours):
    reference = DayByDay(calendar)
    if (reference.add_business_hours(start, 0) - start).days > 400:
        return  # a calendar almost always closed: the reference would walk too long
    due = calendar.add_business_hours(start, hours)
    assert due == reference.add_business_hours(start, hours)
    assert due.tzinfo is UTC


@pytest.mark.parametrize(
    ("start", "end"),
    [
        (local(2026, 3, 27, 9, 0), local(2026, 3, 30, 9, 0)),  # over the spring change
        (local(2026, 10, 23, 12, 0), local(2026, 10, 26, 12, 0)),  # over the autumn change
    ],
)
def test_a_working_day_is_nine_hours_over_a_daylight_saving_change(start, end):
    assert calendar.business_hours_between(start, end) == 9.0
    assert calendar.add_business_hours(start, 9).astimezone(BERLIN) == end


def test_a_working_day_needs_working_hours_and_a_working_weekday():
    with pytest.raises(ValueError, match="working hours"):
        BusinessCalendar(start_hour=17, end_hour=8)
    with pytest.raises(ValueError, match="weekday"):
        BusinessCalendar(working_weekdays=frozenset())


def _median_seconds(call: Callable[[], object], repeat: int = 31) -> float:
    timings = []
    for _ in range(repeat):
        started = clock.perf_counter()
        call()
        timings.append(clock.perf_counter() - started)
    return statistics.median(timings)


def test_ten_years_of_business_time_cost_about_what_one_week_costs():
    start = local(2016, 1, 4, 9, 30)
    week, decade = start + timedelta(days=7), start + timedelta(days=3654)  # a Monday
    hours = calendar.business_hours_between(start, decade)  # loads the years once
    calendar.add_business_hours(start, hours)
    one_week = _median_seconds(lambda: calendar.business_hours_between(start, week))
    ten_years = _median_seconds(lambda: calendar.business_hours_between(start, decade))
    adding_ten_years = _median_seconds(lambda: calendar.add_business_hours(start, hours))
    # Day by day, ten years cost about 500 weeks; counted in whole weeks, about one.
    assert ten_years < 10 * one_week, (one_week, ten_years)
    assert adding_ten_years < 10 * one_week, (one_week, adding_ten_years)
    assert calendar.add_business_hours(start, hours) == decade.astimezone(UTC)
