"""How the company keeps its promises: on-time share, times to answer, aging, load.

Times are business hours on the company calendar, less time paused waiting on the customer.
Medians are the usual median; the 90th percentile is the nearest-rank one (the value at
position ceil(0.9 n) in sorted order), so figures can be checked by hand.
"""

import math
import statistics
from collections import defaultdict
from collections.abc import Callable
from datetime import datetime
from enum import StrEnum

from sqlmodel import Field, Session, SQLModel, col, select

from models.base import id_of
from models.complaint import Complaint
from models.customer import Customer
from models.deadline import Deadline
from models.history import HistoryEntry
from models.quality import CauseCode, DefectCode
from models.task import Task
from workflow.clock import utcnow
from workflow.deadlines import clock_figures
from workflow.rules import CLOSES_WHEN_DUE, OPEN_STATUSES, OPEN_TASK_STATUSES, Action, Step

AGE_BUCKETS = (
    ("open_0_2_days", 0, 2),
    ("open_3_7_days", 3, 7),
    ("open_8_30_days", 8, 30),
    ("open_over_30_days", 31, None),
)


class GroupBy(StrEnum):
    department = "department"
    severity = "severity"
    product = "product"
    customer = "customer"
    defect_code = "defect_code"  # quality's defect code, with its family
    cause_code = "cause_code"  # quality's cause code, with its 6M category


class ReportRow(SQLModel):
    group: str
    complaints: int = Field(description="Complaints received in the period.")
    steps_done: int = Field(description="Clocked steps finished.")
    steps_on_time: int
    on_time_share: float | None = Field(description="steps_on_time / steps_done")
    acknowledge_median_hours: float | None
    acknowledge_p90_hours: float | None
    first_assessment_median_hours: float | None
    first_assessment_p90_hours: float | None
    resolution_median_hours: float | None = Field(description="Receipt to resolution notice.")
    resolution_p90_hours: float | None
    reopened: int
    reopened_share: float | None
    open_0_2_days: int
    open_3_7_days: int
    open_8_30_days: int
    open_over_30_days: int
    open_tasks: int = Field(description="Open load: tasks open or claimed now.")
    quality_record_complete: int = Field(
        default=0,
        description="Complaints whose quality record is complete: an effective check of the "
        "corrective actions, or closed with nothing to correct.",
    )


def p90(values: list[float]) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[math.ceil(0.9 * len(ordered)) - 1], 2)


def median(values: list[float]) -> float | None:
    return round(statistics.median(values), 2) if values else None


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


NO_CODE = "(no code yet)"


def code_labels(session: Session) -> tuple[dict[int, str], dict[int, str]]:
    """Each defect and cause code's report label: code, then its family or category."""
    defects = {id_of(d): f"{d.code} ({d.family})" for d in session.exec(select(DefectCode))}
    causes = {id_of(c): f"{c.code} ({c.category.value})" for c in session.exec(select(CauseCode))}
    return defects, causes


def _complaint_key(
    group_by: GroupBy, names: dict[int, str], codes: tuple[dict[int, str], dict[int, str]]
) -> Callable[[Complaint], str]:
    defects, causes = codes
    return {
        GroupBy.department: lambda c: c.current_department.value if c.current_department else "-",
        GroupBy.severity: lambda c: c.severity.value,
        GroupBy.product: lambda c: c.product,
        GroupBy.customer: lambda c: names.get(c.customer_id, "?"),
        GroupBy.defect_code: lambda c: defects.get(c.defect_code_id or -1, NO_CODE),
        GroupBy.cause_code: lambda c: causes.get(c.cause_code_id or -1, NO_CODE),
    }[group_by]


def deadline_report(
    session: Session, *, start: datetime, end: datetime, group_by: GroupBy
) -> list[ReportRow]:
    now = utcnow()
    complaints = {
        c.id: c
        for c in session.exec(
            select(Complaint).where(Complaint.received_at >= start, Complaint.received_at < end)
        )
    }
    ids = list(complaints)
    names = {
        id_of(c): c.name
        for c in session.exec(
            select(Customer).where(
                col(Customer.id).in_({c.customer_id for c in complaints.values()})
            )
        )
    }
    complaint_key = _complaint_key(group_by, names, code_labels(session))

    def clock_key(clock: Deadline) -> str:
        if group_by is GroupBy.department:
            return clock.department.value
        return complaint_key(complaints[clock.case_id])

    groups: dict[str, dict] = defaultdict(lambda: defaultdict(list))
    for complaint in complaints.values():
        bucket = groups[complaint_key(complaint)]
        bucket["complaints"].append(complaint.id)
        if complaint.status in OPEN_STATUSES:
            bucket["open_ages"].append((now - complaint.received_at).days)
        if complaint.quality_record_complete_at is not None:
            bucket["quality_record_complete"].append(complaint.id)
    clocks = session.exec(select(Deadline).where(col(Deadline.case_id).in_(ids))).all()
    for clock in clocks:
        if clock.met_at is None or clock.step in CLOSES_WHEN_DUE:  # the customer's clock
            continue
        bucket = groups[clock_key(clock)]
        bucket["done"].append(clock.met_at <= clock.due_at)
        used = clock_figures(clock, now)[0]
        first_round = clock.cycle in (0, 1)
        if clock.step is Step.acknowledgement:
            bucket["acknowledge"].append(used)
        elif clock.step is Step.first_assessment and first_round:
            bucket["first_assessment"].append(used)
        elif clock.step is Step.customer_reply and clock.cycle == 0:
            bucket["resolution"].append(used)
    reopened = set(
        session.exec(
            select(HistoryEntry.case_id).where(
                col(HistoryEntry.case_id).in_(ids), HistoryEntry.action == Action.reopen.value
            )
        )
    )
    for complaint_id in reopened:
        groups[complaint_key(complaints[complaint_id])]["reopened"].append(complaint_id)
    open_tasks = session.exec(
        select(Task).where(col(Task.case_id).in_(ids), col(Task.status).in_(OPEN_TASK_STATUSES))
    ).all()
    for task in open_tasks:
        key = (
            task.department.value
            if group_by is GroupBy.department
            else complaint_key(complaints[task.case_id])
        )
        groups[key]["open_tasks"].append(task.id)
    return [_row(key, groups[key]) for key in sorted(groups)]


def _row(key: str, bucket: dict) -> ReportRow:
    done = bucket["done"]
    complaints = len(bucket["complaints"])
    ages = bucket["open_ages"]
    aging = {
        name: sum(1 for a in ages if a >= low and (high is None or a <= high))
        for name, low, high in AGE_BUCKETS
    }
    return ReportRow(
        group=key,
        complaints=complaints,
        steps_done=len(done),
        steps_on_time=sum(done),
        on_time_share=_share(sum(done), len(done)),
        acknowledge_median_hours=median(bucket["acknowledge"]),
        acknowledge_p90_hours=p90(bucket["acknowledge"]),
        first_assessment_median_hours=median(bucket["first_assessment"]),
        first_assessment_p90_hours=p90(bucket["first_assessment"]),
        resolution_median_hours=median(bucket["resolution"]),
        resolution_p90_hours=p90(bucket["resolution"]),
        reopened=len(bucket["reopened"]),
        reopened_share=_share(len(bucket["reopened"]), complaints),
        open_tasks=len(bucket["open_tasks"]),
        quality_record_complete=len(bucket["quality_record_complete"]),
        **aging,
    )
