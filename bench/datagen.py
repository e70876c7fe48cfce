"""Large data generated straight into the database (SQLAlchemy Core, executemany in chunks):
complaints over a year, three tasks each, customers, and a running clock for each open one."""

import time
from datetime import timedelta

from sqlalchemy import func, insert, select, update
from sqlmodel import col

from models.base import table_of
from models.case import CaseFile
from models.complaint import Complaint
from models.customer import Customer
from models.deadline import Deadline
from models.enums import ProcessKind
from models.task import Task
from models.user import User
from workflow.clock import utcnow
from workflow.db import get_write_engine
from workflow.rules import Department, Kind, Severity, Status, Step, TaskKind, TaskStatus

CHUNK = 20_000
COMPLAINT_CASE = ProcessKind.complaint.value
COMPLAINTS_PER_CUSTOMER = 10
# One in twenty complaints of each status, repeated: 70 % closed, 30 % open in four states.
STATUS_CYCLE = (
    [Status.closed] * 14
    + [Status.with_quality] * 2
    + [
        Status.with_sales,
        Status.received,
        Status.resolved,
        Status.resolved,
    ]
)
DEPARTMENT_OF = {
    Status.closed: None,
    Status.with_quality: Department.quality,
    Status.with_sales: Department.sales,
    Status.received: Department.sales,
    Status.resolved: Department.sales,
}
OPEN_CLOCK = {
    Status.with_quality: (Step.quality_result, Department.quality, 0),
    Status.with_sales: (Step.sales_review, Department.sales, 1),
    Status.received: (Step.customer_reply, Department.sales, None),
    Status.resolved: (Step.customer_reply, Department.sales, None),
}


def _next_id(connection, table) -> int:
    return (connection.execute(select(func.max(table.c.id))).scalar() or 0) + 1


def generate(first: int, last: int) -> float:
    """Complaints ``first`` to ``last - 1`` (and what belongs to them); seconds taken."""
    began = time.perf_counter()
    now = utcnow()
    engine = get_write_engine()
    tables = {m: table_of(m) for m in (CaseFile, Complaint, Customer, Task, Deadline)}
    with engine.begin() as connection:
        sales_id = connection.execute(
            select(col(User.id)).where(col(User.username) == "sales")
        ).scalar_one()
    for start in range(first, last, CHUNK):
        stop = min(start + CHUNK, last)
        with engine.begin() as connection:
            complaint_id = _next_id(connection, tables[CaseFile])
            task_id = _next_id(connection, tables[Task])
            customer_id = _next_id(connection, tables[Customer])
            customers: list[dict] = []
            complaints: list[dict] = []
            tasks: list[dict] = []
            clocks: list[dict] = []
            for i in range(start, stop):
                if i % COMPLAINTS_PER_CUSTOMER == 0 or (not customers and i == start):
                    customers.append(
                        {
                            "id": customer_id + len(customers),
                            "name": f"Customer {i}",
                            "company": f"Company {i % 5000}",
                            "email": f"c{i}@example.com",
                            "notification_targets": [],
                            "created_at": now,
                        }
                    )
                status = STATUS_CYCLE[i % len(STATUS_CYCLE)]
                is_open = status is not Status.closed
                received = now - timedelta(days=(i % 30) if is_open else (i % 365), minutes=i % 997)
                due = received + timedelta(days=10)
                cid = complaint_id + (i - start)
                complaints.append(
                    {
                        "id": cid,
                        "kind": Kind.complaint.value,
                        "channel": "phone",
                        "product": f"Product {i % 400}",
                        "lot_number": f"L-{i % 9000}",
                        "description": "Generated for the large-data benchmark.",
                        "severity": (
                            Severity.critical
                            if i % 10 == 0
                            else Severity.major
                            if i % 3 == 0
                            else Severity.minor
                        ).value,
                        "reference": f"BEN-{i:010d}",
                        "customer_id": customers[-1]["id"],
                        "received_at": received,
                        "received_by_id": sales_id,
                        "status": status.value,
                        "current_department": d.value if (d := DEPARTMENT_OF[status]) else None,
                        "due_at": due if is_open else None,
                        "reply_due_at": due,
                        "cycle": 1,
                        "created_at": received,
                        "updated_at": received,
                        "version": 3,
                        "status_token": f"bench{i:040x}",
                        "customer_accepted": None,
                        "quantity_affected": 1,
                    }
                )
                first_task = task_id + 3 * (i - start)
                for k, (kind, department) in enumerate(
                    (
                        (TaskKind.quality_assessment, Department.quality),
                        (TaskKind.sales_review, Department.sales),
                        (TaskKind.subtask, Department.technical),
                    )
                ):
                    open_task = (k == 0 and status is Status.with_quality) or (
                        k == 1 and status is Status.with_sales
                    )
                    tasks.append(
                        {
                            "id": first_task + k,
                            "case_id": cid,
                            "department": department.value,
                            "kind": kind.value,
                            "status": (TaskStatus.open if open_task else TaskStatus.done).value,
                            "source_event_id": f"bench-{i}-{k}",
                            "created_at": received,
                            "due_at": due,
                            "done_at": None if open_task else received,
                            "result": {},
                        }
                    )
                if is_open:
                    step, department, task_index = OPEN_CLOCK[status]
                    clocks.append(
                        {
                            "case_id": cid,
                            "step": step.value,
                            "cycle": 1,
                            "department": department.value,
                            "task_id": None if task_index is None else first_task + task_index,
                            "hours": 90.0,
                            "business_time": True,
                            "reminder_fraction": 0.75,
                            "escalation_interval_hours": 4.0,
                            "started_at": received,
                            "due_at": due,
                            "remind_at": received + timedelta(days=7),
                            "paused_hours": 0.0,
                            "escalation_level": 0,
                            "next_check_at": now + timedelta(days=1),
                        }
                    )
            cases = [
                {
                    "id": c["id"],
                    "process": ProcessKind.complaint.value,
                    "created_at": c["created_at"],
                }
                for c in complaints
            ]
            for model, rows in (
                (Customer, customers),
                (CaseFile, cases),
                (Complaint, complaints),
                (Task, tasks),
                (Deadline, clocks),
            ):
                if rows:
                    connection.execute(insert(tables[model]), rows)
    return time.perf_counter() - began


def make_clocks_due(count: int) -> int:
    """Let ``count`` running clocks fall due for a reminder now (the sweep's work)."""
    now = utcnow()
    engine = get_write_engine()
    table = table_of(Deadline)
    with engine.begin() as connection:
        ids = (
            connection.execute(
                select(table.c.id).where(table.c.met_at.is_(None)).order_by(table.c.id).limit(count)
            )
            .scalars()
            .all()
        )
        connection.execute(
            update(table)
            .where(table.c.id.in_(ids))
            .values(
                next_check_at=now - timedelta(seconds=1),
                remind_at=now - timedelta(seconds=1),
                due_at=now + timedelta(days=1),
            )
        )
    return len(ids)


def open_counts() -> tuple[int, int]:
    """(open tasks, running clocks) in the database."""
    engine = get_write_engine()
    with engine.begin() as connection:
        tasks = connection.execute(
            select(func.count()).select_from(Task).where(col(Task.status) == TaskStatus.open)
        ).scalar_one()
        clocks = connection.execute(
            select(func.count()).select_from(Deadline).where(col(Deadline.met_at).is_(None))
        ).scalar_one()
    return tasks, clocks
