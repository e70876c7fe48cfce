"""A contract review as people read it: its terms, the departments' tasks and answers, the
meeting, the decision, and what the reader may do now (asked of the rules)."""

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import case, func
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from models.base import id_of
from models.customer import Customer, CustomerPublic
from models.deadline import Deadline
from models.enums import Department, ReviewKind, ReviewStatus, TaskKind, TaskStatus
from models.review import (
    Contract,
    Review,
    ReviewAnswer,
    ReviewAnswerPublic,
    ReviewDocumentPublic,
    ReviewMeeting,
    ReviewMeetingPublic,
    ReviewPublic,
    ReviewTaskPublic,
)
from models.task import Task
from models.user import User
from workflow.attachments import list_attachments
from workflow.errors import InvalidInput
from workflow.reviews import (
    answer_for_customer,
    facts_of_review,
    round_conditions,
)
from workflow.rules import OPEN_TASK_STATUSES, Actor, is_finished
from workflow.rules.review import (
    CLOCKS_RUNNING_STATUSES,
    DEPARTMENT_SCOPE,
    OPEN_REVIEW_STATUSES,
    REVIEW_DEPARTMENTS,
    ReviewFacts,
    available_review_actions,
    questions_for,
)
from workflow.users import usernames


def _tasks_public(tasks: list[Task], names: dict[int, str]) -> list[ReviewTaskPublic]:
    return [
        ReviewTaskPublic(
            id=task.id or 0,
            department=task.department,
            round=task.result.get("round"),
            status=task.status,
            assignee=names.get(task.assignee_id or -1),
            assignee_id=task.assignee_id,
            due_at=task.due_at,
            questions={q.key: q.text for q in questions_for(task.department)},
            scope=DEPARTMENT_SCOPE.get(task.department, ""),
        )
        for task in tasks
    ]


def review_public(
    session: Session, review: Review, actor: Actor, facts: ReviewFacts | None = None
) -> ReviewPublic:
    """``facts``: the review's facts when the caller has them already."""
    facts = facts or facts_of_review(session, review)
    tasks = list(session.exec(select(Task).where(Task.case_id == review.id).order_by(col(Task.id))))
    answers = list(
        session.exec(
            select(ReviewAnswer)
            .where(ReviewAnswer.review_id == review.id)
            .order_by(col(ReviewAnswer.round), col(ReviewAnswer.id))
        )
    )
    meetings = list(session.exec(select(ReviewMeeting).where(ReviewMeeting.review_id == review.id)))
    names = usernames(
        session,
        {
            review.created_by_id,
            *(t.assignee_id for t in tasks),
            *(a.answered_by_id for a in answers),
            *(m.recorded_by_id for m in meetings),
        },
    )
    customer = session.get(Customer, review.customer_id)
    contract = session.get(Contract, review.contract_id) if review.contract_id else None
    answer = answer_for_customer(review, facts)
    accepted = answer not in (None, "declined")
    is_change = review.kind is ReviewKind.change
    answering = [t.department.value for t in tasks if not is_finished(t.status)]
    return ReviewPublic.model_validate(
        review,
        from_attributes=True,
        update={
            "customer": CustomerPublic.model_validate(customer, from_attributes=True),
            "created_by": names.get(review.created_by_id, "?"),
            "customer_answer": answer,
            "conditions": round_conditions(session, review) if answer != "declined" else [],
            "contract_reference": contract.reference if contract and accepted else None,
            "changes_contract": contract.reference if contract and is_change else None,
            "waiting_on": waiting_on(review.status, review.special, in_procedure_order(answering)),
            "tasks": _tasks_public(tasks, names),
            "answers": [
                ReviewAnswerPublic.model_validate(
                    a,
                    from_attributes=True,
                    update={"answered_by": names.get(a.answered_by_id, "?")},
                )
                for a in answers
            ],
            "meetings": [
                ReviewMeetingPublic.model_validate(
                    m,
                    from_attributes=True,
                    update={"recorded_by": names.get(m.recorded_by_id, "?")},
                )
                for m in meetings
            ],
            "documents": [
                ReviewDocumentPublic.model_validate(a, from_attributes=True)
                for a in list_attachments(session, id_of(review))
            ],
            "available_actions": [a.value for a in available_review_actions(facts, actor)],
        },
    )


# The pages' lists: sales' reviews, the general manager's approvals, a department's review tasks.


def _customer_name(name: str, company: str | None) -> str:
    return f"{name}, {company}" if company else name


@dataclass(frozen=True)
class ReviewTaskRow:
    """A department's open review task, as its queue page lists it."""

    task_id: int
    reference: str
    title: str
    customer: str
    department: Department
    round: int
    status: TaskStatus
    due_at: datetime
    claimed_by: str | None


def review_tasks_to_answer(
    session: Session, department: Department | None, limit: int = 100
) -> list[ReviewTaskRow]:
    """The open review tasks of a department (of every department with None), due first: the
    complaint queue's query joins complaints, so a review's tasks are read here."""
    query = (
        sa_select(
            Task,
            col(Review.reference),
            col(Review.title),
            col(Customer.name),
            col(Customer.company),
            col(User.username),
        )
        .join(Review, col(Review.id) == Task.case_id)
        .join(Customer, col(Customer.id) == Review.customer_id)
        .outerjoin(User, col(User.id) == Task.assignee_id)
        .where(
            col(Task.kind) == TaskKind.department_review,
            col(Task.status).in_(OPEN_TASK_STATUSES),
        )
        .order_by(col(Task.due_at), col(Task.id))
        .limit(limit)
    )
    if department is not None:
        query = query.where(col(Task.department) == department)
    return [
        ReviewTaskRow(
            task_id=task.id or 0,
            reference=reference,
            title=title,
            customer=_customer_name(name, company),
            department=task.department,
            round=int(task.result.get("round", 1)),
            status=task.status,
            due_at=task.due_at,
            claimed_by=username,
        )
        for task, reference, title, name, company, username in session.execute(query).all()
    ]


def review_reference_of_task(session: Session, task_id: int) -> str | None:
    """The review a department's review task belongs to; None for any other task."""
    return session.exec(
        select(Review.reference)
        .join(Task, col(Task.case_id) == Review.id)
        .where(Task.id == task_id, Task.kind == TaskKind.department_review)
    ).first()


@dataclass(frozen=True)
class ReviewListRow:
    reference: str
    kind: ReviewKind
    title: str
    customer: str
    status: ReviewStatus
    special: bool
    waiting_on: str | None  # what the review waits for now, in words; None once decided
    due_at: datetime | None  # the earliest running clock: when what it waits for is due
    created_at: datetime


def _running_due():  # noqa: ANN202 - a SQLAlchemy subquery
    return (
        select(Deadline.case_id, func.min(Deadline.due_at).label("due_at"))
        .where(col(Deadline.met_at).is_(None))
        .group_by(col(Deadline.case_id))
        .subquery()
    )


def _departments_answering(session: Session, review_ids: list[int]) -> dict[int, list[str]]:
    rows = session.exec(
        select(Task.case_id, Task.department)
        .where(
            col(Task.case_id).in_(review_ids),
            Task.kind == TaskKind.department_review,
            col(Task.status).in_(OPEN_TASK_STATUSES),
        )
        .order_by(col(Task.id))
    )
    found: dict[int, list[str]] = {}
    for case_id, department in rows:
        found.setdefault(case_id, []).append(str(department))
    return {case_id: in_procedure_order(names) for case_id, names in found.items()}


def in_procedure_order(departments: list[str]) -> list[str]:
    """Departments named in the procedure's order, not their tasks'."""
    order = [d.value for d in REVIEW_DEPARTMENTS]
    return sorted(departments, key=order.index)


def waiting_on(status: ReviewStatus, special: bool, answering: list[str]) -> str | None:
    """What an open review waits for now, in words (None once it is decided): the list's
    column and the review page's "Waiting for" both say it this way."""
    match status:
        case ReviewStatus.in_review:
            if not answering:
                return "the departments' tasks, which open within a few seconds"
            return "the answers of " + ", ".join(answering)
        case ReviewStatus.waiting_on_customer:
            return "the customer's answer to a question; every clock is paused"
        case ReviewStatus.with_sales:
            return "the review meeting" if special else "sales' decision"
        case ReviewStatus.awaiting_approval:
            return "the general manager's approval"
    return None


def shown_due(status: ReviewStatus, due_at: datetime | None) -> datetime | None:
    """When what the review waits for is due: nothing while its clocks wait for the
    customer, nor once it is decided."""
    return due_at if status in CLOCKS_RUNNING_STATUSES else None


def statuses_chosen(choice: str | None) -> frozenset[ReviewStatus] | None:
    """A list's status filter as asked: every review (none), ``open``, or one status."""
    if not choice:
        return None
    if choice == "open":
        return OPEN_REVIEW_STATUSES
    try:
        return frozenset({ReviewStatus(choice)})
    except ValueError:
        raise InvalidInput(
            "status", f"{choice!r} is not a review status", location="query"
        ) from None


def review_list(
    session: Session, statuses: frozenset[ReviewStatus] | None, limit: int = 100
) -> tuple[list[ReviewListRow], bool]:
    """Reviews in the statuses given (all with None): open ones first, the soonest due first,
    then the newest; whether more than ``limit`` matched."""
    due = _running_due()
    is_open = case((col(Review.status).in_(OPEN_REVIEW_STATUSES), 0), else_=1)
    query = (
        sa_select(Review, col(Customer.name), col(Customer.company), due.c.due_at)
        .join(Customer, col(Customer.id) == Review.customer_id)
        .outerjoin(due, due.c.case_id == Review.id)
        .order_by(
            is_open,
            due.c.due_at.is_(None),
            due.c.due_at,
            col(Review.created_at).desc(),
            col(Review.id).desc(),
        )
        .limit(limit + 1)
    )
    if statuses is not None:
        query = query.where(col(Review.status).in_(statuses))
    found = list(session.execute(query).all())
    answering = _departments_answering(session, [r.id for r, *_ in found[:limit] if r.id])
    rows = [
        ReviewListRow(
            reference=review.reference,
            kind=review.kind,
            title=review.title,
            customer=_customer_name(name, company),
            status=review.status,
            special=review.special,
            waiting_on=waiting_on(review.status, review.special, answering.get(review.id or 0, [])),
            due_at=shown_due(review.status, due_at),
            created_at=review.created_at,
        )
        for review, name, company, due_at in found[:limit]
    ]
    return rows, len(found) > limit


@dataclass(frozen=True)
class ApprovalRow:
    """A special review waiting for the general manager's approval."""

    review: Review
    customer: str
    held_on: date | None  # the review meeting's date
    waiting_since: datetime  # when the meeting was recorded
    due_at: datetime | None  # the approval's clock


def approvals_waiting(session: Session, limit: int = 100) -> list[ApprovalRow]:
    """Special reviews waiting for the general manager's approval, the oldest first."""
    meeting = (
        select(
            ReviewMeeting.review_id,
            func.max(ReviewMeeting.held_on).label("held_on"),
            func.max(ReviewMeeting.recorded_at).label("recorded_at"),
        )
        .group_by(col(ReviewMeeting.review_id))
        .subquery()
    )
    due = _running_due()
    waiting_since = func.coalesce(meeting.c.recorded_at, Review.updated_at)
    query = (
        sa_select(
            Review,
            col(Customer.name),
            col(Customer.company),
            meeting.c.held_on,
            meeting.c.recorded_at,
            due.c.due_at,
        )
        .join(Customer, col(Customer.id) == Review.customer_id)
        .outerjoin(meeting, meeting.c.review_id == Review.id)
        .outerjoin(due, due.c.case_id == Review.id)
        .where(col(Review.status) == ReviewStatus.awaiting_approval)
        .order_by(waiting_since, col(Review.id))
        .limit(limit)
    )
    return [
        ApprovalRow(
            review=review,
            customer=_customer_name(name, company),
            held_on=held_on,
            waiting_since=recorded_at or review.updated_at,
            due_at=due_at,
        )
        for review, name, company, held_on, recorded_at, due_at in session.execute(query).all()
    ]


def next_due(session: Session, review_id: int) -> datetime | None:
    """When what the review waits for now is due: its earliest running clock."""
    return session.exec(
        select(func.min(Deadline.due_at)).where(
            Deadline.case_id == review_id, col(Deadline.met_at).is_(None)
        )
    ).one()
