"""What a queue row offers (Claim, Open) is the rules' answer, for every role, complaint
status, task kind, task status and assignee: the page never decides by role strings."""

import itertools

import pytest

from workflow.rules import (
    Action,
    Actor,
    ComplaintFacts,
    Department,
    Role,
    RowAction,
    Status,
    TaskFacts,
    TaskKind,
    TaskStatus,
    available_actions,
    queue_row_actions,
)

ME = 10
ACTORS = [
    Actor(role.value, role, ME, role.value if role.value in Department.__members__ else None)
    for role in Role
]


@pytest.mark.parametrize("actor", ACTORS, ids=lambda a: a.name)
def test_a_row_offers_claim_exactly_when_the_rules_allow_claiming(actor):
    for status, kind, task_status, department, assignee in itertools.product(
        Status, TaskKind, TaskStatus, Department, (None, ME, ME + 1)
    ):
        task = TaskFacts(7, kind, task_status, department, assignee)
        complaint = ComplaintFacts(status)
        offered = queue_row_actions(complaint, actor, task)
        claimable = Action.claim_task in available_actions(complaint, actor, task)
        assert (RowAction.claim in offered) == claimable, (status, kind, task_status)


def test_a_row_opens_for_its_department_and_for_overseers_only():
    task = TaskFacts(7, TaskKind.quality_assessment, TaskStatus.claimed, Department.quality, 99)
    complaint = ComplaintFacts(Status.with_quality)
    opens = {a.role for a in ACTORS if RowAction.open in queue_row_actions(complaint, a, task)}
    assert opens == {Role.quality, Role.manager, Role.general_manager, Role.admin}
    quality = next(a for a in ACTORS if a.role is Role.quality)
    assert queue_row_actions(complaint, quality, task) == (RowAction.open,)  # someone else's
    unclaimed = TaskFacts(7, TaskKind.quality_assessment, TaskStatus.open, Department.quality, None)
    assert queue_row_actions(complaint, quality, unclaimed) == (RowAction.claim, RowAction.open)
