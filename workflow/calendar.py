"""Business time: due dates count working hours on working days, skipping public holidays.

Times are counted on the wall clock of the business time zone, so a working day is always
``end_hour - start_hour`` long, on a daylight-saving change too. The cost does not grow with
the span: whole weeks are counted at once, and the days the company is closed on a working
weekday (public holidays, closures) are counted in a sorted list with ``bisect``, so ten years
cost about what one week costs (``python -m bench --only calendar``). A span must not be a
denial of service for every reader of a record.
"""

import threading
from bisect import bisect_left
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import cached_property
from time import monotonic
from zoneinfo import ZoneInfo

import holidays
from sqlalchemy import Connection, text

ONE_DAY = timedelta(days=1)
DAYS_A_WEEK = 7


class ClosedDays:
    """The working weekdays the company is closed on, sorted, for the years asked about so far.

    Public holidays come from the ``holidays`` package a range of years at a time (never day
    by day); a question outside the loaded years reloads the wider range once.
    """

    def __init__(self, country: str, closures: frozenset[date], weekdays: frozenset[int]) -> None:
        self.country = country
        self.closures = closures
        self.weekdays = weekdays
        self._lock = threading.Lock()
        # One attribute, swapped whole, so readers never see years and days out of step.
        self._loaded: tuple[range, list[date]] = (range(0), [])

    def _days_covering(self, first_year: int, last_year: int) -> list[date]:
        years, days = self._loaded
        if first_year in years and last_year in years:
            return days
        with self._lock:
            years, days = self._loaded
            if first_year in years and last_year in years:
                return days
            if years:
                first_year, last_year = min(first_year, years[0]), max(last_year, years[-1])
            wanted = range(first_year, last_year + 1)
            days = self._load(wanted)
            self._loaded = (wanted, days)
            return days

    def _load(self, years: range) -> list[date]:
        # Neighbouring years too: a holiday observed on 31 December may belong to the next year.
        around = range(max(years[0] - 1, 1), min(years[-1] + 2, 10_000))
        public = holidays.country_holidays(self.country, years=around)
        return sorted(
            day
            for day in set(public) | self.closures
            if day.year in years and day.weekday() in self.weekdays
        )

    def count(self, first: date, stop: date) -> int:
        """Closed working weekdays in ``[first, stop)``."""
        if stop <= first:
            return 0
        days = self._days_covering(first.year, (stop - ONE_DAY).year)
        return bisect_left(days, stop) - bisect_left(days, first)

    def __contains__(self, day: date) -> bool:
        return self.count(day, day + ONE_DAY) == 1


@dataclass(frozen=True)
class BusinessCalendar:
    timezone: str = "Europe/Berlin"
    country: str = "DE"
    start_hour: int = 8
    end_hour: int = 17
    working_weekdays: frozenset[int] = frozenset({0, 1, 2, 3, 4})
    closures: frozenset[date] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        # Either mistake would make every due date an endless search for working time.
        if not 0 <= self.start_hour < self.end_hour <= 23:
            raise ValueError("working hours must satisfy 0 <= start_hour < end_hour <= 23")
        if not self.working_weekdays or not self.working_weekdays <= set(range(DAYS_A_WEEK)):
            raise ValueError("working_weekdays must name at least one weekday, 0 (Monday) to 6")

    @cached_property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @cached_property
    def closed_days(self) -> ClosedDays:
        return ClosedDays(self.country, self.closures, self.working_weekdays)

    @cached_property
    def day_length(self) -> timedelta:
        return timedelta(hours=self.end_hour - self.start_hour)

    def local_date(self, moment: datetime) -> date:
        """The date ``moment`` falls on in the business time zone."""
        return moment.astimezone(self.zone).date()

    def opening_moment(self, day: date) -> datetime:
        """When the working day ``day`` opens, in UTC."""
        return self._utc(self._opening(day))

    def is_working_day(self, day: date) -> bool:
        return day.weekday() in self.working_weekdays and day not in self.closed_days

    def business_hours_between(self, start: datetime, end: datetime) -> float:
        """Working hours from ``start`` to ``end`` (0 if ``end`` is not later)."""
        if end <= start:
            return 0.0
        first, last = self._local(start), self._local(end)
        worked = (
            self.day_length * self._working_days_in(first.date(), last.date())
            - self._worked_that_day_before(first)
            + self._worked_that_day_before(last)
        )
        return max(worked, timedelta()).total_seconds() / 3600

    def add_business_hours(self, start: datetime, hours: float) -> datetime:
        """The moment ``hours`` of working time after ``start`` (an aware datetime), in UTC."""
        remaining = timedelta(hours=hours)
        cursor = self._next_open_moment(self._local(start))
        left_today = self._closing(cursor.date()) - cursor
        if remaining <= left_today:
            return self._utc(cursor + remaining)
        whole_days, rest = divmod(remaining - left_today, self.day_length)
        if not rest:  # ends exactly at a closing time, not at the next opening
            whole_days, rest = whole_days - 1, self.day_length
        day = self._nth_working_day_after(cursor.date(), whole_days + 1)
        return self._utc(self._opening(day) + rest)

    def add_hours(self, start: datetime, hours: float, *, business_time: bool) -> datetime:
        if business_time:
            return self.add_business_hours(start, hours)
        return (start + timedelta(hours=hours)).astimezone(UTC)

    def hours_between(self, start: datetime, end: datetime, *, business_time: bool) -> float:
        if business_time:
            return self.business_hours_between(start, end)
        return max((end - start).total_seconds(), 0.0) / 3600

    # Naive wall-clock times of the business zone from here on.

    def _local(self, moment: datetime) -> datetime:
        return moment.astimezone(self.zone).replace(tzinfo=None)

    def _utc(self, wall_time: datetime) -> datetime:
        return wall_time.replace(tzinfo=self.zone).astimezone(UTC)

    def _opening(self, day: date) -> datetime:
        return datetime.combine(day, time(self.start_hour))

    def _closing(self, day: date) -> datetime:
        return datetime.combine(day, time(self.end_hour))

    def _worked_that_day_before(self, moment: datetime) -> timedelta:
        day = moment.date()
        if not self.is_working_day(day):
            return timedelta()
        return min(max(moment - self._opening(day), timedelta()), self.day_length)

    def _next_open_moment(self, moment: datetime) -> datetime:
        """``moment`` if the company is open then, else the next opening time."""
        day = moment.date()
        if self.is_working_day(day) and moment < self._closing(day):
            return max(moment, self._opening(day))
        return self._opening(self._nth_working_day_after(day, 1))

    def _working_weekdays_in(self, first: date, stop: date) -> int:
        """Working weekdays in ``[first, stop)``: whole weeks at once, then at most six days."""
        days = (stop - first).days
        if days <= 0:
            return 0
        weeks, rest = divmod(days, DAYS_A_WEEK)
        weekday = first.weekday()
        tail = sum((weekday + i) % DAYS_A_WEEK in self.working_weekdays for i in range(rest))
        return weeks * len(self.working_weekdays) + tail

    def _working_days_in(self, first: date, stop: date) -> int:
        return self._working_weekdays_in(first, stop) - self.closed_days.count(first, stop)

    def _nth_working_weekday_after(self, day: date, n: int) -> date:
        weeks, rest = divmod(n - 1, len(self.working_weekdays))
        day += timedelta(weeks=weeks)
        rest += 1
        while rest:
            day += ONE_DAY
            rest -= day.weekday() in self.working_weekdays
        return day

    def _nth_working_day_after(self, day: date, n: int) -> date:
        """The ``n``-th working day after ``day`` (``n`` >= 1)."""
        while n:
            reached = self._nth_working_weekday_after(day, n)
            # Each closed weekday passed over is one more working day still to find.
            n = self.closed_days.count(day + ONE_DAY, reached + ONE_DAY)
            day = reached
        return day


# Closure days are data an admin changes in one process while others compute due dates: each
# process asks for the closures' version at most this often (a plain indexed aggregate, well
# under a millisecond) and rebuilds its calendar when it changed. The process that made the
# change forgets its copy at once.
VERSION_CHECK_SECONDS = 1.0
CLOSURES_VERSION = text("SELECT count(*), max(added_at), max(removed_at) FROM closure_day")
ACTIVE_CLOSURES = text("SELECT day FROM closure_day WHERE removed_at IS NULL")


@dataclass(frozen=True)
class _Cached:
    version: str
    checked_at: float
    calendar: BusinessCalendar


_cached: dict[tuple[object, ...], _Cached] = {}


def forget_calendar() -> None:
    """Rebuild the calendar on the next use (after a closure change, or in tests)."""
    _cached.clear()


def _closures_version(connection: Connection) -> str:
    return "/".join(str(value) for value in connection.execute(CLOSURES_VERSION).one())


def _closure_days(connection: Connection) -> frozenset[date]:
    return frozenset(
        value if isinstance(value, date) else date.fromisoformat(str(value))
        for value in connection.execute(ACTIVE_CLOSURES).scalars()
    )


def company_calendar() -> BusinessCalendar:
    """The calendar in force: the settings' hours, zone and country, and the closure days."""
    from workflow.config import get_settings
    from workflow.db import get_side_engine

    settings = get_settings()
    key = (
        settings.sqlalchemy_url,
        settings.business_timezone,
        settings.holiday_country,
        settings.workday_start_hour,
        settings.workday_end_hour,
    )
    now = monotonic()
    cached = _cached.get(key)
    if cached is not None and now - cached.checked_at < VERSION_CHECK_SECONDS:
        return cached.calendar
    with get_side_engine().connect() as connection:
        version = _closures_version(connection)
        if cached is not None and cached.version == version:
            calendar = cached.calendar
        else:
            calendar = BusinessCalendar(
                timezone=settings.business_timezone,
                country=settings.holiday_country,
                start_hour=settings.workday_start_hour,
                end_hour=settings.workday_end_hour,
                closures=_closure_days(connection),
            )
    _cached[key] = _Cached(version, now, calendar)
    return calendar
