"""The contract and order review's rules on their own (pure functions, no I/O), and the two
processes as definitions on the same engine."""

from dataclasses import replace
from decimal import Decimal

import pytest

from models.enums import (
    Channel,
    ContractStatus,
    Department,
    ReviewKind,
    ReviewStatus,
    ReviewVerdict,
    Role,
    SpecialCriterion,
    Status,
    TaskKind,
    TaskStatus,
)
from workflow.errors import InvalidInput, NotAllowed, RuleViolation
from workflow.rules import Action, Actor, TaskFacts
from workflow.rules.process import ProcessDefinition, transition
from workflow.rules.review import (
    REVIEW_DEPARTMENTS,
    REVIEW_PROCESS,
    ContractFacts,
    DepartmentAnswer,
    ReviewEvent,
    ReviewFacts,
    ReviewPolicy,
    answer_refusal,
    available_review_actions,
    customer_answer,
    departments_refusal,
    needs_written_confirmation,
    questions_for,
    review_refusal,
    review_task_refusal,
    special_criteria,
    status_under_new_terms,
)
from workflow.rules.states import COMPLAINT_PROCESS

SALES = Actor(name="sam", role=Role.sales, user_id=1, department="sales")
GM = Actor(name="grace", role=Role.general_manager, user_id=2, department="management")
QUALITY = Actor(name="quinn", role=Role.quality, user_id=3, department="quality")
POLICY = ReviewPolicy(exchange_rates={"CNY": Decimal(1), "EUR": Decimal("7.8")})
ALL_CAN_MEET = dict.fromkeys(REVIEW_DEPARTMENTS, ReviewVerdict.can_meet)


def facts(status: ReviewStatus = ReviewStatus.with_sales, **overrides) -> ReviewFacts:
    values = {"kind": ReviewKind.contract, "special": False, "verdicts": ALL_CAN_MEET}
    return ReviewFacts(status=status, **{**values, **overrides})


@pytest.mark.parametrize("process", [COMPLAINT_PROCESS, REVIEW_PROCESS], ids=lambda p: p.name)
def test_each_process_definition_is_consistent(process):
    assert process.problems() == []


def test_an_inconsistent_definition_is_named():
    broken = ProcessDefinition(
        name="review",
        statuses=ReviewStatus,
        open_statuses=frozenset({ReviewStatus.in_review}),
        transitions={
            Action.accept_review: transition(
                Action.accept_review, {ReviewStatus.in_review}, Status.closed, None
            )
        },
    )
    problems = broken.problems()
    assert "accept_review leads to <Status.closed: 'closed'>, not a status of a review" in problems
    assert "no transition leads to declined" in problems


def test_the_complaint_process_refuses_as_it_always_did():
    refusal = COMPLAINT_PROCESS.refusal(Status.closed, Action.route_to_quality)
    assert str(refusal) == "cannot route to quality a complaint that is closed"
    assert str(COMPLAINT_PROCESS.refusal(Status.received, Action.accept_review)) == (
        "accept review is not a state change"
    )


@pytest.mark.parametrize(
    ("status", "action", "target"),
    [
        (ReviewStatus.in_review, Action.complete_review_round, ReviewStatus.with_sales),
        (
            ReviewStatus.in_review,
            Action.ask_customer_about_review,
            ReviewStatus.waiting_on_customer,
        ),
        (ReviewStatus.waiting_on_customer, Action.record_customer_answer, ReviewStatus.in_review),
        (ReviewStatus.with_sales, Action.renegotiate_review, ReviewStatus.in_review),
        (ReviewStatus.with_sales, Action.accept_review, ReviewStatus.accepted),
        (ReviewStatus.with_sales, Action.decline_review, ReviewStatus.declined),
        (ReviewStatus.with_sales, Action.record_review_meeting, ReviewStatus.awaiting_approval),
        (ReviewStatus.awaiting_approval, Action.approve_review, ReviewStatus.accepted),
        (ReviewStatus.awaiting_approval, Action.reject_review, ReviewStatus.rejected),
        (ReviewStatus.awaiting_approval, Action.withdraw_review, ReviewStatus.withdrawn),
    ],
)
def test_review_transitions_reach_their_target(status, action, target):
    assert REVIEW_PROCESS.next_status(status, action).target is target


def test_every_other_review_transition_is_refused_and_decided_reviews_stay_decided():
    allowed = {(s, a) for a, t in REVIEW_PROCESS.transitions.items() for s in t.sources}
    for status in ReviewStatus:
        for action in REVIEW_PROCESS.transitions:
            if (status, action) not in allowed:
                with pytest.raises(RuleViolation, match=f"a review that is {status.value}"):
                    REVIEW_PROCESS.next_status(status, action)
    for decided in (ReviewStatus.accepted, ReviewStatus.declined, ReviewStatus.rejected):
        assert REVIEW_PROCESS.actions_from(decided) == []


def test_the_decisions_emit_the_event_that_tells_the_customer():
    decided = {a for a, t in REVIEW_PROCESS.transitions.items() if t.event is ReviewEvent.decided}
    assert decided == {
        Action.accept_review,
        Action.decline_review,
        Action.approve_review,
        Action.reject_review,
    }


def test_sales_accept_a_regular_review_every_department_can_meet():
    assert review_refusal(Action.accept_review, facts(), SALES) is None
    assert available_review_actions(facts(), SALES) == [
        Action.add_review_document,
        Action.renegotiate_review,
        Action.accept_review,
        Action.decline_review,
        Action.withdraw_review,
    ]


def test_a_cannot_meet_is_renegotiated_or_declined_never_accepted():
    verdicts = {**ALL_CAN_MEET, Department.production: ReviewVerdict.cannot_meet}
    refusal = review_refusal(Action.accept_review, facts(verdicts=verdicts), SALES)
    assert isinstance(refusal, RuleViolation)
    assert str(refusal) == "production cannot meet the requirements: renegotiate or decline"
    assert Action.renegotiate_review in available_review_actions(facts(verdicts=verdicts), SALES)
    assert Action.decline_review in available_review_actions(facts(verdicts=verdicts), SALES)


def test_a_special_review_needs_a_meeting_and_only_the_general_manager_approves_it():
    special = facts(special=True)
    assert "general manager" in str(review_refusal(Action.accept_review, special, SALES))
    assert review_refusal(Action.record_review_meeting, special, SALES) is None
    waiting = facts(ReviewStatus.awaiting_approval, special=True)
    assert review_refusal(Action.approve_review, waiting, GM) is None
    assert isinstance(review_refusal(Action.approve_review, waiting, SALES), NotAllowed)
    assert isinstance(review_refusal(Action.reject_review, waiting, QUALITY), NotAllowed)
    assert available_review_actions(waiting, GM) == [Action.approve_review, Action.reject_review]


def test_a_regular_review_needs_no_meeting():
    refusal = review_refusal(Action.record_review_meeting, facts(), SALES)
    assert str(refusal) == "a regular review is decided by sales: no meeting is needed"


def test_a_round_completes_only_when_every_department_asked_has_answered():
    system = Actor(name="flow:review", role="system")
    partial = {Department.sales: ReviewVerdict.can_meet, Department.quality: ReviewVerdict.can_meet}
    waiting = facts(ReviewStatus.in_review, verdicts=partial)
    assert str(review_refusal(Action.complete_review_round, waiting, system)) == (
        "technical, procurement, production still to answer"
    )
    asked_two = facts(
        ReviewStatus.in_review,
        verdicts=partial,
        departments=frozenset({Department.sales, Department.quality}),
    )
    assert review_refusal(Action.complete_review_round, asked_two, system) is None
    assert isinstance(review_refusal(Action.complete_review_round, asked_two, SALES), NotAllowed)


def test_a_phone_order_is_accepted_only_once_confirmed_in_writing():
    unconfirmed = facts(kind=ReviewKind.order, confirmation_needed=True)
    assert "order confirmation" in str(review_refusal(Action.accept_review, unconfirmed, SALES))
    confirmed = facts(kind=ReviewKind.order, confirmation_needed=True, confirmed=True)
    assert review_refusal(Action.accept_review, confirmed, SALES) is None


@pytest.mark.parametrize(
    ("kind", "channel", "value", "currency", "needed"),
    [
        (ReviewKind.order, Channel.phone, Decimal(10_000), "CNY", True),
        (ReviewKind.order, Channel.phone, Decimal("9999.99"), "CNY", False),  # delivery note
        (ReviewKind.order, Channel.fax, Decimal(2_000), "EUR", True),  # 15,600 CNY
        (ReviewKind.order, Channel.visit, None, "CNY", True),  # oral, value not known yet
        (ReviewKind.order, Channel.email, Decimal(50_000), "CNY", False),  # already in writing
        (ReviewKind.contract, Channel.phone, Decimal(50_000), "CNY", False),  # a signed contract
    ],
)
def test_which_orders_need_a_written_confirmation(kind, channel, value, currency, needed):
    assert needs_written_confirmation(kind, channel, value, currency, POLICY) is needed


def test_special_is_computed_from_the_flags_and_the_value_threshold():
    assert special_criteria(set(), Decimal(999_999), "CNY", POLICY) == frozenset()
    assert special_criteria(set(), Decimal(1_000_000), "CNY", POLICY) == {
        SpecialCriterion.high_value
    }
    assert special_criteria(set(), Decimal(130_000), "EUR", POLICY) == {
        SpecialCriterion.high_value
    }  # 1,014,000 CNY
    flagged = {SpecialCriterion.low_margin, SpecialCriterion.high_value}  # high value not by hand
    assert special_criteria(flagged, Decimal(100), "CNY", POLICY) == {SpecialCriterion.low_margin}


def test_a_currency_without_a_rate_is_refused_in_words():
    with pytest.raises(InvalidInput, match="no exchange rate to CNY for USD") as refused:
        special_criteria(set(), Decimal(1), "USD", POLICY)
    assert refused.value.field == "currency"


def test_all_five_departments_review_by_default_and_only_a_regular_order_leaves_one_out():
    all_five = list(REVIEW_DEPARTMENTS)
    assert departments_refusal(ReviewKind.contract, False, all_five, None) is None
    two = [Department.sales, Department.production]
    assert departments_refusal(ReviewKind.order, False, two, "standard stock item") is None
    assert field_of(departments_refusal(ReviewKind.order, False, two, None)) == "reason"
    assert field_of(departments_refusal(ReviewKind.order, True, two, "stock")) == "departments"
    assert field_of(departments_refusal(ReviewKind.contract, False, two, "stock")) == "departments"
    assert departments_refusal(ReviewKind.change, False, two, "new packaging") is None
    assert field_of(departments_refusal(ReviewKind.change, False, two, "")) == "reason"
    without_sales = [Department.quality]
    assert "keep sales" in str(departments_refusal(ReviewKind.change, False, without_sales, "x"))
    assert "management does not review" in str(
        departments_refusal(ReviewKind.contract, False, [*all_five, Department.management], None)
    )


def field_of(refusal: InvalidInput | None) -> str | None:
    return None if refusal is None else refusal.field


def _answer(department=Department.quality, verdict=ReviewVerdict.can_meet, **overrides):
    answers = {q.key: True for q in questions_for(department)}
    values = {"answers": answers, "conditions": "", "comments": ""}
    return DepartmentAnswer(department, verdict, **{**values, **overrides})


def test_a_department_answer_answers_its_questions_and_its_verdict_follows_from_them():
    assert answer_refusal(_answer()) is None
    assert "customer_can_pay" in {q.key for q in questions_for(Department.sales)}
    assert "customer_can_pay" not in {q.key for q in questions_for(Department.quality)}
    missing = _answer(Department.sales, answers={"requirements_clear": True})
    assert "answer every review question" in str(answer_refusal(missing))
    no = {q.key: q.key != "on_time" for q in questions_for(Department.quality)}
    assert field_of(answer_refusal(_answer(answers=no))) == "verdict"
    conditional = _answer(verdict=ReviewVerdict.can_meet_with_conditions, answers=no)
    assert field_of(answer_refusal(conditional)) == "conditions"
    stated = _answer(verdict=ReviewVerdict.can_meet_with_conditions, answers=no, conditions="12 w")
    assert answer_refusal(stated) is None
    assert field_of(answer_refusal(_answer(verdict=ReviewVerdict.cannot_meet))) == "comments"


def test_the_customer_is_told_accepted_with_conditions_or_declined():
    accepted = facts(ReviewStatus.accepted)
    assert customer_answer(accepted) == "accepted"
    conditional = {**ALL_CAN_MEET, Department.quality: ReviewVerdict.can_meet_with_conditions}
    assert customer_answer(facts(ReviewStatus.accepted, verdicts=conditional)) == (
        "accepted_with_conditions"
    )
    assert customer_answer(facts(ReviewStatus.rejected)) == "declined"
    assert customer_answer(facts(ReviewStatus.declined)) == "declined"


def test_a_department_still_to_answer_may_ask_the_customer_one_that_answered_may_not():
    answering = facts(ReviewStatus.in_review, verdicts={Department.sales: ReviewVerdict.can_meet})
    assert review_refusal(Action.ask_customer_about_review, answering, QUALITY) is None
    answered = facts(ReviewStatus.in_review)  # every department has answered
    refusal = review_refusal(Action.ask_customer_about_review, answered, QUALITY)
    assert isinstance(refusal, NotAllowed)
    assert review_refusal(Action.ask_customer_about_review, answered, SALES) is None


def test_the_order_confirmation_is_recorded_once_and_documents_only_while_open():
    needed = facts(confirmation_needed=True)
    assert Action.record_order_confirmation in available_review_actions(needed, SALES)
    done = facts(confirmation_needed=True, confirmed=True)
    assert Action.record_order_confirmation not in available_review_actions(done, SALES)
    assert Action.record_order_confirmation not in available_review_actions(facts(), SALES)
    decided = facts(ReviewStatus.accepted)
    assert isinstance(review_refusal(Action.add_review_document, decided, SALES), RuleViolation)
    assert Action.add_review_document in available_review_actions(facts(), SALES)


def review_task(
    status: TaskStatus = TaskStatus.open,
    department: Department = Department.quality,
    assignee_id: int | None = None,
) -> TaskFacts:
    return TaskFacts(
        id=7,
        kind=TaskKind.department_review,
        status=status,
        department=department,
        assignee_id=assignee_id,
    )


def test_only_the_department_works_its_review_task_and_a_claimed_one_is_not_claimed_again():
    answering = facts(ReviewStatus.in_review, verdicts={})
    claim, answer = Action.claim_task, Action.answer_review
    assert review_task_refusal(claim, review_task(), answering, QUALITY) is None
    mine = review_task(TaskStatus.claimed, assignee_id=QUALITY.user_id)
    claimed = review_task_refusal(claim, mine, answering, QUALITY)
    assert isinstance(claimed, RuleViolation)
    assert str(claimed) == "this review task is claimed already"
    assert review_task_refusal(answer, mine, answering, QUALITY) is None
    done = review_task_refusal(answer, review_task(TaskStatus.done), answering, QUALITY)
    assert isinstance(done, RuleViolation)
    other = review_task(department=Department.technical)
    assert isinstance(review_task_refusal(answer, other, answering, QUALITY), NotAllowed)


def test_a_review_task_a_colleague_claimed_is_theirs_unless_they_are_away_and_named_a_deputy():
    answering = facts(ReviewStatus.in_review, verdicts={})
    colleagues = review_task(TaskStatus.claimed, assignee_id=9)
    for action in (Action.claim_task, Action.answer_review):
        refusal = review_task_refusal(action, colleagues, answering, QUALITY)
        assert isinstance(refusal, RuleViolation)
        assert str(refusal) == "this review task is claimed by a colleague: they answer it"
    deputy = replace(QUALITY, stands_in_for=frozenset({9}))
    assert review_task_refusal(Action.answer_review, colleagues, answering, deputy) is None


def test_a_changes_terms_decide_whether_the_contract_is_delivered_in_full():
    def status(before: ContractStatus, quantity: int | None, delivered: int) -> ContractStatus:
        terms = ContractFacts("CT-2026-000001", before, quantity=quantity, delivered=delivered)
        return status_under_new_terms(terms)

    assert status(ContractStatus.completed, 8000, 6000) is ContractStatus.active  # raised
    assert status(ContractStatus.active, 4000, 4000) is ContractStatus.completed  # lowered
    assert status(ContractStatus.active, 4000, 1000) is ContractStatus.active
    assert status(ContractStatus.completed, None, 6000) is ContractStatus.active  # open-ended
    assert status(ContractStatus.cancelled, 8000, 100) is ContractStatus.cancelled


def _ledger(status: ContractStatus) -> ContractFacts:
    return ContractFacts("CT-2026-000001", status, quantity=6000, delivered=1500)


def test_sales_report_the_progress_of_an_active_or_a_completed_contract():
    from workflow.rules.review import contract_refusal

    report = Action.report_contract_progress
    for status in (ContractStatus.active, ContractStatus.completed):
        assert contract_refusal(report, _ledger(status), SALES) is None, status
    in_change = replace(_ledger(ContractStatus.active), change_in_review="CR-2026-000002")
    assert contract_refusal(report, in_change, SALES) is None  # a change does not stop a report
    for who in (QUALITY, GM):
        refusal = contract_refusal(report, _ledger(ContractStatus.active), who)
        assert isinstance(refusal, NotAllowed), who
        assert "may not report contract progress" in str(refusal)


def test_a_cancelled_contracts_progress_is_not_reported_and_the_refusal_says_why():
    from workflow.rules.review import contract_refusal

    refusal = contract_refusal(
        Action.report_contract_progress, _ledger(ContractStatus.cancelled), SALES
    )
    assert isinstance(refusal, RuleViolation)
    assert str(refusal) == (
        "CT-2026-000001 is cancelled: nothing more is delivered against it, so there is no "
        "progress to report; tell the customer about the cancellation yourself"
    )


def test_the_progress_report_is_what_sales_may_still_do_on_a_completed_contract():
    from workflow.rules.review import available_contract_actions

    def available(status: ContractStatus, actor: Actor) -> list[Action]:
        return available_contract_actions(_ledger(status), actor)

    assert available(ContractStatus.active, SALES) == [
        Action.record_delivery,
        Action.change_contract,
        Action.report_contract_progress,
    ]
    assert available(ContractStatus.completed, SALES) == [Action.report_contract_progress]
    assert available(ContractStatus.cancelled, SALES) == []
    assert available(ContractStatus.active, QUALITY) == []
