"""Business time: due dates count working hours on working days, skipping public holidays."""

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import cached_property, lru_cache
from zoneinfo import ZoneInfo

import holidays


@dataclass(frozen=True)
class BusinessCalendar:
    timezone: str = "Europe/Berlin"
    country: str = "DE"
    start_hour: int = 8
    end_hour: int = 17
    working_weekdays: frozenset[int] = frozenset({0, 1, 2, 3, 4})
    closures: frozenset[date] = field(default_factory=frozenset)

    @cached_property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @cached_property
    def _holidays(self) -> holidays.HolidayBase:
        return holidays.country_holidays(self.country)

    def is_working_day(self, day: date) -> bool:
        return _is_working_day(self, day)

    def _opening(self, day: date) -> datetime:
        return datetime.combine(day, time(self.start_hour), tzinfo=self.zone)

    def _closing(self, day: date) -> datetime:
        return datetime.combine(day, time(self.end_hour), tzinfo=self.zone)

    def _next_open_moment(self, moment: datetime) -> datetime:
        """``moment`` if the company is open then, else the next opening time."""
        day = moment.date()
        if self.is_working_day(day) and moment < self._closing(day):
            return max(moment, self._opening(day))
        day += timedelta(days=1)
        while not self.is_working_day(day):
            day += timedelta(days=1)
        return self._opening(day)

    def business_hours_between(self, start: datetime, end: datetime) -> float:
        """Working hours from ``start`` to ``end`` (0 if ``end`` is not later)."""
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

    def add_hours(self, start: datetime, hours: float, *, business_time: bool) -> datetime:
        if business_time:
            return self.add_business_hours(start, hours)
        return (start + timedelta(hours=hours)).astimezone(UTC)

    def hours_between(self, start: datetime, end: datetime, *, business_time: bool) -> float:
        if business_time:
            return self.business_hours_between(start, end)
        return max((end - start).total_seconds(), 0.0) / 3600

    def add_business_hours(self, start: datetime, hours: float) -> datetime:
        """The moment ``hours`` of working time after ``start`` (an aware datetime)."""
        remaining = timedelta(hours=hours)
        cursor = self._next_open_moment(start.astimezone(self.zone))
        while True:
            left_today = self._closing(cursor.date()) - cursor
            if remaining <= left_today:
                return (cursor + remaining).astimezone(UTC)
            remaining -= left_today
            cursor = self._next_open_moment(self._closing(cursor.date()))


@lru_cache
def company_calendar() -> BusinessCalendar:
    from workflow.config import get_settings

    settings = get_settings()
    return BusinessCalendar(
        timezone=settings.business_timezone,
        country=settings.holiday_country,
        start_hour=settings.workday_start_hour,
        end_hour=settings.workday_end_hour,
    )


@lru_cache(maxsize=4096)
def _is_working_day(calendar: BusinessCalendar, day: date) -> bool:
    """Cached: every due date asks about the same few weeks of days."""
    return (
        day.weekday() in calendar.working_weekdays
        and day not in calendar._holidays
        and day not in calendar.closures
    )
