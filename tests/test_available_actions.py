"""``available_actions``, the one answer to "what may this person do now", checked against
tables written by hand for every status, role and kind of task."""

import pytest

from models.enums import ActionKind, ActionStatus
from workflow.errors import InvalidInput, NotAllowed, RuleViolation
from workflow.rules import (
    CUSTOMER,
    Action,
    Actor,
    CapaFacts,
    ComplaintFacts,
    Department,
    Role,
    RoundFacts,
    Status,
    TaskFacts,
    TaskKind,
    TaskStatus,
    available_actions,
    available_capa_actions,
    corrective_round_closed,
    may,
    require_task_action,
)

A = Action
ROLE_DEPARTMENT = {
    Role.sales: "sales",
    Role.quality: "quality",
    Role.technical: "technical",
    Role.production: "production",
    Role.procurement: "procurement",
    Role.manager: "quality",
    Role.general_manager: "management",
    Role.admin: None,
}
ACTORS: dict[str, Actor] = {
    role: Actor(role.value, role, 10, dept) for role, dept in ROLE_DEPARTMENT.items()
}
ACTORS[CUSTOMER] = Actor("customer", CUSTOMER)
LINK = {A.read_customer_link}
MAP = {A.map_product}  # quality maps a complaint to a catalogue product in any status

# Fixing the record: sales and quality correct fields while it is on record, and end an open
# one (withdrawn, duplicate); an ended one is not corrected any more.
FIX = {A.correct_complaint}
END = {A.correct_complaint, A.withdraw, A.mark_duplicate}

# Status -> role -> actions on the complaint itself (acknowledged already). Roles not named
# may do nothing on it.
ON_THE_COMPLAINT: dict[Status, dict[str, set[Action]]] = {
    Status.received: {Role.sales: LINK | END, Role.quality: END | MAP, Role.admin: LINK},
    Status.with_quality: {
        Role.sales: {A.wait_for_customer} | LINK | END,
        Role.quality: {A.wait_for_customer} | END | MAP,
        Role.admin: LINK,
    },
    Status.with_sales: {
        Role.sales: {A.wait_for_customer} | LINK | END,
        Role.quality: {A.wait_for_customer} | END | MAP,
        Role.admin: LINK,
    },
    Status.approved: {Role.sales: LINK | END, Role.quality: END | MAP, Role.admin: LINK},
    Status.resolved: {
        Role.sales: {A.record_acceptance, A.reopen} | LINK | FIX,
        Role.quality: FIX | MAP,
        CUSTOMER: {A.record_acceptance, A.reopen},
        Role.admin: LINK,
    },
    Status.closed: {Role.sales: LINK | FIX, Role.quality: FIX | MAP, Role.admin: LINK},
    Status.reopened: {Role.sales: LINK | END, Role.quality: END | MAP, Role.admin: LINK},
    Status.waiting_on_customer: {
        Role.sales: {A.resume_after_customer} | LINK | END,
        Role.quality: {A.resume_after_customer} | END | MAP,
        CUSTOMER: {A.resume_after_customer},  # answers on their status page
        Role.admin: LINK,
    },
    Status.withdrawn: {Role.sales: LINK, Role.quality: MAP, Role.admin: LINK},
    Status.duplicate: {Role.sales: LINK, Role.quality: MAP, Role.admin: LINK},
}

# Quality reviews related complaints in every status: the quality loop outlives the answer.
for _actions in ON_THE_COMPLAINT.values():
    _actions[Role.quality] = _actions.get(Role.quality, set()) | {A.review_related}


def test_the_table_covers_every_status():
    assert set(ON_THE_COMPLAINT) == set(Status)


@pytest.mark.parametrize("status", list(Status))
@pytest.mark.parametrize("who", list(ACTORS))
def test_actions_on_a_complaint_follow_its_status_and_the_role(status, who):
    expected = ON_THE_COMPLAINT[status].get(who, set())
    assert available_actions(ComplaintFacts(status), ACTORS[who]) == expected


@pytest.mark.parametrize(
    "status",
    [
        s
        for s in Status
        if s not in (Status.resolved, Status.closed, Status.withdrawn, Status.duplicate)
    ],
)
def test_only_sales_may_record_an_acknowledgement_while_none_was_given(status):
    facts = ComplaintFacts(status, acknowledged=False)
    for who, actor in ACTORS.items():
        allowed = A.record_acknowledgement in available_actions(facts, actor)
        assert allowed == (who == Role.sales), who


def _task(kind: TaskKind, department: str, status=TaskStatus.open, assignee=None) -> TaskFacts:
    return TaskFacts(7, kind, status, Department(department), assignee)


QUALITY_WORK = {A.record_assessment, A.record_containment, A.open_subtask}

# (task, complaint status, role) -> actions on the task; unnamed roles: nothing.
ON_A_TASK: list[tuple[TaskFacts, Status, dict[str, set[Action]]]] = [
    (
        _task(TaskKind.quality_assessment, "quality"),
        Status.with_quality,
        {Role.quality: {A.claim_task, A.return_result} | QUALITY_WORK},
    ),
    (
        _task(TaskKind.quality_assessment, "quality", TaskStatus.claimed, assignee=10),
        Status.with_quality,
        {Role.quality: {A.return_result} | QUALITY_WORK},
    ),
    (
        _task(TaskKind.quality_assessment, "quality", TaskStatus.claimed, assignee=99),
        Status.with_quality,
        {},
    ),
    (
        _task(TaskKind.quality_assessment, "quality"),
        Status.waiting_on_customer,
        {Role.quality: {A.claim_task} | QUALITY_WORK},
    ),
    (_task(TaskKind.quality_assessment, "quality", TaskStatus.done, 10), Status.with_sales, {}),
    (
        _task(TaskKind.sales_review, "sales"),
        Status.with_sales,
        {Role.sales: {A.claim_task, A.approve_result, A.send_back_to_quality}},
    ),
    (
        _task(TaskKind.sales_review, "sales", TaskStatus.claimed, 10),
        Status.waiting_on_customer,
        {},
    ),
    (_task(TaskKind.sales_review, "sales", TaskStatus.done, 10), Status.approved, {}),
    (
        _task(TaskKind.subtask, "technical"),
        Status.with_quality,
        {Role.technical: {A.claim_task, A.answer_subtask}},
    ),
    (_task(TaskKind.subtask, "technical"), Status.closed, {}),
    # The quality loop's work goes on after the customer's complaint is closed.
    (
        _task(TaskKind.capa_action, "production"),
        Status.closed,
        {Role.production: {A.claim_task, A.complete_action}},
    ),
    (
        _task(TaskKind.capa_action, "technical", TaskStatus.claimed, assignee=10),
        Status.resolved,
        {Role.technical: {A.complete_action}},
    ),
    (_task(TaskKind.capa_action, "production", TaskStatus.cancelled, 10), Status.closed, {}),
    (
        _task(TaskKind.effectiveness_check, "quality"),
        Status.closed,
        {Role.quality: {A.claim_task, A.record_effectiveness}},
    ),
    # An inquiry: sales answers it or forwards it; the department it went to answers it.
    (
        _task(TaskKind.answer_inquiry, "sales"),
        Status.with_sales,
        {Role.sales: {A.claim_task, A.forward_inquiry, A.answer_inquiry}},
    ),
    (
        _task(TaskKind.answer_inquiry, "technical"),
        Status.with_sales,
        {Role.technical: {A.claim_task, A.answer_inquiry}},
    ),
    (
        _task(TaskKind.answer_inquiry, "quality", TaskStatus.claimed, assignee=10),
        Status.waiting_on_customer,
        {},
    ),
    (_task(TaskKind.answer_inquiry, "sales", TaskStatus.done, 10), Status.closed, {}),
    # A complaint made from a mail: sales triage it while it is received, nobody else.
    (
        _task(TaskKind.triage_mail, "sales"),
        Status.received,
        {Role.sales: {A.claim_task, A.triage_mail}},
    ),
    (
        _task(TaskKind.triage_mail, "sales", TaskStatus.claimed, assignee=10),
        Status.received,
        {Role.sales: {A.triage_mail}},
    ),
    (_task(TaskKind.triage_mail, "sales", TaskStatus.cancelled), Status.with_quality, {}),
    # A notice phoned by sales: also once the complaint is closed (closing, invitation).
    (
        _task(TaskKind.call_customer, "sales"),
        Status.waiting_on_customer,
        {Role.sales: {A.claim_task, A.record_call}},
    ),
    (
        _task(TaskKind.call_customer, "sales", TaskStatus.claimed, assignee=10),
        Status.closed,
        {Role.sales: {A.record_call}},
    ),
    (_task(TaskKind.call_customer, "sales", TaskStatus.done, 10), Status.resolved, {}),
]


@pytest.mark.parametrize(("task", "status", "expected"), ON_A_TASK)
@pytest.mark.parametrize("who", list(ACTORS))
def test_actions_on_a_task_follow_its_kind_state_department_and_assignee(
    task, status, expected, who
):
    actions = available_actions(ComplaintFacts(status), ACTORS[who], task)
    assert actions == expected.get(who, set())


@pytest.mark.parametrize("status", list(Status))
@pytest.mark.parametrize("who", list(ACTORS))
def test_only_quality_opens_actions_and_only_once_the_complaint_was_routed_to_it(status, who):
    routed = available_actions(ComplaintFacts(status, routed_to_quality=True), ACTORS[who])
    assert (A.open_action in routed) == (who == Role.quality)
    never = available_actions(ComplaintFacts(status, routed_to_quality=False), ACTORS[who])
    assert A.open_action not in never


@pytest.mark.parametrize("who", list(ACTORS))
def test_only_quality_cancels_an_action_and_only_while_it_is_open(who):
    for status in ActionStatus:
        facts = CapaFacts(3, ActionKind.corrective, status)
        expected = (
            {A.cancel_action} if who == Role.quality and status is ActionStatus.open else set()
        )
        assert available_capa_actions(facts, ACTORS[who]) == expected


@pytest.mark.parametrize(
    ("actions", "scheduled", "due"),
    [
        (((ActionKind.corrective, ActionStatus.done),), False, True),
        (((ActionKind.corrective, ActionStatus.done),), True, False),
        (
            (
                (ActionKind.corrective, ActionStatus.done),
                (ActionKind.corrective, ActionStatus.open),
            ),
            False,
            False,
        ),
        (((ActionKind.corrective, ActionStatus.cancelled),), False, False),
        (((ActionKind.containment, ActionStatus.done),), False, False),
        (
            (
                (ActionKind.corrective, ActionStatus.done),
                (ActionKind.corrective, ActionStatus.cancelled),
                (ActionKind.preventive, ActionStatus.open),
            ),
            False,
            True,
        ),
    ],
)
def test_a_round_calls_for_its_check_once_its_corrective_actions_are_closed(
    actions, scheduled, due
):
    assert corrective_round_closed(RoundFacts(actions, scheduled)) is due


@pytest.mark.parametrize(
    ("actor", "task", "action", "error"),
    [
        (
            ACTORS[Role.technical],
            _task(TaskKind.quality_assessment, "quality"),
            A.claim_task,
            NotAllowed,
        ),
        (
            ACTORS[Role.manager],
            _task(TaskKind.quality_assessment, "quality"),
            A.claim_task,
            NotAllowed,
        ),
        (
            ACTORS[Role.quality],
            _task(TaskKind.quality_assessment, "quality", TaskStatus.done),
            A.record_containment,
            RuleViolation,
        ),
        (
            ACTORS[Role.sales],
            _task(TaskKind.subtask, "sales"),
            A.approve_result,
            InvalidInput,
        ),
    ],
)
def test_a_refused_task_action_says_why(actor, task, action, error):
    with pytest.raises(error):
        require_task_action(action, task, ComplaintFacts(Status.with_sales), actor)


@pytest.mark.parametrize(
    ("role", "home"),
    [
        (Role.sales, "/complaints?mine=1"),
        (Role.quality, "/queue"),
        (Role.technical, "/queue"),
        (Role.production, "/queue"),
        (Role.procurement, "/queue"),
        (Role.manager, "/overdue"),
        (Role.general_manager, "/overdue"),
        (Role.admin, "/overdue"),
    ],
)
def test_each_role_lands_on_the_first_page_of_its_work(role, home):
    from api.web.routes.auth import home_of

    assert home_of(role) == home


@pytest.mark.parametrize("status", list(Status))
@pytest.mark.parametrize("rated", [False, True])
def test_only_the_customer_rates_and_only_a_closed_complaint_not_yet_rated(status, rated):
    facts = ComplaintFacts(status, routed_to_quality=True, rated=rated)
    for who, actor in ACTORS.items():
        allowed = A.rate_satisfaction in available_actions(facts, actor)
        assert allowed == (who == CUSTOMER and status is Status.closed and not rated), who


def test_feedback_closed_at_intake_is_not_rated():
    facts = ComplaintFacts(Status.closed, routed_to_quality=False)
    assert A.rate_satisfaction not in available_actions(facts, ACTORS[CUSTOMER])


@pytest.mark.parametrize("role", list(Role))
def test_only_admins_edit_the_company_profile_customers_see(role):
    assert may(role, Action.edit_company_profile) is (role is Role.admin)
