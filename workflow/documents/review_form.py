"""A review's "Contract (Order) Review Form" as one PDF: what the customer asks for, why the
review is special (or regular), each department's verdict and answer to each question round by
round with its conditions and comments, the questions to the customer, the review meeting, the
order confirmation, the decision with who took it, when and why, and the contract it entered
in the ledger. Read from the review's tables and its history; dates in the company's time
zone."""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlmodel import Session, col, select

from models.base import id_of
from models.customer import Customer
from models.enums import (
    Department,
    HistoryAction,
    ReviewKind,
    ReviewStatus,
    SpecialCriterion,
    TaskKind,
)
from models.history import HistoryEntry
from models.review import Contract, ContractVersion, Review, ReviewAnswer, ReviewMeeting
from models.task import Task
from models.user import User
from workflow.clock import utcnow
from workflow.documents.render import NONE, local_time, pdf_document
from workflow.history import list_history
from workflow.reviews import (
    answer_for_customer,
    facts_of_review,
    get_review,
    review_policy,
    round_conditions,
)
from workflow.rules import Actor
from workflow.rules.review import REVIEW_DEPARTMENTS, REVIEW_QUESTIONS, SALES_QUESTIONS

# What each criterion means, as the form explains why the review is special.
CRITERION_WORDS = {
    SpecialCriterion.new_product_development: "a new product is developed for the customer",
    SpecialCriterion.exceeds_capacity: "the quantity or the schedule exceeds the company's "
    "capacity",
    SpecialCriterion.exceeds_technical_requirements: "the requirements go beyond the company's "
    "usual technical requirements",
    SpecialCriterion.foreign_exchange_risk: "paid in a foreign currency: an exchange-rate risk",
    SpecialCriterion.low_margin: "the margin is below the company's target",
    SpecialCriterion.new_conditions_of_use: "a standard product is used under new conditions",
}
DECISION_ACTIONS = frozenset(
    a.value
    for a in (
        HistoryAction.accept_review,
        HistoryAction.decline_review,
        HistoryAction.approve_review,
        HistoryAction.reject_review,
        HistoryAction.withdraw_review,
    )
)
CUSTOMER_EXCHANGE = {
    HistoryAction.ask_customer_about_review.value: "question to the customer",
    HistoryAction.record_customer_answer.value: "customer's answer",
}


@dataclass(frozen=True)
class SpecialReason:
    criterion: str
    why: str
    flagged_by_sales: bool


@dataclass(frozen=True)
class DepartmentLine:
    """A department asked in a round: its task and, once given, its answer."""

    department: Department
    task_status: str
    due_at: datetime
    answer: ReviewAnswer | None
    answered_by: str


@dataclass(frozen=True)
class QuestionRow:
    text: str
    answers: list[str]  # yes, no or a dash, in the round's department columns


@dataclass(frozen=True)
class Exchange:
    """A step with words on the record: a question to the customer, the customer's answer
    as sales recorded it, or a renegotiation."""

    at: datetime
    by: str
    what: str
    text: str


@dataclass(frozen=True)
class Round:
    number: int
    renegotiated: Exchange | None  # the renegotiation that opened it; None for the first
    departments: list[DepartmentLine]
    questions: list[QuestionRow]


@dataclass(frozen=True)
class MeetingLine:
    meeting: ReviewMeeting
    recorded_by: str


@dataclass(frozen=True)
class Decision:
    status: ReviewStatus
    by: str
    at: datetime
    reason: str | None
    customer_answer: str | None


@dataclass(frozen=True)
class LedgerEntry:
    reference: str
    version: int | None  # the version this review's acceptance made, if it made one
    changes: bool  # the review is a change of this contract


@dataclass(frozen=True)
class ReviewForm:
    review: Review
    customer: Customer
    value: str
    started_by: str
    special_reasons: list[SpecialReason]
    rounds: list[Round]
    exchanges: list[Exchange]
    meetings: list[MeetingLine]
    confirmation_recorded_by: str
    decision: Decision | None
    conditions: list[str]
    contract: LedgerEntry | None
    generated_at: datetime
    generated_by: str


class People:
    """Names of the staff on the form: "Full Name (username)"."""

    def __init__(self, session: Session) -> None:
        users = session.exec(select(User.id, User.username, User.full_name)).all()
        self.by_id = {i: f"{full} ({name})" for i, name, full in users if i is not None}
        self.by_username = {name: f"{full} ({name})" for _, name, full in users}

    def of_id(self, user_id: int | None) -> str:
        return self.by_id.get(user_id or -1, NONE)

    def of_username(self, username: str | None) -> str:
        return self.by_username.get(username or "", username or NONE)


def money(value: Decimal | None, currency: str) -> str:
    return NONE if value is None else f"{currency} {value:,.2f}"


def special_reasons(review: Review) -> list[SpecialReason]:
    policy = review_policy()
    threshold = money(policy.special_value, policy.currency)
    reasons = []
    for name in review.special_criteria:
        criterion = SpecialCriterion(name)
        why = CRITERION_WORDS.get(criterion, "")
        if criterion is SpecialCriterion.high_value:
            why = f"the value is at or above the review policy's threshold ({threshold} now)"
        reasons.append(SpecialReason(name, why, name in review.flagged_criteria))
    return reasons


def _answer_of(answer: ReviewAnswer | None, key: str) -> str:
    if answer is None or key not in answer.answers:
        return NONE
    return "yes" if answer.answers[key] else "no"


def _question_rows(lines: list[DepartmentLine]) -> list[QuestionRow]:
    asked_sales = any(line.department is Department.sales for line in lines)
    questions = REVIEW_QUESTIONS + (SALES_QUESTIONS if asked_sales else ())
    return [
        QuestionRow(q.text, [_answer_of(line.answer, q.key) for line in lines]) for q in questions
    ]


def _department_order(line: DepartmentLine) -> int:
    order = {d: i for i, d in enumerate(REVIEW_DEPARTMENTS)}
    return order.get(line.department, len(order))


def _renegotiations(history: list[HistoryEntry], people: People) -> dict[int, Exchange]:
    """The renegotiation that opened each round after the first, by that round."""
    return {
        int(e.changes["round"]): Exchange(
            e.at, people.of_username(e.actor), "renegotiated", e.reason or ""
        )
        for e in history
        if e.action == HistoryAction.renegotiate_review.value
    }


def _rounds(
    session: Session, review: Review, history: list[HistoryEntry], people: People
) -> list[Round]:
    tasks = session.exec(
        select(Task)
        .where(Task.case_id == review.id, Task.kind == TaskKind.department_review)
        .order_by(col(Task.id))
    ).all()
    answers = {
        a.task_id: a
        for a in session.exec(select(ReviewAnswer).where(ReviewAnswer.review_id == review.id))
    }
    renegotiations = _renegotiations(history, people)
    rounds = []
    for number in range(1, review.round + 1):
        lines = sorted(
            (
                _department_line(task, answers.get(id_of(task)), people)
                for task in tasks
                if task.result.get("round") == number
            ),
            key=_department_order,
        )
        rounds.append(Round(number, renegotiations.get(number), lines, _question_rows(lines)))
    return rounds


def _department_line(task: Task, answer: ReviewAnswer | None, people: People) -> DepartmentLine:
    return DepartmentLine(
        department=task.department,
        task_status=task.status.value,
        due_at=task.due_at,
        answer=answer,
        answered_by=people.of_id(answer.answered_by_id if answer else None),
    )


def _exchanges(history: list[HistoryEntry], people: People) -> list[Exchange]:
    return [
        Exchange(e.at, people.of_username(e.actor), what, e.reason or "")
        for e in history
        if (what := CUSTOMER_EXCHANGE.get(e.action))
    ]


def _decision(
    session: Session, review: Review, history: list[HistoryEntry], people: People
) -> Decision | None:
    entry = next((e for e in reversed(history) if e.action in DECISION_ACTIONS), None)
    if entry is None:
        return None
    return Decision(
        status=review.status,
        by=people.of_username(entry.actor),
        at=review.decided_at or entry.at,
        reason=review.decision_reason or entry.reason,
        customer_answer=answer_for_customer(review, facts_of_review(session, review)),
    )


def _ledger_entry(session: Session, review: Review) -> LedgerEntry | None:
    contract = session.get(Contract, review.contract_id) if review.contract_id else None
    if contract is None:
        return None
    version = session.exec(
        select(ContractVersion.version).where(ContractVersion.review_id == review.id)
    ).first()
    return LedgerEntry(contract.reference, version, changes=review.kind is ReviewKind.change)


def _meetings(session: Session, review: Review, people: People) -> list[MeetingLine]:
    meetings = session.exec(
        select(ReviewMeeting)
        .where(ReviewMeeting.review_id == review.id)
        .order_by(col(ReviewMeeting.id))
    )
    return [MeetingLine(m, people.of_id(m.recorded_by_id)) for m in meetings]


def gather_review_form(session: Session, reference: str, actor: Actor) -> ReviewForm:
    review = get_review(session, reference)
    customer = session.get(Customer, review.customer_id)
    assert customer is not None, f"{reference} has no customer"
    people = People(session)
    history = list_history(session, id_of(review))
    decision = _decision(session, review, history, people)
    accepted = review.status is ReviewStatus.accepted
    return ReviewForm(
        review=review,
        customer=customer,
        value=money(review.value, review.currency),
        started_by=people.of_id(review.created_by_id),
        special_reasons=special_reasons(review),
        rounds=_rounds(session, review, history, people),
        exchanges=_exchanges(history, people),
        meetings=_meetings(session, review, people),
        confirmation_recorded_by=people.of_username(review.confirmation.get("recorded_by")),
        decision=decision,
        conditions=round_conditions(session, review) if accepted else [],
        contract=_ledger_entry(session, review),
        generated_at=utcnow(),
        generated_by=actor.name,
    )


def form_title(review: Review) -> str:
    return "Order review form" if review.kind is ReviewKind.order else "Contract review form"


def review_form_pdf(session: Session, reference: str, actor: Actor) -> bytes:
    form = gather_review_form(session, reference, actor)
    return pdf_document(
        "review_form.html",
        {
            "f": form,
            "r": form.review,
            "title": form_title(form.review),
            "generated": f"Generated {local_time(form.generated_at)} by {form.generated_by}",
        },
    )
