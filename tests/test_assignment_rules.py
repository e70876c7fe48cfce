"""The handover rules as a table: who may assign or unclaim which task, and who may work the
task of an away colleague they stand in for. Pure: no database, no server."""

import pytest

from models.enums import Department, Role, Status, TaskKind, TaskStatus
from workflow.rules import Action, Actor, ComplaintFacts, TaskFacts, available_handover_actions
from workflow.rules import available_actions as task_actions
from workflow.rules.assignment import deputy_refusal

A = Action
HOLDER = Actor("quinn", Role.quality, user_id=10, department="quality")
COLLEAGUE = Actor("quentin", Role.quality, user_id=11, department="quality")
HEAD = Actor("morgan", Role.manager, user_id=20, department="quality")
OTHER_HEAD = Actor("max", Role.manager, user_id=21, department="production")
GM = Actor("grace", Role.general_manager, user_id=30, department="management")
OUTSIDER = Actor("tess", Role.technical, user_id=40, department="technical")
ADMIN = Actor("ada", Role.admin, user_id=50)
DEPUTY = Actor(
    "quentin", Role.quality, user_id=11, department="quality", stands_in_for=frozenset({10})
)


def _task(status: TaskStatus, assignee: int | None) -> TaskFacts:
    return TaskFacts(1, TaskKind.quality_assessment, status, Department.quality, assignee)


CLAIMED, OPEN, DONE = (
    _task(TaskStatus.claimed, 10),
    _task(TaskStatus.open, None),
    _task(TaskStatus.done, 10),
)
BOTH = {A.assign_task, A.unclaim_task}

# (actor, task) -> handover actions allowed
TABLE = [
    (HOLDER, CLAIMED, BOTH),
    (COLLEAGUE, CLAIMED, set()),  # someone else's
    (HOLDER, OPEN, set()),  # unclaimed: claim it, or a head hands it out
    (HEAD, OPEN, {A.assign_task}),  # nothing to unclaim
    (HEAD, CLAIMED, BOTH),
    (GM, CLAIMED, BOTH),
    (OTHER_HEAD, CLAIMED, set()),  # head of another department
    (OUTSIDER, CLAIMED, set()),
    (ADMIN, CLAIMED, set()),
    (HOLDER, DONE, set()),
    (HEAD, DONE, set()),
]


@pytest.mark.parametrize(("actor", "task", "expected"), TABLE)
def test_who_may_hand_a_task_on(actor, task, expected):
    complaint = ComplaintFacts(Status.with_quality)
    assert available_handover_actions(complaint, actor, task) == expected


def test_a_deputy_works_the_task_of_the_colleague_they_stand_in_for_and_no_other():
    complaint = ComplaintFacts(Status.with_quality)
    assert A.return_result in task_actions(complaint, DEPUTY, CLAIMED)
    assert A.return_result not in task_actions(complaint, COLLEAGUE, CLAIMED)
    someone_else = _task(TaskStatus.claimed, 12)
    assert A.return_result not in task_actions(complaint, DEPUTY, someone_else)


@pytest.mark.parametrize(
    ("deputy", "away", "words"),
    [
        (("quinn", Role.quality, "quality", True), False, "your own deputy"),
        (("tess", Role.technical, "technical", True), False, "does not work in your department"),
        (("morgan", Role.manager, "quality", True), False, "does not work in your department"),
        (("quentin", Role.quality, "quality", False), False, "no longer active"),
        (("quentin", Role.quality, "quality", True), True, "away too"),
        (("quentin", Role.quality, "quality", True), False, None),
    ],
)
def test_who_may_stand_in(deputy, away, words):
    name, role, department, active = deputy
    refusal = deputy_refusal(
        username="quinn",
        department="quality",
        deputy_username=name,
        deputy_role=role,
        deputy_department=department,
        deputy_active=active,
        deputy_away=away,
    )
    assert (refusal is None) if words is None else (words in (refusal or ""))
