"""A department's task queue as one table: one query for the rows (tasks with their complaint,
customer, assignee and clock joined, no query per row) and one for the counts per filter."""

from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func
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


def _scope(department: Department | None) -> list[ColumnElement[bool]]:
    """The queue itself: the department's open tasks (every department's when None)."""
    where: list[ColumnElement[bool]] = [col(Task.status).in_(OPEN_TASK_STATUSES)]
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
    return [column, col(Task.due_at), col(Task.id)]


def queue_query(filters: QueueFilter, actor: Actor, now: datetime) -> Any:
    """The rows' one statement: each task with its complaint, customer, assignee and clock."""
    clock_of_task = and_(col(Deadline.task_id) == Task.id, col(Deadline.step).in_(TASK_MAIN_STEPS))
    return (
        sa_select(
            Task, Complaint, col(Customer.name), col(User.username), Deadline, col(User.away_until)
        )
        .join(Complaint, col(Complaint.id) == Task.complaint_id)
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


def queue_counts(session: Session, department: Department | None, actor: Actor) -> QueueCounts:
    """The count per filter value over the whole queue, in one grouped query."""
    now = utcnow()
    overdue = case((col(Task.due_at) < now, 1), else_=0)
    assigned = case(
        (col(Task.assignee_id).is_(None), Assigned.unassigned.value),
        (col(Task.assignee_id) == actor.user_id, Assigned.mine.value),
        else_="others",
    )
    groups = session.execute(
        sa_select(
            col(Complaint.severity),
            col(Complaint.status),
            col(Task.kind),
            overdue,
            assigned,
            func.count(),
        )
        .join(Complaint, col(Complaint.id) == Task.complaint_id)
        .where(*_scope(department))
        .group_by(Complaint.severity, Complaint.status, Task.kind, overdue, assigned)
    ).all()
    counts = QueueCounts()
    for severity, status, kind, _late, who, number in groups:
        counts.severity[str(severity)] += number
        counts.status[str(status)] += number
        counts.kind[str(kind)] += number
        counts.assigned[who] += number
    return replace(
        counts,
        total=sum(g[-1] for g in groups),
        overdue=sum(number for *_, late, _who, number in groups if late),
    )
