"""The managers' dashboard: a few counts that tell at a glance how the complaint work goes.

Every figure is counted in SQL (COUNT, SUM over CASE) with portable expressions, so it runs
the same on SQLite and PostgreSQL; only the weekly series is bucketed in Python, from the
timestamps of the last twelve weeks.
"""

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import case, true
from sqlmodel import Session, col, func, select

from models.complaint import Complaint
from models.deadline import Deadline
from models.quality import CauseCode, DefectCode
from models.recurrence import ClusterPublic
from models.satisfaction import SatisfactionRow
from workflow.calendar import company_calendar
from workflow.clock import utcnow
from workflow.recurrence_report import ParetoBar, defect_pareto, recurrence_clusters
from workflow.recurrence_rule import current_rule
from workflow.rules import CLOSES_WHEN_DUE, OPEN_STATUSES, Kind
from workflow.satisfaction_report import monthly_satisfaction

WEEKS = 12
RECENT_DAYS = 90
TOP = 5
SATISFACTION_DAYS = 365
LABEL_LENGTH = 60
AGE_BUCKETS: tuple[tuple[str, timedelta | None], ...] = (
    ("under 1 day", timedelta(days=1)),
    ("1 to 3 days", timedelta(days=3)),
    ("3 to 7 days", timedelta(days=7)),
    ("7 to 14 days", timedelta(days=14)),
    ("over 14 days", None),
)


@dataclass(frozen=True)
class WeekFigures:
    week_start: date
    received: int
    closed: int

    @property
    def label(self) -> str:
        return f"W{self.week_start.isocalendar().week:02d}"


@dataclass(frozen=True)
class OnTime:
    department: str
    steps_done: int
    on_time: int

    @property
    def share(self) -> float | None:
        return self.on_time / self.steps_done if self.steps_done else None


@dataclass(frozen=True)
class Count:
    label: str
    count: int


@dataclass(frozen=True)
class Dashboard:
    generated_at: datetime
    weeks: list[WeekFigures]
    on_time: list[OnTime]
    open_by_age: list[Count]
    top_products: list[Count]
    top_defect_codes: list[Count]
    top_cause_codes: list[Count]
    defect_pareto: list[ParetoBar]  # last 90 days, most frequent defect code first
    open_clusters: list[ClusterPublic]  # clusters meeting the recurrence rule in its window
    satisfaction: list[SatisfactionRow]  # per month of closing, the last twelve months


def _week_start(moment: datetime) -> date:
    local = company_calendar().local_date(moment)
    return local - timedelta(days=local.weekday())


def weekly_figures(session: Session, now: datetime) -> list[WeekFigures]:
    """Complaints and feedback received, and closed, in each of the last twelve weeks."""
    starts = [_week_start(now) - timedelta(weeks=n) for n in reversed(range(WEEKS))]
    since = datetime.combine(starts[0], datetime.min.time(), tzinfo=company_calendar().zone)
    received = Counter(
        _week_start(moment)
        for moment in session.exec(
            select(Complaint.received_at).where(col(Complaint.received_at) >= since)
        )
    )
    closed = Counter(
        _week_start(moment)
        for moment in session.exec(
            select(Complaint.closed_at).where(col(Complaint.closed_at) >= since)
        )
        if moment is not None
    )
    return [WeekFigures(start, received[start], closed[start]) for start in starts]


def on_time_by_department(session: Session, now: datetime) -> list[OnTime]:
    """Clocked steps finished in the last 90 days, and how many by their due date."""
    on_time = func.sum(case((col(Deadline.met_at) <= col(Deadline.due_at), 1), else_=0))
    rows = session.exec(
        select(Deadline.department, func.count(), on_time)
        .where(col(Deadline.met_at) >= now - timedelta(days=RECENT_DAYS))
        .where(col(Deadline.step).not_in(list(CLOSES_WHEN_DUE)))  # the customer's, not ours
        .group_by(Deadline.department)
        .order_by(Deadline.department)
    ).all()
    return [OnTime(str(department), int(done), int(good or 0)) for department, done, good in rows]


def open_by_age(session: Session, now: datetime) -> list[Count]:
    """Open complaints by the time since they were received."""
    columns = []
    lower: timedelta = timedelta(0)
    for _, upper in AGE_BUCKETS:
        older = col(Complaint.received_at) <= now - lower
        newer = col(Complaint.received_at) > now - upper if upper is not None else true()
        columns.append(func.sum(case((older & newer, 1), else_=0)))
        lower = upper or lower
    row = session.exec(select(*columns).where(col(Complaint.status).in_(list(OPEN_STATUSES)))).one()
    return [Count(label, int(n or 0)) for (label, _), n in zip(AGE_BUCKETS, row, strict=True)]


def _shorten(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= LABEL_LENGTH else text[: LABEL_LENGTH - 1] + "\u2026"


def top_products(session: Session, now: datetime) -> list[Count]:
    rows = session.exec(
        select(Complaint.product, func.count().label("n"))
        .where(
            Complaint.kind == Kind.complaint,
            col(Complaint.received_at) >= now - timedelta(days=RECENT_DAYS),
        )
        .group_by(Complaint.product)
        .order_by(func.count().desc(), Complaint.product)
        .limit(TOP)
    ).all()
    return [Count(_shorten(product), int(n)) for product, n in rows]


def _code_label(code: str, label: str, group: str) -> str:
    return _shorten(f"{code} {label} ({group})")


def top_defect_codes(session: Session, now: datetime) -> list[Count]:
    """What is wrong, by quality's defect code (with its family), most frequent first."""
    rows = session.exec(
        select(DefectCode.code, DefectCode.label, DefectCode.family, func.count().label("n"))
        .join(Complaint, col(Complaint.defect_code_id) == DefectCode.id)
        .where(col(Complaint.received_at) >= now - timedelta(days=RECENT_DAYS))
        .group_by(DefectCode.code, DefectCode.label, DefectCode.family)
        .order_by(func.count().desc(), DefectCode.code)
        .limit(TOP)
    ).all()
    return [Count(_code_label(code, label, family), int(n)) for code, label, family, n in rows]


def top_cause_codes(session: Session, now: datetime) -> list[Count]:
    """Why it went wrong, by quality's cause code (with its 6M category)."""
    rows = session.exec(
        select(CauseCode.code, CauseCode.label, CauseCode.category, func.count().label("n"))
        .join(Complaint, col(Complaint.cause_code_id) == CauseCode.id)
        .where(col(Complaint.received_at) >= now - timedelta(days=RECENT_DAYS))
        .group_by(CauseCode.code, CauseCode.label, CauseCode.category)
        .order_by(func.count().desc(), CauseCode.code)
        .limit(TOP)
    ).all()
    return [Count(_code_label(code, label, category), int(n)) for code, label, category, n in rows]


def dashboard(session: Session) -> Dashboard:
    now = utcnow()
    return Dashboard(
        generated_at=now,
        weeks=weekly_figures(session, now),
        on_time=on_time_by_department(session, now),
        open_by_age=open_by_age(session, now),
        top_products=top_products(session, now),
        top_defect_codes=top_defect_codes(session, now),
        top_cause_codes=top_cause_codes(session, now),
        defect_pareto=defect_pareto(session, since=now - timedelta(days=RECENT_DAYS)),
        open_clusters=[
            c
            for c in recurrence_clusters(session, days=current_rule(session).window_days)
            if c.meets_rule
        ],
        satisfaction=monthly_satisfaction(
            session, start=now - timedelta(days=SATISFACTION_DAYS), end=now
        ),
    )
