"""The complaint register: one row per complaint received in a period, as auditors ask for it.

The rows and the totals are gathered here once; ``register_writers`` writes them as PDF,
Excel or CSV, so the three formats always hold the same figures.

- Days are the company's (``CW_BUSINESS_TIMEZONE``): ``from`` is the first day, ``to`` the day
  after the last, like the deadline report.
- *Investigated* is quality's latest decision: ``yes``, ``no`` (with its reason) or
  ``pending`` while quality has not decided.
- *Days to resolve*: calendar days from receipt to the resolution notice, one decimal.
- *On time*: resolved by the date promised to the customer (``reply_due_at``, which moves
  by the time the company waited on the customer); ``late`` also for an open complaint past
  that date; ``open`` before it; ``-`` for feedback that promises no reply.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time

from sqlmodel import Session, SQLModel, col, or_, select

from models.complaint import Complaint
from models.customer import Customer
from models.resolution import Resolution
from workflow.calendar import company_calendar
from workflow.clock import utcnow
from workflow.rules import OPEN_STATUSES, Kind, Status

SECONDS_A_DAY = 86_400
NO_VALUE = "-"


@dataclass(frozen=True)
class RegisterFilter:
    first_day: date | None = None
    day_after: date | None = None
    kind: Kind | None = None
    status: Status | None = None
    product: str | None = None
    customer: str | None = None

    def described(self) -> str:
        parts = [
            f"received from {self.first_day or 'the first'} to "
            f"{'before ' + str(self.day_after) if self.day_after else 'today'}"
        ]
        for name, value in (
            ("kind", self.kind),
            ("status", self.status),
            ("product containing", self.product),
            ("customer containing", self.customer),
        ):
            if value:
                parts.append(f"{name} {getattr(value, 'value', value)!r}")
        return "; ".join(parts)


class RegisterRow(SQLModel):
    reference: str
    received_at: datetime
    customer: str
    product: str
    lot_number: str | None
    kind: Kind
    severity: str
    status: Status
    investigated: str
    not_investigated_because: str | None
    resolved_at: datetime | None
    closed_at: datetime | None
    days_to_resolve: float | None
    on_time: str
    quality_record_complete_at: datetime | None


class RegisterTotals(SQLModel):
    complaints: int = 0
    investigated: int = 0
    not_investigated: int = 0
    resolved: int = 0
    closed: int = 0
    on_time: int = 0
    late: int = 0
    quality_record_complete: int = 0
    mean_days_to_resolve: float | None = None


@dataclass
class Register:
    filters: RegisterFilter
    rows: list[RegisterRow] = field(default_factory=list)
    totals: RegisterTotals = field(default_factory=RegisterTotals)


def _company_midnight(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=company_calendar().zone).astimezone(UTC)


def _matching(filters: RegisterFilter):  # noqa: ANN202 - a SQLModel select of two entities
    query = select(Complaint, Customer).join(Customer, col(Customer.id) == Complaint.customer_id)
    if filters.first_day:
        query = query.where(Complaint.received_at >= _company_midnight(filters.first_day))
    if filters.day_after:
        query = query.where(Complaint.received_at < _company_midnight(filters.day_after))
    if filters.kind:
        query = query.where(Complaint.kind == filters.kind)
    if filters.status:
        query = query.where(Complaint.status == filters.status)
    if filters.product:
        query = query.where(col(Complaint.product).icontains(filters.product, autoescape=True))
    if filters.customer:
        query = query.where(
            or_(
                col(Customer.name).icontains(filters.customer, autoescape=True),
                col(Customer.company).icontains(filters.customer, autoescape=True),
            )
        )
    return query.order_by(col(Complaint.received_at), col(Complaint.id))


def _latest_resolutions(session: Session, complaint_ids: list[int]) -> dict[int, Resolution]:
    latest: dict[int, Resolution] = {}
    for start in range(0, len(complaint_ids), 500):
        chunk = complaint_ids[start : start + 500]
        for resolution in session.exec(
            select(Resolution)
            .where(col(Resolution.complaint_id).in_(chunk))
            .order_by(col(Resolution.revision))
        ):
            latest[resolution.complaint_id] = resolution
    return latest


def timeliness(complaint: Complaint, now: datetime) -> str:
    due = complaint.reply_due_at
    if due is None:
        return NO_VALUE
    if complaint.resolved_at is not None:
        return "on time" if complaint.resolved_at <= due else "late"
    if complaint.status in OPEN_STATUSES:
        return "late" if now > due else "open"
    return NO_VALUE


def _customer_name(customer: Customer) -> str:
    return f"{customer.name} ({customer.company})" if customer.company else customer.name


def _row(complaint: Complaint, customer: Customer, decision: Resolution | None) -> RegisterRow:
    days = None
    if complaint.resolved_at is not None:
        elapsed = complaint.resolved_at - complaint.received_at
        days = round(elapsed.total_seconds() / SECONDS_A_DAY, 1)
    investigated = "pending" if decision is None else ("yes" if decision.investigate else "no")
    return RegisterRow(
        reference=complaint.reference,
        received_at=complaint.received_at,
        customer=_customer_name(customer),
        product=complaint.product,
        lot_number=complaint.lot_number,
        kind=complaint.kind,
        severity=complaint.severity.value,
        status=complaint.status,
        investigated=investigated,
        not_investigated_because=(
            decision.no_investigation_reason if decision and not decision.investigate else None
        ),
        resolved_at=complaint.resolved_at,
        closed_at=complaint.closed_at,
        days_to_resolve=days,
        on_time=timeliness(complaint, utcnow()),
        quality_record_complete_at=complaint.quality_record_complete_at,
    )


def register_totals(rows: Iterable[RegisterRow]) -> RegisterTotals:
    totals = RegisterTotals()
    days: list[float] = []
    for row in rows:
        totals.complaints += 1
        totals.investigated += row.investigated == "yes"
        totals.not_investigated += row.investigated == "no"
        totals.resolved += row.resolved_at is not None
        totals.closed += row.closed_at is not None
        totals.on_time += row.on_time == "on time"
        totals.late += row.on_time == "late"
        totals.quality_record_complete += row.quality_record_complete_at is not None
        if row.days_to_resolve is not None:
            days.append(row.days_to_resolve)
    totals.mean_days_to_resolve = round(sum(days) / len(days), 1) if days else None
    return totals


def complaint_register(session: Session, filters: RegisterFilter) -> Register:
    found = session.exec(_matching(filters)).all()
    decisions = _latest_resolutions(session, [c.id for c, _ in found if c.id is not None])
    rows = [_row(c, customer, decisions.get(c.id or 0)) for c, customer in found]
    return Register(filters=filters, rows=rows, totals=register_totals(rows))
