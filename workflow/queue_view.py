"""A department's task queue as one table: one query for the rows (tasks with their complaint,
customer, assignee and clock joined, no query per row) and one for the counts per filter."""

import threading
import time
from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, and_, bindparam, case, func
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, or_

from models.complaint import Complaint
from models.customer import Customer
from models.deadline import Deadline, DeadlinePublic
from models.task import Task
from models.user import User
from workflow.away import is_away
from workflow.clock import utcnow
from workflow.deadlines import clock_public
from workflow.facts import facts_of, task_facts
from workflow.queries import describe_lateness
from workflow.rules import (
    OPEN_TASK_STATUSES,
    TASK_MAIN_STEPS,
    Actor,
    Department,
    RowAction,
    Severity,
    Status,
    TaskKind,
    queue_row_actions,
)


class QueueSort(StrEnum):
    severity = "severity"
    reference = "reference"
    customer = "customer"
    product = "product"
    task = "task"
    status = "status"
    age = "age"
    time_left = "time_left"
    assignee = "assignee"


class Direction(StrEnum):
    asc = "asc"
    desc = "desc"


class Assigned(StrEnum):
    mine = "mine"
    unassigned = "unassigned"


@dataclass(frozen=True)
class QueueFilter:
    department: Department | None = None
    severity: Severity | None = None
    status: Status | None = None
    kind: TaskKind | None = None
    overdue: bool = False
    assigned: Assigned | None = None
    text: str = ""
    sort: QueueSort = QueueSort.time_left
    direction: Direction = Direction.asc


@dataclass(frozen=True)
class QueueRow:
    task_id: int
    reference: str
    severity: Severity
    customer: str
    product: str | None
    kind: TaskKind
    department: Department
    complaint_status: Status
    received_at: datetime
    age: str
    due_at: datetime
    overdue: bool
    clock: DeadlinePublic | None
    assignee: str | None
    actions: tuple[RowAction, ...]
    assignee_away: bool = False  # the assignee is away: their deputy stands in


@dataclass(frozen=True)
class QueueCounts:
    """How many tasks of the whole queue (its department, open tasks) each filter value holds."""

    total: int = 0
    severity: Counter[str] = field(default_factory=Counter)
    status: Counter[str] = field(default_factory=Counter)
    kind: Counter[str] = field(default_factory=Counter)
    overdue: int = 0
    assigned: Counter[str] = field(default_factory=Counter)
    counted_at: datetime | None = None  # set when the counts are those of an earlier view


# Most severe first when sorted ascending, as a person reads "by severity".
SEVERITY_RANK = case(
    (col(Complaint.severity) == Severity.critical, 0),
    (col(Complaint.severity) == Severity.major, 1),
    else_=2,
)
SORT_COLUMNS: dict[QueueSort, Any] = {
    QueueSort.severity: SEVERITY_RANK,
    QueueSort.reference: col(Complaint.reference),
    QueueSort.customer: col(Customer.name),
    QueueSort.product: col(Complaint.product),
    QueueSort.task: col(Task.kind),
    QueueSort.status: col(Complaint.status),
    # Youngest first when ascending: age grows as the receipt date goes back.
    QueueSort.age: col(Complaint.received_at).desc(),
    QueueSort.time_left: col(Task.due_at),
    QueueSort.assignee: col(User.username),
}


# The rules' open statuses, as the partial indexes of ``models.task`` name them: literals, in
# sorted order (a test holds the two equal).
_OPEN_STATUS_LITERALS = sorted(status.value for status in OPEN_TASK_STATUSES)


def open_task_scope() -> ColumnElement[bool]:
    """The open tasks, named as the partial indexes name them. With bound parameters instead,
    SQLite cannot tell that the index covers the query."""
    return col(Task.status).in_(
        bindparam("open_task_statuses", _OPEN_STATUS_LITERALS, expanding=True, literal_execute=True)
    )


def _scope(department: Department | None) -> list[ColumnElement[bool]]:
    """The queue itself: the department's open tasks (every department's when None)."""
    where: list[ColumnElement[bool]] = [open_task_scope()]
    if department is not None:
        where.append(col(Task.department) == department)
    return where


def _filters(filters: QueueFilter, actor: Actor, now: datetime) -> list[ColumnElement[bool]]:
    where = _scope(filters.department)
    for column, value in (
        (Complaint.severity, filters.severity),
        (Complaint.status, filters.status),
        (Task.kind, filters.kind),
    ):
        if value is not None:
            where.append(col(column) == value)
    if filters.overdue:
        where.append(col(Task.due_at) < now)
    if filters.assigned is Assigned.mine:
        where.append(col(Task.assignee_id) == actor.user_id)
    elif filters.assigned is Assigned.unassigned:
        where.append(col(Task.assignee_id).is_(None))
    if filters.text:
        # Searched for as typed: % and _ are not wildcards.
        where.append(
            or_(
                *(
                    col(column).icontains(filters.text, autoescape=True)
                    for column in (Complaint.product, Customer.name, Customer.company)
                )
            )
        )
    return where


def _order(filters: QueueFilter) -> list[Any]:
    column = SORT_COLUMNS[filters.sort]
    descending = filters.direction is Direction.desc
    if filters.sort is QueueSort.age:
        column = column.element.asc() if descending else column  # already inverted
    elif filters.sort is QueueSort.assignee:
        # "Nobody yet" leads the ascending list on SQLite and PostgreSQL alike.
        column = column.desc().nulls_last() if descending else column.asc().nulls_first()
    elif descending:
        column = column.desc()
    if filters.sort is QueueSort.time_left and not descending:
        return [column, col(Task.id)]  # the order of the partial index: no sort at all
    return [column, col(Task.due_at), col(Task.id)]


def queue_query(filters: QueueFilter, actor: Actor, now: datetime) -> Any:
    """The rows' one statement: each task with its complaint, customer, assignee and clock."""
    clock_of_task = and_(col(Deadline.task_id) == Task.id, col(Deadline.step).in_(TASK_MAIN_STEPS))
    return (
        sa_select(
            Task, Complaint, col(Customer.name), col(User.username), Deadline, col(User.away_until)
        )
        .join(Complaint, col(Complaint.id) == Task.case_id)
        .join(Customer, col(Customer.id) == Complaint.customer_id)
        .outerjoin(User, col(User.id) == Task.assignee_id)
        .outerjoin(Deadline, clock_of_task)
        .where(*_filters(filters, actor, now))
        .order_by(*_order(filters))
    )


def queue_rows(
    session: Session, filters: QueueFilter, actor: Actor, *, limit: int
) -> tuple[list[QueueRow], bool]:
    """The queue's rows as filtered and sorted, and whether more than ``limit`` matched."""
    now = utcnow()
    rows = session.exec(queue_query(filters, actor, now).limit(limit + 1)).all()
    return [_row(*row, actor=actor, now=now) for row in rows[:limit]], len(rows) > limit


def _row(
    task: Task,
    complaint: Complaint,
    customer: str,
    assignee: str | None,
    clock: Deadline | None,
    away_until: date | None = None,
    *,
    actor: Actor,
    now: datetime,
) -> QueueRow:
    return QueueRow(
        task_id=task.id or 0,
        reference=complaint.reference,
        severity=complaint.severity,
        customer=customer,
        product=complaint.product,
        kind=task.kind,
        department=task.department,
        complaint_status=complaint.status,
        received_at=complaint.received_at,
        age=describe_lateness(now - complaint.received_at),
        due_at=task.due_at,  # kept equal to its clock's by the deadline service
        overdue=task.due_at < now,
        clock=clock_public(clock, now) if clock else None,
        assignee=assignee,
        actions=queue_row_actions(facts_of(complaint), actor, task_facts(task)),
        assignee_away=is_away(away_until, now.date()),
    )


# A queue up to this size is counted on every view (a few milliseconds). A longer one is
# counted at most every COUNTS_KEPT_SECONDS per process and per department, and the page says
# when: a count grouped over 100,000 open tasks takes about 0.3 s, and twenty people reading the
# queue would otherwise spend the cores on counting (bench/README.md, "Pages").
COUNTED_EVERY_VIEW_UP_TO = 2_000
COUNTS_KEPT_SECONDS = 10.0


@dataclass(frozen=True)
class _Groups:
    """The open tasks grouped by each filter's column; assignees by id, so any viewer's "mine"
    can be read off the same groups."""

    rows: list[tuple[str, str, str, bool, int | None, int]]
    counted_at: datetime
    counted_monotonic: float

    @property
    def total(self) -> int:
        return sum(row[-1] for row in self.rows)


_kept_groups: dict[Department | None, _Groups] = {}
_recounting: set[Department | None] = set()  # one recount per queue at a time
_kept_groups_lock = threading.Lock()


def queue_counts(session: Session, department: Department | None, actor: Actor) -> QueueCounts:
    """The count per filter value over the whole queue: grouped in one query, or for a long
    queue the groups of a view less than ``COUNTS_KEPT_SECONDS`` old. When they are older, one
    view counts again while the views meanwhile show the groups kept (twenty people opening
    the queue at once would otherwise count twenty times)."""
    with _kept_groups_lock:
        kept = _kept_groups.get(department)
        if kept is not None and kept.total > COUNTED_EVERY_VIEW_UP_TO:
            fresh = time.monotonic() - kept.counted_monotonic < COUNTS_KEPT_SECONDS
            if fresh or department in _recounting:
                return _counts(kept, actor, counted_at=kept.counted_at)
            _recounting.add(department)
    try:
        groups = _grouped(session, department)
    finally:
        with _kept_groups_lock:
            _recounting.discard(department)
    with _kept_groups_lock:
        _kept_groups[department] = groups
    return _counts(groups, actor, counted_at=None)


def _grouped(session: Session, department: Department | None) -> _Groups:
    now = utcnow()
    overdue = case((col(Task.due_at) < now, True), else_=False)
    rows = session.execute(
        sa_select(
            col(Complaint.severity),
            col(Complaint.status),
            col(Task.kind),
            overdue,
            col(Task.assignee_id),
            func.count(),
        )
        .join(Complaint, col(Complaint.id) == Task.case_id)
        .where(*_scope(department))
        .group_by(Complaint.severity, Complaint.status, Task.kind, overdue, col(Task.assignee_id))
    ).all()
    return _Groups(
        rows=[
            (str(sev), str(status), str(kind), bool(late), who, n)
            for sev, status, kind, late, who, n in rows
        ],
        counted_at=now,
        counted_monotonic=time.monotonic(),
    )


def _counts(groups: _Groups, actor: Actor, *, counted_at: datetime | None) -> QueueCounts:
    counts = QueueCounts(counted_at=counted_at)
    for severity, status, kind, _late, assignee_id, number in groups.rows:
        counts.severity[severity] += number
        counts.status[status] += number
        counts.kind[kind] += number
        counts.assigned[_assigned(assignee_id, actor)] += number
    return replace(
        counts,
        total=groups.total,
        overdue=sum(number for *_, late, _who, number in groups.rows if late),
    )


def _assigned(assignee_id: int | None, actor: Actor) -> str:
    if assignee_id is None:
        return Assigned.unassigned.value
    return Assigned.mine.value if assignee_id == actor.user_id else "others"
