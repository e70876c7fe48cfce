"""What the delivery flow does on a contract review's events: open a department's task on its
clock, start the clock of the decision that waits, tell the customer the answer. Each runs in
the transaction that marks its event handled (``workflow.routing.handle_event``)."""

from collections.abc import Callable

from sqlmodel import Session, col, select

from models.base import id_of
from models.enums import Department, HistoryAction, Role, Step, TaskKind
from models.notification import Notification
from models.outbox import OutboxEvent
from models.review import Contract, Review
from models.task import Task
from models.user import User
from workflow import deadlines, review_notices
from workflow.clock import utcnow
from workflow.history import record_history
from workflow.reviews import answer_for_customer, facts_of_review, round_conditions
from workflow.rules.review import ReviewEvent

ROUTER_NAME = "flow:deliver-events"


def on_department_asked(session: Session, review: Review, event: OutboxEvent) -> list[Notification]:
    department = Department(event.payload["department"])
    review_round = int(event.payload["round"])
    if review_round != review.round:
        return []  # a later round asks again: this one is over
    now = utcnow()
    task = Task(
        case_id=id_of(review),
        department=department,
        kind=TaskKind.department_review,
        source_event_id=event.id,
        created_at=now,
        due_at=now,
        result={"round": review_round},
    )
    session.add(task)
    session.flush()
    clock = deadlines.start_clock(
        session,
        review,
        Step.department_review,
        start=now,
        department=department,
        cycle=review_round,
        task=task,
    )
    assert clock is not None, "no deadline policy for a department's review"
    task.due_at = clock.due_at
    record_history(
        session,
        case_id=id_of(review),
        actor=ROUTER_NAME,
        action=HistoryAction.task_opened,
        changes={
            "task_id": task.id,
            "department": department,
            "kind": TaskKind.department_review,
            "round": review_round,
            "due_at": task.due_at,
        },
    )
    return review_notices.announce_department_task(session, review, task)


def _verdicts(session: Session, review: Review) -> str:
    verdicts = facts_of_review(session, review).verdicts
    return ", ".join(f"{d.value}: {v.value.replace('_', ' ')}" for d, v in verdicts.items())


def on_round_complete(session: Session, review: Review, event: OutboxEvent) -> list[Notification]:
    clock = deadlines.start_clock(
        session,
        review,
        Step.review_decision,
        start=utcnow(),
        department=Department.sales,
        cycle=review.round,
        owner_id=review.created_by_id,
    )
    assert clock is not None, "no deadline policy for sales' decision on a review"
    return review_notices.tell_decision_waits(
        session, review, _verdicts(session, review), clock.due_at, key=event.id
    )


def _general_manager_id(session: Session) -> int | None:
    """The general manager who owns an approval's clock (the first, if several are set up)."""
    return session.exec(
        select(User.id)
        .where(User.role == Role.general_manager, User.is_active == True)  # noqa: E712
        .order_by(col(User.id))
    ).first()


def on_approval_requested(
    session: Session, review: Review, event: OutboxEvent
) -> list[Notification]:
    clock = deadlines.start_clock(
        session,
        review,
        Step.review_approval,
        start=utcnow(),
        department=Department.management,
        cycle=review.round,
        owner_id=_general_manager_id(session),
    )
    assert clock is not None, "no deadline policy for the general manager's approval"
    return review_notices.tell_approval_waits(
        session, review, _verdicts(session, review), clock.due_at, key=event.id
    )


def on_decided(session: Session, review: Review, event: OutboxEvent) -> list[Notification]:
    """The customer's answer, once (the event's id keys the notice); an accepted contract's
    demand notice to production."""
    answer = answer_for_customer(review, facts_of_review(session, review))
    assert answer is not None, f"{review.reference} decided without a decision time"
    contract = session.get(Contract, review.contract_id) if review.contract_id else None
    if answer == "declined" or contract is None:
        return review_notices.answer_customer(
            session, review, answer="declined", conditions=[], contract_reference=None, key=event.id
        )
    conditions = round_conditions(session, review)
    told = review_notices.answer_customer(
        session,
        review,
        answer=answer,
        conditions=conditions,
        contract_reference=contract.reference,
        key=event.id,
    )
    # After signing: the customer's demand goes to production.
    return told + review_notices.issue_demand_notice(
        session, review, contract.reference, conditions, key=f"{event.id}:demand"
    )


REVIEW_HANDLERS: dict[str, Callable[[Session, Review, OutboxEvent], list[Notification]]] = {
    ReviewEvent.department_asked: on_department_asked,
    ReviewEvent.round_complete: on_round_complete,
    ReviewEvent.approval_requested: on_approval_requested,
    ReviewEvent.decided: on_decided,
}
