"""The workflow rules on their own: pure functions, no I/O."""

import pytest

from workflow import rules
from workflow.rules import Action, Role, RuleViolation, Status, next_status


@pytest.mark.parametrize(
    ("status", "action", "target"),
    [
        (Status.received, Action.route_to_quality, Status.with_quality),
        (Status.reopened, Action.route_to_quality, Status.with_quality),
        (Status.received, Action.close_as_feedback, Status.closed),
        (Status.with_quality, Action.return_result, Status.with_sales),
        (Status.with_sales, Action.send_back_to_quality, Status.with_quality),
        (Status.with_sales, Action.approve_result, Status.approved),
        (Status.approved, Action.resolve, Status.resolved),
        (Status.resolved, Action.record_acceptance, Status.closed),
        (Status.resolved, Action.reopen, Status.reopened),
        (Status.resolved, Action.close_without_answer, Status.closed),
        (Status.received, Action.route_inquiry, Status.with_sales),
        (Status.with_sales, Action.answer_inquiry, Status.closed),
        # A mail's triage changes what it is, not where it is; the triaged event routes it.
        (Status.received, Action.triage_mail, Status.received),
        (Status.received, Action.route_untriaged, Status.received),
    ],
)
def test_allowed_transitions_reach_their_target(status, action, target):
    assert next_status(status, action).target is target


def test_every_other_transition_is_refused():
    allowed = {(s, t.action) for t in rules.TRANSITIONS.values() for s in t.sources}
    for status in Status:
        for action in rules.TRANSITIONS:
            if (status, action) not in allowed:
                with pytest.raises(RuleViolation):
                    next_status(status, action)


def test_a_closed_complaint_accepts_no_transition_but_a_reopening():
    for action in set(rules.TRANSITIONS) - {Action.reopen}:
        with pytest.raises(RuleViolation):
            next_status(Status.closed, action)


SALES = rules.Actor(name="sam", role=Role.sales)
CUSTOMER = rules.Actor(name="customer", role=rules.CUSTOMER)


@pytest.mark.parametrize(
    ("closed_by", "days_ago", "refusal"),
    [
        (Action.close_without_answer, 0.5, None),
        (Action.close_without_answer, 30.0, None),
        (Action.close_without_answer, 30.01, "the time to reopen this complaint has passed"),
        (Action.record_acceptance, 1.0, "closed with your agreement"),
        (Action.close_as_feedback, 1.0, "closed with your agreement"),
        (None, None, "closed with your agreement"),  # facts without the history: never
    ],
)
def test_a_closed_complaint_reopens_only_after_a_silent_closing_within_the_window(
    closed_by, days_ago, refusal
):
    facts = rules.ComplaintFacts(
        status=Status.closed, closed_by=closed_by, days_since_closing=days_ago
    )
    for actor in (SALES, CUSTOMER):
        found = rules.complaint_refusal(Action.reopen, facts, actor)
        assert (found is None) == (refusal is None)
        assert refusal is None or refusal in str(found)
        assert (Action.reopen in rules.available_actions(facts, actor)) == (refusal is None)


def test_the_reopening_window_is_the_facts_setting():
    facts = rules.ComplaintFacts(
        status=Status.closed,
        closed_by=Action.close_without_answer,
        days_since_closing=8.0,
        reopen_window_days=7,
    )
    assert rules.complaint_refusal(Action.reopen, facts, SALES) is not None


@pytest.mark.parametrize("role", [r for r in Role if r not in (Role.sales, Role.admin)])
def test_only_sales_and_admin_log_complaints(role):
    assert not rules.may(role, Action.log_complaint)
    assert rules.may(Role.sales, Action.log_complaint)


@pytest.mark.parametrize("kind", list(rules.Kind))
def test_feedback_is_logged_by_sales_technical_and_quality_a_complaint_by_sales(kind):
    loggers = {r for r in Role if rules.may(r, rules.intake_action(kind))}
    if kind is rules.Kind.complaint:
        assert loggers == {Role.sales, Role.admin}
    else:
        assert loggers == {Role.sales, Role.technical, Role.quality, Role.admin}


def test_an_inquiry_is_answered_and_other_feedback_closed_at_intake():
    assert [k for k in rules.Kind if rules.needs_an_answer(k)] == [rules.Kind.inquiry]
    assert rules.Kind.inquiry not in rules.FEEDBACK_TO_READ
    assert rules.DEFAULT_POLICIES[(rules.Step.inquiry_answer, None, None)].hours == 18


def test_sales_triage_a_mail_in_four_business_hours_else_it_routes_when_due():
    assert {r for r in Role if rules.may(r, Action.triage_mail)} == {Role.sales}
    policy = rules.DEFAULT_POLICIES[(rules.Step.mail_triage, None, None)]
    assert (policy.hours, policy.business_time) == (4, True)
    assert {rules.Step.mail_triage: Action.route_untriaged} == rules.ROUTES_WHEN_DUE
    for action in (Action.triage_mail, Action.route_untriaged):
        assert next_status(Status.received, action).event is rules.EventKind.triaged
    definition = rules.TASK_DEFINITIONS[rules.TaskKind.triage_mail]
    assert (definition.department, definition.main_step) == (
        rules.Department.sales,
        rules.Step.mail_triage,
    )


def test_a_notice_to_phone_is_sales_work_for_one_business_day_even_after_closing():
    definition = rules.TASK_DEFINITIONS[rules.TaskKind.call_customer]
    assert definition.department is rules.CUSTOMER_CONTACT
    assert definition.outlives_complaint  # the closing and the invitation are phoned too
    policy = rules.DEFAULT_POLICIES[(definition.main_step, None, None)]
    assert (policy.hours, policy.business_time) == (rules.BUSINESS_DAY_HOURS, True)
    assert {r for r in Role if rules.may(r, Action.record_call)} == {Role.sales}


def test_system_transitions_are_not_for_people():
    for action in (
        Action.route_to_quality,
        Action.resolve,
        Action.close_as_feedback,
        Action.close_without_answer,
        Action.route_inquiry,
        Action.route_untriaged,
    ):
        assert not any(rules.may(role, action) for role in Role)
        assert rules.may(rules.SYSTEM, action)


def test_department_workers_work_only_their_own_department():
    quality = rules.Actor("q", Role.quality, 1, "quality")
    manager = rules.Actor("m", Role.manager, 2, "quality")
    assert rules.works_in(quality, rules.Department.quality)
    assert not rules.works_in(quality, rules.Department.sales)
    assert not rules.works_in(manager, rules.Department.quality)


def test_sales_cannot_wait_on_the_customer_once_the_result_is_approved():
    with pytest.raises(RuleViolation):
        next_status(Status.approved, Action.wait_for_customer)
    assert next_status(Status.with_sales, Action.approve_result).event is rules.EventKind.approved


def test_only_complaints_need_investigation():
    assert rules.needs_investigation(rules.Kind.complaint)
    for kind in set(rules.Kind) - {rules.Kind.complaint}:
        assert not rules.needs_investigation(kind)


@pytest.mark.parametrize(
    ("severity", "days"),
    [(rules.Severity.critical, 3), (rules.Severity.major, 10), (rules.Severity.minor, 20)],
)
def test_reply_time_follows_severity_and_quality_leaves_a_day_for_sales(severity, days):
    def hours(step: rules.Step) -> float:
        policy = rules.match_policy(rules.DEFAULT_POLICIES, step, rules.Kind.complaint, severity)
        assert policy is not None
        return policy.hours

    assert hours(rules.Step.customer_reply) == days * rules.BUSINESS_DAY_HOURS
    assert hours(rules.Step.quality_result) + hours(rules.Step.sales_review) == hours(
        rules.Step.customer_reply
    )


def test_the_most_specific_policy_wins():
    policies = {
        (rules.Step.sales_review, None, None): rules.DeadlinePolicy(hours=9),
        (rules.Step.sales_review, None, rules.Severity.critical): rules.DeadlinePolicy(hours=4),
        (rules.Step.sales_review, rules.Kind.complaint, rules.Severity.critical): (
            rules.DeadlinePolicy(hours=2)
        ),
    }
    match = rules.match_policy
    step, complaint, critical = (
        rules.Step.sales_review,
        rules.Kind.complaint,
        rules.Severity.critical,
    )

    def hours_of_match(kind: rules.Kind, severity: rules.Severity) -> float:
        policy = match(policies, step, kind, severity)
        assert policy is not None
        return policy.hours

    assert hours_of_match(complaint, critical) == 2
    assert hours_of_match(rules.Kind.inquiry, critical) == 4
    assert hours_of_match(complaint, rules.Severity.minor) == 9
    assert match(policies, rules.Step.containment, complaint, rules.Severity.minor) is None


def test_containment_is_clocked_for_critical_complaints_on_wall_time():
    policy = rules.match_policy(
        rules.DEFAULT_POLICIES,
        rules.Step.containment,
        rules.Kind.complaint,
        rules.Severity.critical,
    )
    assert policy is not None
    assert (policy.hours, policy.business_time) == (24, False)


def test_waiting_on_the_customer_returns_to_where_it_was():
    assert next_status(Status.with_quality, Action.wait_for_customer).target is (
        Status.waiting_on_customer
    )
    assert next_status(Status.waiting_on_customer, Action.resume_after_customer).target == (
        rules.RESUME
    )
    with pytest.raises(RuleViolation):
        next_status(Status.resolved, Action.wait_for_customer)


def test_the_customers_silence_closes_a_resolved_complaint_after_ten_business_days():
    policy = rules.DEFAULT_POLICIES[(rules.Step.customer_acceptance, None, None)]
    assert (policy.hours, policy.business_time) == (10 * rules.BUSINESS_DAY_HOURS, True)
    action = rules.CLOSES_WHEN_DUE[rules.Step.customer_acceptance]
    assert next_status(Status.resolved, action).target is Status.closed
    assert action in rules.RATING_INVITED_AFTER
    assert Action.record_acceptance in rules.RATING_INVITED_AFTER
