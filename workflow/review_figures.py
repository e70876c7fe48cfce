"""The contract reviews' figures on the managers' dashboard, each counted in SQL over the review
tables (one function per figure) and the same on SQLite and PostgreSQL.

The period is the last twelve months: the current month and the eleven before it, in the
company's time zone. Reviews started in it are counted by the month they started; decisions
by when they were taken (a review started before the period and decided in it counts). Times
are calendar time, wall-clock hours shown in days, not business hours: a review's start to its
decision spans the customer's side of it too. A department's review is on time when its task
was answered by its clock's due date (``met_at <= due_at``, the due date moved by any time the
clock paused for the customer); a task cancelled by a withdrawal is no answer and not counted.
"""

from dataclasses import dataclass
from datetime import date, datetime
from itertools import pairwise
from typing import Any

from sqlalchemy import Float, case
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement
from sqlmodel import Session, col, func, select

from models.deadline import Deadline
from models.enums import ReviewStatus, Step, TaskStatus
from models.review import Review
from models.task import Task
from workflow.calendar import company_calendar
from workflow.clock import utcnow
from workflow.dashboard import OnTime
from workflow.rules.review import DECIDED_STATUSES, REVIEW_DEPARTMENTS

MONTHS = 12
REFUSED = (ReviewStatus.declined, ReviewStatus.rejected)


class hours_between(FunctionElement[float]):  # noqa: N801 (an SQL function's name)
    """``end - start`` in hours, as a float: each database spells it its own way."""

    type = Float()
    name = "hours_between"
    inherit_cache = True


@compiles(hours_between, "sqlite")
def _hours_sqlite(element: hours_between, compiler: SQLCompiler, **kw: Any) -> str:
    start, end = (compiler.process(c, **kw) for c in element.clauses)
    return f"((julianday({end}) - julianday({start})) * 24.0)"


@compiles(hours_between, "postgresql")
def _hours_postgresql(element: hours_between, compiler: SQLCompiler, **kw: Any) -> str:
    start, end = (compiler.process(c, **kw) for c in element.clauses)
    return f"(EXTRACT(EPOCH FROM ({end} - {start})) / 3600.0)"


@dataclass(frozen=True)
class MonthCount:
    month: date  # its first day
    started: int

    @property
    def label(self) -> str:
        return f"{self.month:%b %Y}"


@dataclass(frozen=True)
class Share:
    part: int
    whole: int

    @property
    def share(self) -> float | None:
        return self.part / self.whole if self.whole else None


@dataclass(frozen=True)
class Median:
    hours: float | None
    of: int  # how many reviews it is the median of

    @property
    def days(self) -> float | None:
        return None if self.hours is None else self.hours / 24


@dataclass(frozen=True)
class ReviewFigures:
    since: datetime
    started_per_month: list[MonthCount]
    time_to_decision: Median
    special: Share  # special among the reviews started
    declined: Share  # declined or rejected among the reviews decided
    on_time: list[OnTime]  # departments' review tasks answered by their due date


def month_starts(now: datetime, months: int = MONTHS) -> list[datetime]:
    """The first moment of each of the last ``months`` months and of the next one, in the
    company's time zone, oldest first: ``months + 1`` bounds."""
    zone = company_calendar().zone
    local = company_calendar().local_date(now)
    index = local.year * 12 + local.month - 1 - (months - 1)
    return [
        datetime(year, month + 1, 1, tzinfo=zone)
        for year, month in (divmod(i, 12) for i in range(index, index + months + 1))
    ]


def started_per_month(session: Session, bounds: list[datetime]) -> list[MonthCount]:
    """Reviews started (of every kind, changes too) in each month between the bounds."""
    created = col(Review.created_at)
    counts = [
        func.sum(case(((created >= start) & (created < end), 1), else_=0))
        for start, end in pairwise(bounds)
    ]
    row = session.exec(select(*counts).where(created >= bounds[0], created < bounds[-1])).one()
    return [MonthCount(start.date(), int(n or 0)) for start, n in zip(bounds, row, strict=False)]


def _decided_since(since: datetime) -> Any:
    return col(Review.status).in_(list(DECIDED_STATUSES)) & (col(Review.decided_at) >= since)


def median_time_to_decision(session: Session, since: datetime) -> Median:
    """The median calendar hours from start to decision of the reviews decided since
    ``since`` (accepted, declined or rejected; a withdrawal is no decision); of an even
    number, the mean of the middle two."""
    hours = hours_between(col(Review.created_at), col(Review.decided_at)).label("hours")
    ranked = (
        select(
            hours,
            func.row_number().over(order_by=hours).label("position"),
            func.count().over().label("n"),
        )
        .where(_decided_since(since))
        .subquery()
    )
    # The middle one (n odd) or two (n even): 2 * position between n and n + 2.
    twice = ranked.c.position * 2
    middle = select(func.avg(ranked.c.hours), func.max(ranked.c.n)).where(
        twice >= ranked.c.n, twice <= ranked.c.n + 2
    )
    median, decided = session.exec(middle).one()
    return Median(None if median is None else float(median), int(decided or 0))


def special_share(session: Session, since: datetime) -> Share:
    """Special reviews among those started since ``since``."""
    special = func.sum(case((col(Review.special).is_(True), 1), else_=0))
    whole, part = session.exec(
        select(func.count(), special).where(col(Review.created_at) >= since)
    ).one()
    return Share(int(part or 0), int(whole))


def declined_share(session: Session, since: datetime) -> Share:
    """Declined (by sales) or rejected (by the general manager) among the reviews decided
    since ``since``."""
    refused = func.sum(case((col(Review.status).in_(list(REFUSED)), 1), else_=0))
    whole, part = session.exec(select(func.count(), refused).where(_decided_since(since))).one()
    return Share(int(part or 0), int(whole))


def department_review_on_time(session: Session, since: datetime) -> list[OnTime]:
    """Per department, its review tasks answered since ``since`` and how many of them by
    their clock's due date."""
    on_time = func.sum(case((col(Deadline.met_at) <= col(Deadline.due_at), 1), else_=0))
    rows = session.exec(
        select(Deadline.department, func.count(), on_time)
        .join(Task, col(Task.id) == col(Deadline.task_id))
        .where(
            Deadline.step == Step.department_review,
            Task.status == TaskStatus.done,
            col(Deadline.met_at) >= since,
        )
        .group_by(Deadline.department)
    ).all()
    figures = [OnTime(str(d), int(done), int(good or 0)) for d, done, good in rows]
    order = {d.value: i for i, d in enumerate(REVIEW_DEPARTMENTS)}
    return sorted(figures, key=lambda f: (order.get(f.department, len(order)), f.department))


def review_figures(session: Session, now: datetime | None = None) -> ReviewFigures:
    bounds = month_starts(now or utcnow())
    since = bounds[0]
    return ReviewFigures(
        since=since,
        started_per_month=started_per_month(session, bounds),
        time_to_decision=median_time_to_decision(session, since),
        special=special_share(session, since),
        declined=declined_share(session, since),
        on_time=department_review_on_time(session, since),
    )
