"""The contract review's notices: to a department when its task opens, to sales and the
general manager when a decision waits for them, and to the customer (their question, the
answer), through the same notice ledger and templates as the complaint's."""

from datetime import datetime
from typing import Any

from sqlmodel import Session

from models.enums import Department, Role
from models.notification import NoticeKind, Notification
from models.review import Review
from models.task import Task
from models.user import User
from workflow.config import get_settings
from workflow.notices import TASK_LABELS, customer_of, in_customers_language, queue_to_addresses
from workflow.rules.review import DEPARTMENT_SCOPE
from workflow.users import active_emails


def review_context(session: Session, review: Review, **extra: Any) -> dict[str, Any]:
    return {
        "reference": review.reference,
        "review_kind": review.kind.value,
        "special": review.special,
        "round": review.round,
        "title": review.title,
        "order_reference": review.order_reference,
        "requirements": review.requirements,
        "customer_name": customer_of(session, review).name,
        **extra,
    }


def announce_department_task(session: Session, review: Review, task: Task) -> list[Notification]:
    context = review_context(
        session,
        review,
        department=task.department.value,
        scope=DEPARTMENT_SCOPE[task.department],
        task_label=TASK_LABELS[task.kind],
        task_due_at=task.due_at,
    )
    addresses = get_settings().department_emails.get(task.department.value, [])
    key = f"review-task-{task.id}"
    return queue_to_addresses(session, review, NoticeKind.review_task, addresses, context, key)


def tell_decision_waits(
    session: Session, review: Review, verdicts: str, due_at: datetime, key: str
) -> list[Notification]:
    """Every department answered: sales (the department's mailbox and whoever started the
    review) decide or renegotiate."""
    context = review_context(
        session, review, waiting_for="Sales' decision", verdicts=verdicts, due_at=due_at
    )
    addresses = sorted(
        {
            *get_settings().department_emails.get(Department.sales.value, []),
            *active_emails(session, User.id == review.created_by_id),
        }
    )
    return queue_to_addresses(session, review, NoticeKind.review_waiting, addresses, context, key)


def tell_approval_waits(
    session: Session, review: Review, verdicts: str, due_at: datetime, key: str
) -> list[Notification]:
    context = review_context(
        session,
        review,
        waiting_for="The general manager's approval",
        verdicts=verdicts,
        due_at=due_at,
    )
    addresses = active_emails(session, User.role == Role.general_manager)
    return queue_to_addresses(session, review, NoticeKind.review_waiting, addresses, context, key)


def _to_customer(
    session: Session, review: Review, kind: NoticeKind, context: dict[str, Any], key: str
) -> list[Notification]:
    """In the customer's language, to their address; none if they have no address (sales
    then tell them themselves: the review's page shows no notice was sent)."""
    customer = customer_of(session, review)
    context = in_customers_language(context, customer)
    addresses = [customer.email] if customer.email else []
    return queue_to_addresses(session, review, kind, addresses, context, key)


def answer_customer(
    session: Session,
    review: Review,
    *,
    answer: str,
    conditions: list[str],
    contract_reference: str | None,
    key: str,
) -> list[Notification]:
    context = review_context(
        session,
        review,
        answer=answer,
        conditions=conditions,
        contract_reference=contract_reference,
        decision_reason=review.decision_reason if answer == "declined" else None,
    )
    return _to_customer(session, review, NoticeKind.review_answer, context, key)


def tell_contract_progress(
    session: Session, ledger_case: Review, context: dict[str, Any], key: str
) -> list[Notification]:
    """A contract's delivery progress, to the customer (on its ledger case: the review of
    its first version). The caller makes sure they have an address to send it to."""
    return _to_customer(session, ledger_case, NoticeKind.contract_progress, context, key)


def issue_demand_notice(
    session: Session, review: Review, contract_reference: str, conditions: list[str], key: str
) -> list[Notification]:
    """After signing, sales' customer demand notice to production: what to make, how many,
    by when, on which conditions."""
    context = review_context(
        session,
        review,
        contract_reference=contract_reference,
        quantity=review.quantity,
        requested_delivery=review.requested_delivery,
        conditions=conditions,
    )
    addresses = get_settings().department_emails.get(Department.production.value, [])
    return queue_to_addresses(session, review, NoticeKind.demand_notice, addresses, context, key)


def ask_customer(session: Session, review: Review, question: str, key: str) -> list[Notification]:
    context = review_context(session, review, question=question)
    return _to_customer(session, review, NoticeKind.review_question, context, key)
