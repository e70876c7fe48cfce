"""Contract and order review: sales' entry, the departments' answers, the decision, and the
customer's answer. Who may do what is asked of ``workflow/rules/review.py``; the status moves
through the engine's one transition function; tasks, clocks, history, events and notices are
the engine's, as for a complaint. The flows' side is ``workflow/review_routing.py``."""

from collections.abc import Iterable, Sequence
from decimal import Decimal
from types import MappingProxyType

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from models.base import id_of
from models.case import CaseFile
from models.enums import (
    Department,
    HistoryAction,
    ProcessKind,
    ReviewKind,
    ReviewStatus,
    ReviewVerdict,
    Step,
    TaskKind,
    TaskStatus,
)
from models.review import (
    ContractChange,
    DepartmentReviewAnswer,
    OrderConfirmationRecord,
    Review,
    ReviewAnswer,
    ReviewCreate,
    ReviewCustomerAnswer,
    ReviewDecision,
    ReviewDecisionKind,
    ReviewMeeting,
    ReviewMeetingRecord,
    ReviewQuestionToCustomer,
    ReviewTaskPublic,
)
from models.task import Task
from workflow import contracts, deadlines, idempotency, review_notices
from workflow.attachments import NewAttachment, add_attachments
from workflow.cases import lock_review, lock_review_by_id
from workflow.clock import utcnow
from workflow.complaints import customer_for
from workflow.config import get_settings
from workflow.contracts import current_terms, enter_in_ledger
from workflow.errors import InvalidInput, NotFound
from workflow.facts import task_facts
from workflow.history import record_history
from workflow.outbox import emit_event
from workflow.references import REVIEW_PREFIX, provisional_reference, take_reference
from workflow.rules import (
    OPEN_TASK_STATUSES,
    SYSTEM,
    Action,
    Actor,
    TaskFacts,
    require_permission,
)
from workflow.rules.review import (
    REVIEW_DEPARTMENTS,
    REVIEW_PROCESS,
    DepartmentAnswer,
    ReviewEvent,
    ReviewFacts,
    ReviewPolicy,
    answer_refusal,
    contract_refusal,
    customer_answer,
    departments_refusal,
    needs_written_confirmation,
    renegotiation_departments,
    require_review_action,
    review_task_refusal,
    special_criteria,
)
from workflow.task_work import claim, close_task, take_task
from workflow.transitions import apply_process_transition, check_version, person_id, touch

# The service completes a round when the last department answers: the system's step.
REVIEW_SYSTEM = Actor(name="system:contract-review", role=SYSTEM)
DECISIONS = MappingProxyType(
    {
        ReviewDecisionKind.accept: Action.accept_review,
        ReviewDecisionKind.decline: Action.decline_review,
        ReviewDecisionKind.renegotiate: Action.renegotiate_review,
        ReviewDecisionKind.approve: Action.approve_review,
        ReviewDecisionKind.reject: Action.reject_review,
        ReviewDecisionKind.withdraw: Action.withdraw_review,
    }
)
# Clocks a decision stops: the one waiting for it.
DECISION_STEPS = {Step.review_decision, Step.review_approval}


def review_policy() -> ReviewPolicy:
    settings = get_settings()
    rates = {code.upper(): rate for code, rate in settings.review_exchange_rates.items()}
    return ReviewPolicy(
        currency=settings.review_currency.upper(),
        special_value=settings.review_special_value,
        confirmation_value=settings.review_confirmation_value,
        exchange_rates=MappingProxyType({settings.review_currency.upper(): Decimal(1), **rates}),
    )


def get_review(session: Session, reference: str) -> Review:
    review = session.exec(select(Review).where(Review.reference == reference)).first()
    if review is None:
        raise NotFound(f"no contract review {reference}")
    return review


def standing_answers(session: Session, review: Review) -> list[ReviewAnswer]:
    """Each department's answer that stands: of this round for a department asked again in
    it, else its latest. A department asked this round that has not answered has none."""
    answers = session.exec(
        select(ReviewAnswer)
        .where(ReviewAnswer.review_id == review.id)
        .order_by(col(ReviewAnswer.round), col(ReviewAnswer.id))
    ).all()
    standing: dict[Department, ReviewAnswer] = {}
    for answer in answers:
        asked_again = answer.department.value in review.round_departments
        if answer.round == review.round or not asked_again:
            standing[answer.department] = answer
    return [standing[d] for d in _in_order(standing)]


def facts_of_review(session: Session, review: Review) -> ReviewFacts:
    return ReviewFacts(
        status=review.status,
        kind=review.kind,
        special=review.special,
        round=review.round,
        verdicts={a.department: a.verdict for a in standing_answers(session, review)},
        departments=frozenset(Department(d) for d in review.round_departments),
        confirmation_needed=review.confirmation_needed,
        confirmed=review.confirmed_at is not None,
    )


def _in_order(departments: Iterable[Department]) -> list[Department]:
    chosen = set(departments)
    return [d for d in REVIEW_DEPARTMENTS if d in chosen] + sorted(chosen - {*REVIEW_DEPARTMENTS})


def start_review(
    session: Session, data: ReviewCreate, actor: Actor, idempotency_key: str | None = None
) -> tuple[Review, bool]:
    """Sales' entry: the review, its history and one event per department asked, in one
    commit; the departments' tasks are opened by the delivery flow. With an Idempotency-Key,
    a retry answers with the review the first request made (and True: replayed)."""
    require_permission(actor.role, Action.start_review)
    if data.kind is ReviewKind.change:
        raise InvalidInput(
            "kind", "a change is reviewed from its contract: POST /api/v1/contracts/{id}/changes"
        )
    body_hash = idempotency.request_hash(data)
    earlier = _replayed(session, actor, idempotency_key, body_hash)
    if earlier is not None:
        return earlier, True
    customer = customer_for(session, data.customer_id, data.customer)
    review = new_review(
        session,
        data,
        customer_id=id_of(customer),
        departments=data.departments or list(REVIEW_DEPARTMENTS),
        reason=data.reason,
        actor=actor,
    )
    if idempotency_key:
        idempotency.remember(
            session,
            user_id=person_id(actor),
            key=idempotency_key,
            body_hash=body_hash,
            response={"reference": review.reference},
        )
    try:
        session.commit()
    except IntegrityError:
        # A concurrent request with the same key committed first (PostgreSQL).
        session.rollback()
        earlier = _replayed(session, actor, idempotency_key, body_hash)
        if earlier is None:
            raise
        return earlier, True
    return review, False


def _replayed(session: Session, actor: Actor, key: str | None, body_hash: str) -> Review | None:
    if not key:
        return None
    reference = idempotency.stored_reference(
        session, user_id=person_id(actor), key=key, body_hash=body_hash
    )
    return None if reference is None else get_review(session, reference)


def start_change(session: Session, contract_id: int, data: ContractChange, actor: Actor) -> Review:
    """A change of an accepted contract: a review of the departments it concerns; once
    accepted, the contract's next version."""
    require_permission(actor.role, Action.change_contract)
    contract, _ = contracts.lock_contract(session, contract_id)
    refusal = contract_refusal(
        Action.change_contract, contracts.contract_facts(session, contract), actor
    )
    if refusal is not None:
        raise refusal
    terms = current_terms(session, contract)
    review_data = ReviewCreate(
        kind=ReviewKind.change,
        customer_id=contract.customer_id,
        title=data.title or terms.title,
        order_reference=contract.order_reference,
        value=data.value if data.value is not None else terms.value,
        currency=terms.currency,
        quantity=data.quantity or terms.quantity,
        requested_delivery=data.requested_delivery or terms.requested_delivery,
        requirements=data.requirements,
        channel=data.channel,
        special_criteria=data.special_criteria,
    )
    review = new_review(
        session,
        review_data,
        customer_id=contract.customer_id,
        departments=data.departments,
        reason=data.reason,
        actor=actor,
        contract_id=contract_id,
    )
    session.commit()
    return review


def new_review(
    session: Session,
    data: ReviewCreate,
    *,
    customer_id: int,
    departments: list[Department],
    reason: str | None,
    actor: Actor,
    contract_id: int | None = None,
) -> Review:
    """A review in the caller's transaction (a new one, or a change of a contract)."""
    policy = review_policy()
    currency = data.currency or policy.currency
    criteria = special_criteria(data.special_criteria, data.value, currency, policy)
    asked = _in_order(departments)
    refusal = departments_refusal(data.kind, bool(criteria), asked, reason)
    if refusal is not None:
        raise refusal
    now = utcnow()
    case = CaseFile(process=ProcessKind.review, created_at=now)
    session.add(case)
    session.flush()
    review = Review(
        id=case.id,
        reference=provisional_reference(),  # the real one is taken last, as a complaint's
        kind=data.kind,
        customer_id=customer_id,
        order_reference=data.order_reference,
        title=data.title,
        value=data.value,
        currency=currency,
        quantity=data.quantity,
        requested_delivery=data.requested_delivery,
        requirements=data.requirements,
        channel=data.channel,
        flagged_criteria=sorted(c.value for c in data.special_criteria),
        special_criteria=sorted(c.value for c in criteria),
        special=bool(criteria),
        confirmation_needed=needs_written_confirmation(
            data.kind, data.channel, data.value, currency, policy
        ),
        departments=[d.value for d in asked],
        round_departments=[d.value for d in asked],
        left_out_reason=reason if len(asked) < len(REVIEW_DEPARTMENTS) else None,
        status=ReviewStatus.in_review,
        contract_id=contract_id,
        created_at=now,
        updated_at=now,
        created_by_id=person_id(actor),
    )
    session.add(review)
    session.flush()
    started = record_history(
        session,
        case_id=id_of(review),
        actor=actor.name,
        action=HistoryAction.start_review,
        to_status=ReviewStatus.in_review,
        changes=review.model_dump(
            mode="json", exclude={"id", "reference", "created_at", "updated_at", "version"}
        ),
        reason=reason,
        first=True,
    )
    ask_departments(session, review, asked)
    review.reference = take_reference(session, REVIEW_PREFIX, now.year)
    started.changes["reference"] = review.reference
    return review


def ask_departments(session: Session, review: Review, departments: list[Department]) -> None:
    """One event per department: each opens that department's task on its own clock."""
    for department in departments:
        emit_event(
            session,
            case_id=id_of(review),
            kind=ReviewEvent.department_asked,
            payload={"department": department.value, "round": review.round},
        )


# A department's task.


def _locked_task(session: Session, task_id: int) -> tuple[Task, Review]:
    """The review, then its task, locked in the order every writer takes them."""
    task = session.get(Task, task_id)
    if task is None:
        raise NotFound(f"no task {task_id}")
    review = lock_review_by_id(session, task.case_id)
    task = session.exec(select(Task).where(Task.id == task_id).with_for_update()).one()
    return task, review


def _require_task_action(
    session: Session, action: Action, task: Task, review: Review, actor: Actor
) -> None:
    facts = facts_of_review(session, review)
    refusal = review_task_refusal(action, task_facts(task), facts, actor)
    if refusal is not None:
        raise refusal


def locked_task_for(
    session: Session, task_id: int, action: Action, actor: Actor
) -> tuple[Task, Review]:
    """A review task and its review, locked, once the rules allow ``action`` on the task."""
    task, review = _locked_task(session, task_id)
    _require_task_action(session, action, task, review, actor)
    return task, review


def review_task_facts(task: ReviewTaskPublic) -> TaskFacts:
    """A review task's facts as its review's view shows it (``facts.task_facts`` for a row)."""
    return TaskFacts(
        id=task.id or 0,
        kind=TaskKind.department_review,
        status=task.status,
        department=task.department,
        assignee_id=task.assignee_id,
    )


def claim_review_task(session: Session, task_id: int, actor: Actor) -> Task:
    task, review = _locked_task(session, task_id)
    if task.status is TaskStatus.claimed and task.assignee_id == actor.user_id:
        return task
    _require_task_action(session, Action.claim_task, task, review, actor)
    claim(session, task, id_of(review), actor)
    session.commit()
    return task


def answer_department_review(
    session: Session, task_id: int, body: DepartmentReviewAnswer, actor: Actor
) -> Task:
    """The department's verdict and answers; the last answer of the round hands the review
    to sales (the system's transition, in the same commit)."""
    task, review = _locked_task(session, task_id)
    check_version(review, body.version)
    _require_task_action(session, Action.answer_review, task, review, actor)
    answer = DepartmentAnswer(
        department=task.department,
        verdict=body.verdict,
        answers=body.answers,
        conditions=body.conditions,
        comments=body.comments,
    )
    refusal = answer_refusal(answer)
    if refusal is not None:
        raise refusal
    now = utcnow()
    session.add(
        ReviewAnswer(
            review_id=id_of(review),
            task_id=id_of(task),
            department=task.department,
            round=review.round,
            verdict=body.verdict,
            answers=dict(body.answers),
            conditions=body.conditions.strip(),
            comments=body.comments.strip(),
            answered_by_id=person_id(actor),
            answered_at=now,
        )
    )
    take_task(session, task, actor)
    close_task(
        session, task, actor, TaskStatus.done, {"round": review.round, "verdict": body.verdict}
    )
    session.flush()
    record_history(
        session,
        case_id=id_of(review),
        actor=actor.name,
        action=HistoryAction.answer_review,
        changes={
            "task_id": task.id,
            "department": task.department,
            "round": review.round,
            "verdict": body.verdict,
            "answers": dict(body.answers),
            "conditions": body.conditions.strip(),
            "comments": body.comments.strip(),
        },
    )
    touch(session, review)
    facts = facts_of_review(session, review)
    if facts.departments <= set(facts.verdicts):
        apply_process_transition(
            session,
            review,
            REVIEW_PROCESS,
            action=Action.complete_review_round,
            actor=REVIEW_SYSTEM,
            reason=f"every department asked in round {review.round} answered",
            noted={"verdicts": {d.value: v.value for d, v in facts.verdicts.items()}},
        )
    session.commit()
    return task


# Sales' and the general manager's steps.


def _locked_for(
    session: Session, reference: str, action: Action, actor: Actor, version: int | None
) -> Review:
    require_permission(actor.role, action)
    review = lock_review(session, reference)
    check_version(review, version)
    require_review_action(action, facts_of_review(session, review), actor)
    return review


def round_conditions(session: Session, review: Review) -> list[str]:
    """The conditions of the standing answers, as the customer reads them."""
    return [
        a.conditions
        for a in standing_answers(session, review)
        if a.verdict is ReviewVerdict.can_meet_with_conditions
    ]


def decide(session: Session, reference: str, body: ReviewDecision, actor: Actor) -> Review:
    action = DECISIONS[body.decision]
    review = _locked_for(session, reference, action, actor, body.version)
    if action is Action.renegotiate_review:
        _renegotiate(session, review, body, actor)
    elif action is Action.withdraw_review:
        _withdraw(session, review, body, actor)
    else:
        _decide(session, review, action, body, actor)
    session.commit()
    return review


def _require_reason(body: ReviewDecision, why: str) -> str:
    if not (body.reason and body.reason.strip()):
        raise InvalidInput("reason", why)
    return body.reason.strip()


def _decide(
    session: Session, review: Review, action: Action, body: ReviewDecision, actor: Actor
) -> None:
    """Accept, decline, approve or reject: the clock waiting for it stops; an accepted review
    enters the contract ledger in the same commit; the customer is told by the flow."""
    accepting = action in (Action.accept_review, Action.approve_review)
    reason = body.reason.strip() if body.reason else None
    if not accepting:
        reason = _require_reason(body, "say why, for the record and the customer")
    now = utcnow()
    conditions = round_conditions(session, review) if accepting else []
    deadlines.stop_clocks(session, id_of(review), DECISION_STEPS)
    apply_process_transition(
        session,
        review,
        REVIEW_PROCESS,
        action=action,
        actor=actor,
        changes={"decided_at": now, "decision_reason": reason},
        reason=reason,
        noted={"conditions": conditions},
    )
    if accepting:
        contract = enter_in_ledger(session, review, conditions, actor)
        review.contract_id = contract.id


def _renegotiate(session: Session, review: Review, body: ReviewDecision, actor: Actor) -> None:
    """A new round for the departments concerned: by default those that set a condition or
    cannot meet it; the others' answers stand."""
    reason = _require_reason(body, "say what was renegotiated with the customer")
    concerned = body.departments or renegotiation_departments(facts_of_review(session, review))
    asked = _in_order(concerned)
    if not asked:
        raise InvalidInput("departments", "name the departments to ask again")
    strangers = [d.value for d in asked if d.value not in review.departments]
    if strangers:
        raise InvalidInput("departments", f"not asked in this review: {', '.join(strangers)}")
    deadlines.stop_clocks(session, id_of(review), DECISION_STEPS)
    apply_process_transition(
        session,
        review,
        REVIEW_PROCESS,
        action=Action.renegotiate_review,
        actor=actor,
        changes={"round": review.round + 1, "round_departments": [d.value for d in asked]},
        reason=reason,
    )
    ask_departments(session, review, asked)


def _withdraw(session: Session, review: Review, body: ReviewDecision, actor: Actor) -> None:
    reason = _require_reason(body, "say why the review is withdrawn")
    deadlines.stop_clocks(session, id_of(review))
    for task in review_tasks_open(session, review):
        deadlines.stop_task_clocks(session, task)
        task.status = TaskStatus.cancelled
        task.done_at = utcnow()
        session.add(task)
    apply_process_transition(
        session, review, REVIEW_PROCESS, action=Action.withdraw_review, actor=actor, reason=reason
    )


def review_tasks_open(session: Session, review: Review) -> list[Task]:
    return list(
        session.exec(
            select(Task).where(
                Task.case_id == review.id,
                Task.kind == TaskKind.department_review,
                col(Task.status).in_(OPEN_TASK_STATUSES),
            )
        )
    )


def record_meeting(
    session: Session, reference: str, body: ReviewMeetingRecord, actor: Actor
) -> Review:
    """A special contract's review meeting: then it waits for the general manager."""
    review = _locked_for(session, reference, Action.record_review_meeting, actor, body.version)
    attendees = [a.strip() for a in body.attendees if a.strip()]
    if len(attendees) < 2:
        raise InvalidInput("attendees", "a review meeting has at least two attendees")
    if body.held_on > contracts.business_today():
        raise InvalidInput("held_on", "record a meeting once it is held, not before")
    session.add(
        ReviewMeeting(
            review_id=id_of(review),
            held_on=body.held_on,
            attendees=attendees,
            minutes=body.minutes.strip(),
            recorded_by_id=person_id(actor),
            recorded_at=utcnow(),
        )
    )
    deadlines.stop_clocks(session, id_of(review), {Step.review_decision})
    apply_process_transition(
        session,
        review,
        REVIEW_PROCESS,
        action=Action.record_review_meeting,
        actor=actor,
        noted={"held_on": body.held_on, "attendees": attendees, "minutes": body.minutes.strip()},
    )
    session.commit()
    return review


def record_confirmation(
    session: Session, reference: str, body: OrderConfirmationRecord, actor: Actor
) -> Review:
    """A phone, oral or fax order confirmed back to the customer, requirement by requirement."""
    review = _locked_for(session, reference, Action.record_order_confirmation, actor, body.version)
    confirmation = {
        "confirmed_with": body.confirmed_with.strip(),
        "confirmed_on": body.confirmed_on.isoformat(),
        "summary": body.summary.strip(),
        "recorded_by": actor.name,
    }
    touch(session, review, confirmed_at=utcnow(), confirmation=confirmation)
    record_history(
        session,
        case_id=id_of(review),
        actor=actor.name,
        action=HistoryAction.record_order_confirmation,
        changes=confirmation,
    )
    session.commit()
    return review


def ask_customer(
    session: Session, reference: str, body: ReviewQuestionToCustomer, actor: Actor
) -> Review:
    """A department's question goes to the customer through sales; the clocks pause."""
    review = _locked_for(session, reference, Action.ask_customer_about_review, actor, body.version)
    deadlines.pause_clocks(session, id_of(review))
    apply_process_transition(
        session,
        review,
        REVIEW_PROCESS,
        action=Action.ask_customer_about_review,
        actor=actor,
        reason=body.question.strip(),
        noted={"asked_by_department": actor.department},
    )
    review_notices.ask_customer(
        session, review, body.question.strip(), key=f"review-question-{review.version}"
    )
    session.commit()
    return review


def record_customer_answer(
    session: Session, reference: str, body: ReviewCustomerAnswer, actor: Actor
) -> Review:
    """Sales record the customer's answer: the departments' clocks run again, their due
    dates moved by the time paused."""
    review = _locked_for(session, reference, Action.record_customer_answer, actor, body.version)
    paused_hours = deadlines.resume_clocks(session, id_of(review))
    deadlines.sync_task_due_dates(session, deadlines.running_clocks(session, id_of(review)))
    apply_process_transition(
        session,
        review,
        REVIEW_PROCESS,
        action=Action.record_customer_answer,
        actor=actor,
        reason=body.answer.strip(),
        noted={"clocks_paused_hours": round(paused_hours, 2)},
        customer_wrote_reason=True,
    )
    session.commit()
    return review


def add_documents(
    session: Session, reference: str, documents: Sequence[NewAttachment], actor: Actor
) -> Review:
    """The customer's requirements as documents (drawings, specifications), while the review
    is open."""
    review = _locked_for(session, reference, Action.add_review_document, actor, None)
    if not documents:
        raise InvalidInput("documents", "choose at least one file")
    add_attachments(session, review, documents, actor)
    touch(session, review)
    record_history(
        session,
        case_id=id_of(review),
        actor=actor.name,
        action=HistoryAction.add_review_document,
        changes={"documents": [d.filename for d in documents]},
    )
    session.commit()
    return review


def answer_for_customer(review: Review, facts: ReviewFacts) -> str | None:
    """What the customer is told, once the review is decided."""
    return None if review.decided_at is None else customer_answer(facts)
