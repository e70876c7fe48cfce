"""Business time across ten years: the calendar as it is (whole weeks, holidays by bisect)
against the day-by-day walk it replaced, in the same run. The walk is the reference the
property tests compare against (``tests/test_calendar.py``)."""

import statistics
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bench.report import Figure, Results, at_most
from tests.test_calendar import DayByDay
from workflow.calendar import BusinessCalendar

START = datetime(2016, 1, 4, 9, 30, tzinfo=ZoneInfo("Europe/Berlin"))
TEN_YEARS = timedelta(days=3654)  # to a Monday morning
TARGET_MS = 1.0


def _median_ms(call: Callable[[], object], repeat: int) -> float:
    timings = []
    for _ in range(repeat):
        began = time.perf_counter()
        call()
        timings.append(time.perf_counter() - began)
    return statistics.median(timings) * 1000


def measure_calendar(results: Results, *, repeat: int) -> None:
    calendar = BusinessCalendar()  # Europe/Berlin, German holidays, 8 to 17, Monday to Friday
    walk = DayByDay(calendar)
    end = START + TEN_YEARS
    hours = calendar.business_hours_between(START, end)  # loads the holidays of those years
    if walk.business_hours_between(START, end) != hours:
        raise AssertionError("the calendar and the day-by-day walk disagree")
    week = START + timedelta(days=7)
    for name, ours, theirs in (
        (
            "business hours across one week",
            lambda: calendar.business_hours_between(START, week),
            lambda: walk.business_hours_between(START, week),
        ),
        (
            "business hours across ten years",
            lambda: calendar.business_hours_between(START, end),
            lambda: walk.business_hours_between(START, end),
        ),
        (
            "ten years of business hours added",
            lambda: calendar.add_business_hours(START, hours),
            lambda: walk.add_business_hours(START, hours),
        ),
    ):
        value = _median_ms(ours, repeat)
        baseline = _median_ms(theirs, max(3, repeat // 100))
        results.add(
            Figure(
                "calendar",
                name,
                value,
                "ms",
                baseline,
                "the day-by-day walk",
                f"<= {TARGET_MS:g} ms",
                at_most(value, TARGET_MS),
                f"from {START:%Y-%m-%d}; ten years are {hours:,.0f} business hours; "
                f"median of {repeat}",
            )
        )
