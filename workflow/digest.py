"""The daily digest: one mail per manager instead of one per event."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from models.complaint import Complaint
from models.deadline import Deadline
from models.notification import NoticeKind, Notification
from models.satisfaction import SatisfactionRow
from models.user import User
from notifications.ledger import queue_notice
from notifications.templates import render_notice
from workflow.calendar import company_calendar
from workflow.clock import utcnow
from workflow.deadlines import clock_figures
from workflow.history_checkpoints import chain_head
from workflow.rules import BUSINESS_DAY_HOURS, Department, Role
from workflow.satisfaction_report import monthly_satisfaction
from workflow.sweep import STEP_LABELS

DIGEST_ROLES = (Role.manager, Role.general_manager)
MAX_LINES = 200


@dataclass(frozen=True)
class DigestLine:
    reference: str
    product: str
    severity: str
    step: str
    department: str
    due_at: datetime
    late_by_hours: float


def digest_recipients(session: Session) -> list[User]:
    return list(
        session.exec(
            select(User).where(
                col(User.role).in_(DIGEST_ROLES),
                User.is_active == True,  # noqa: E712
                User.digest_enabled == True,  # noqa: E712
            )
        )
    )


def departments_of(user: User) -> list[Department] | None:
    """The departments a manager watches; None means all of them."""
    if user.role is Role.general_manager or user.department in (None, Department.management):
        return None
    return [Department(user.department)]


def digest_lines(
    session: Session, departments: list[Department] | None, now: datetime
) -> tuple[list[DigestLine], list[DigestLine]]:
    """What is overdue, and what falls due within the next business day."""
    horizon = company_calendar().add_business_hours(now, BUSINESS_DAY_HOURS)
    query = (
        select(Deadline, Complaint)
        .join(Complaint, col(Complaint.id) == Deadline.case_id)
        .where(
            col(Deadline.met_at).is_(None),
            col(Deadline.paused_since).is_(None),
            col(Deadline.due_at) < horizon,
        )
        .order_by(col(Deadline.due_at))
        .limit(2 * MAX_LINES)
    )
    if departments is not None:
        query = query.where(col(Deadline.department).in_(departments))
    overdue: list[DigestLine] = []
    due_soon: list[DigestLine] = []
    for clock, complaint in session.exec(query):
        line = DigestLine(
            reference=complaint.reference,
            product=complaint.product,
            severity=complaint.severity.value,
            step=STEP_LABELS[clock.step],
            department=clock.department.value,
            due_at=clock.due_at,
            late_by_hours=round(clock_figures(clock, now)[2], 1),
        )
        (overdue if clock.due_at <= now else due_soon).append(line)
    return overdue[:MAX_LINES], due_soon[:MAX_LINES]


def month_satisfaction(session: Session, now: datetime) -> SatisfactionRow | None:
    """The satisfaction figures of the complaints closed this month so far (UTC months, as
    the dashboard's trend); None before the month's first invitation."""
    start = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    rows = monthly_satisfaction(session, start=start, end=now + timedelta(seconds=1))
    return rows[0] if rows else None


def queue_digest(session: Session, user: User) -> Notification | None:
    """Queue today's digest for the user, once a day; None if there is nothing to tell."""
    now = utcnow()
    overdue, due_soon = digest_lines(session, departments_of(user), now)
    if not overdue and not due_soon:
        return None
    day = company_calendar().local_date(now)
    context = {
        "reference": f"digest {day.isoformat()}",
        "quote_reference": False,
        "name": user.full_name,
        "day": day.isoformat(),
        "overdue": overdue,
        "due_soon": due_soon,
        "scope": ", ".join(d.value for d in departments_of(user) or []) or "all departments",
        # The chain's head in the managers' mailboxes: a copy the database owner cannot reach.
        "history_head": chain_head(session),
        "satisfaction": month_satisfaction(session, now),
    }
    return queue_notice(
        session,
        case_id=None,
        kind=NoticeKind.digest,
        recipient=str(user.email),
        rendered=render_notice(NoticeKind.digest, context),
        dedupe_key=f"digest:{user.id}:{day.isoformat()}",
    )
