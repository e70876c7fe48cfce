"""Read-side queries: lists, the complaint file, the overdue board."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session, col, or_, select

from models.base import id_of
from models.complaint import Complaint, ComplaintPublic, ComplaintSummary
from models.customer import Customer, CustomerPublic
from models.deadline import Deadline
from models.history import HistoryEntryPublic
from models.mail import CustomerMessage, CustomerMessagePublic
from models.notification import Notification, NotificationPublic
from models.resolution import Resolution, ResolutionPublic
from models.review import Review
from models.task import Task, TaskPublic
from models.views import ComplaintRecord, OverdueItem, Page
from workflow.capa_queries import actions_public, latest_check_public
from workflow.cases import case_reference, with_case_records
from workflow.catalogue_view import catalogue_fields
from workflow.clock import utcnow
from workflow.closing import closing_facts
from workflow.comments import list_comments
from workflow.complaints import get_complaint
from workflow.contracts import contract_reference_of_complaint
from workflow.deadlines import clock_figures, clock_public
from workflow.errors import NotFound
from workflow.facts import task_facts
from workflow.history import list_history
from workflow.related import related_of
from workflow.rules import (
    OPEN_STATUSES,
    OPEN_TASK_STATUSES,
    TASK_MAIN_STEPS,
    Action,
    Actor,
    Department,
    Kind,
    Severity,
    Status,
    available_actions,
)
from workflow.users import usernames


@dataclass(frozen=True)
class ComplaintFilter:
    status: Status | None = None
    kind: Kind | None = None
    severity: Severity | None = None
    department: Department | None = None
    customer_id: int | None = None
    received_by_id: int | None = None
    overdue: bool | None = None
    text: str | None = None
    product_unmapped: bool | None = None


def _is_late(due_at: datetime | None, now: datetime) -> bool:
    return due_at is not None and due_at < now


def list_complaints(
    session: Session, filters: ComplaintFilter, *, limit: int, offset: int
) -> Page[ComplaintSummary]:
    now = utcnow()
    query = select(Complaint, Customer.name).join(
        Customer, col(Customer.id) == Complaint.customer_id
    )
    for field, value in (
        (Complaint.status, filters.status),
        (Complaint.kind, filters.kind),
        (Complaint.severity, filters.severity),
        (Complaint.current_department, filters.department),
        (Complaint.customer_id, filters.customer_id),
        (Complaint.received_by_id, filters.received_by_id),
    ):
        if value is not None:
            query = query.where(field == value)
    if filters.overdue is not None:
        late = col(Complaint.status).in_(OPEN_STATUSES) & (col(Complaint.due_at) < now)
        query = query.where(late if filters.overdue else ~late)
    if filters.product_unmapped is not None:
        unmapped = col(Complaint.product_id).is_(None)
        query = query.where(unmapped if filters.product_unmapped else ~unmapped)
    if filters.text:
        # The text is searched for as it is: % and _ in it are not wildcards.
        query = query.where(
            or_(
                *(
                    col(column).icontains(filters.text, autoescape=True)
                    for column in (
                        Complaint.reference,
                        Complaint.product,
                        Complaint.description,
                        Complaint.lot_number,
                        Customer.name,
                    )
                )
            )
        )
    rows = session.exec(
        query.order_by(col(Complaint.created_at).desc(), col(Complaint.id).desc())
        .offset(offset)
        .limit(limit + 1)
    ).all()
    items = [
        ComplaintSummary.model_validate(
            complaint,
            from_attributes=True,
            update={
                "customer_name": name,
                "overdue": complaint.status in OPEN_STATUSES and _is_late(complaint.due_at, now),
            },
        )
        for complaint, name in rows[:limit]
    ]
    return Page(items=items, limit=limit, offset=offset, has_more=len(rows) > limit)


def case_references(session: Session, ids: set[int | None]) -> dict[int, str]:
    """The references of the cases (complaints, reviews) with these ids (None and unknown ids
    left out)."""
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    found: dict[int, str] = {}
    for record in (Complaint, Review):
        rows = session.exec(select(record.id, record.reference).where(col(record.id).in_(wanted)))
        found.update({i: r for i, r in rows if i is not None})
    return found


def task_public(
    task: Task,
    reference: str,
    assignee: str | None,
    now: datetime,
    clock: Deadline | None = None,
    actions: list[Action] | None = None,
) -> TaskPublic:
    return TaskPublic.model_validate(
        task,
        from_attributes=True,
        update={
            "complaint_reference": reference,
            "assignee": assignee,
            "overdue": task.status in OPEN_TASK_STATUSES and _is_late(task.due_at, now),
            "clock": clock_public(clock, now) if clock else None,
            "available_actions": actions or [],
        },
    )


def task_clocks(session: Session, task_ids: list[int]) -> dict[int, Deadline]:
    if not task_ids:
        return {}
    """Each task's own clock (the one it is due by, not its milestones')."""
    clocks = session.exec(
        select(Deadline).where(
            col(Deadline.task_id).in_(task_ids), col(Deadline.step).in_(TASK_MAIN_STEPS)
        )
    ).all()
    return {c.task_id: c for c in clocks if c.task_id is not None}


def _duplicate_links(session: Session, complaint: Complaint) -> dict[str, Any]:
    original = (
        session.get(Complaint, complaint.duplicate_of_id) if complaint.duplicate_of_id else None
    )
    duplicates = session.exec(
        select(Complaint.reference)
        .where(Complaint.duplicate_of_id == complaint.id)
        .order_by(col(Complaint.id))
    ).all()
    return {
        "duplicate_of": original.reference if original else None,
        "duplicates": list(duplicates),
    }


def complaint_public(
    session: Session, complaint: Complaint, actor: Actor | None = None
) -> ComplaintPublic:
    customer = session.get(Customer, complaint.customer_id)
    names = usernames(session, {complaint.received_by_id})
    return ComplaintPublic.model_validate(
        complaint,
        from_attributes=True,
        update={
            "customer": CustomerPublic.model_validate(customer, from_attributes=True),
            "received_by": names.get(complaint.received_by_id, "?"),
            "overdue": complaint.status in OPEN_STATUSES and _is_late(complaint.due_at, utcnow()),
            **_duplicate_links(session, complaint),
            "related": related_of(session, complaint),
            "actions": actions_public(session, id_of(complaint), actor),
            "effectiveness_check": latest_check_public(session, id_of(complaint)),
            **catalogue_fields(session, complaint),
        },
    )


def complaint_record(
    session: Session, reference: str, actor: Actor | None = None
) -> ComplaintRecord:
    """The whole file; with ``actor``, also what that actor may do now on it and its tasks."""
    complaint = get_complaint(session, reference)
    now = utcnow()
    facts = closing_facts(session, complaint)
    tasks = session.exec(
        select(Task).where(Task.case_id == complaint.id).order_by(col(Task.id))
    ).all()
    names = usernames(session, {t.assignee_id for t in tasks})
    clocks = task_clocks(session, [t.id for t in tasks if t.id])
    resolutions = session.exec(
        select(Resolution)
        .where(Resolution.complaint_id == complaint.id)
        .order_by(col(Resolution.revision))
    ).all()
    notices = session.exec(
        select(Notification)
        .where(Notification.case_id == complaint.id)
        .order_by(col(Notification.id))
    ).all()
    return ComplaintRecord(
        **complaint_public(session, complaint, actor).model_dump(),
        deadlines=[
            clock_public(c, now)
            for c in session.exec(
                select(Deadline)
                .where(Deadline.case_id == complaint.id)
                .order_by(col(Deadline.started_at), col(Deadline.id))
            )
        ],
        available_actions=sorted(available_actions(facts, actor)) if actor else [],
        tasks=[
            task_public(
                t,
                reference,
                names.get(t.assignee_id or -1),
                now,
                clocks.get(t.id or -1),
                sorted(available_actions(facts, actor, task_facts(t, tasks))) if actor else [],
            )
            for t in tasks
        ],
        resolutions=[ResolutionPublic.model_validate(r, from_attributes=True) for r in resolutions],
        notifications=[NotificationPublic.model_validate(n, from_attributes=True) for n in notices],
        customer_messages=[
            CustomerMessagePublic.model_validate(m, from_attributes=True)
            for m in session.exec(
                select(CustomerMessage)
                .where(CustomerMessage.complaint_id == complaint.id)
                .order_by(col(CustomerMessage.received_at), col(CustomerMessage.id))
            )
        ],
        comments=list_comments(session, id_of(complaint)),
        history=[
            HistoryEntryPublic.model_validate(h, from_attributes=True)
            for h in list_history(session, id_of(complaint))
        ],
        contract_reference=contract_reference_of_complaint(session, id_of(complaint)),
    )


def list_tasks(
    session: Session,
    *,
    department: Department | None,
    statuses: list[str],
    assignee_id: int | None,
    limit: int,
    offset: int,
) -> Page[TaskPublic]:
    now = utcnow()
    query = with_case_records(select(Task, case_reference()), Task.case_id)
    if department is not None:
        query = query.where(Task.department == department)
    if statuses:
        query = query.where(col(Task.status).in_(statuses))
    if assignee_id is not None:
        query = query.where(Task.assignee_id == assignee_id)
    rows = session.exec(
        query.order_by(col(Task.due_at), col(Task.id)).offset(offset).limit(limit + 1)
    ).all()
    names = usernames(session, {t.assignee_id for t, _ in rows})
    clocks = task_clocks(session, [t.id for t, _ in rows[:limit] if t.id])
    items = [
        task_public(t, ref, names.get(t.assignee_id or -1), now, clocks.get(t.id or -1))
        for t, ref in rows[:limit]
    ]
    return Page(items=items, limit=limit, offset=offset, has_more=len(rows) > limit)


def describe_lateness(late: timedelta) -> str:
    minutes = int(late.total_seconds() // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    parts = [f"{days}d"] if days else []
    if hours or days:
        parts.append(f"{hours}h")
    if not days:
        parts.append(f"{minutes}m")
    return " ".join(parts)


@dataclass(frozen=True)
class OverdueFilter:
    department: Department | None = None
    severity: Severity | None = None
    escalation_level: int | None = None
    assignee_id: int | None = None


def overdue_items(session: Session, filters: OverdueFilter, *, limit: int) -> list[OverdueItem]:
    """Running clocks past their due date (paused ones excluded), most late first."""
    now = utcnow()
    query = (
        select(Deadline, Complaint.reference, Complaint.severity)
        .join(Complaint, col(Complaint.id) == Deadline.case_id)
        .where(
            col(Deadline.met_at).is_(None),
            col(Deadline.paused_since).is_(None),
            col(Deadline.due_at) < now,
        )
    )
    for column, value in (
        (Deadline.department, filters.department),
        (Complaint.severity, filters.severity),
        (Deadline.escalation_level, filters.escalation_level),
        (Deadline.owner_id, filters.assignee_id),
    ):
        if value is not None:
            query = query.where(column == value)
    rows = session.exec(query.order_by(col(Deadline.due_at)).limit(limit)).all()
    names = usernames(session, {clock.owner_id for clock, _, _ in rows})
    items = [
        OverdueItem(
            reference=reference,
            step=clock.step,
            cycle=clock.cycle,
            task_id=clock.task_id,
            department=clock.department,
            assignee=names.get(clock.owner_id or -1),
            severity=Severity(severity),
            due_at=clock.due_at,
            late_hours=round(clock_figures(clock, now)[2], 2),
            late=describe_lateness(now - clock.due_at),
            escalation_level=clock.escalation_level,
        )
        for clock, reference, severity in rows
    ]
    items.sort(key=lambda i: (i.late_hours, now - i.due_at), reverse=True)
    return items


def task_view(session: Session, task_id: int) -> TaskPublic:
    task = session.get(Task, task_id)
    if task is None:
        raise NotFound(f"no task {task_id}")
    reference = case_references(session, {task.case_id})[task.case_id]
    names = usernames(session, {task.assignee_id})
    clocks = task_clocks(session, [task_id])
    return task_public(
        task, reference, names.get(task.assignee_id or -1), utcnow(), clocks.get(task_id)
    )


def search_customers(session: Session, text: str, *, limit: int = 8) -> list[Customer]:
    """Customers whose name, company, e-mail or phone contains ``text`` (as typed)."""
    return list(
        session.exec(
            select(Customer)
            .where(
                or_(
                    *(
                        col(column).icontains(text, autoescape=True)
                        for column in (
                            Customer.name,
                            Customer.company,
                            Customer.email,
                            Customer.phone,
                        )
                    )
                )
            )
            .order_by(col(Customer.name), col(Customer.id))
            .limit(limit)
        )
    )
