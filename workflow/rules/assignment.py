"""Handing a task on: who may assign it to a colleague or put it back in the queue, and who
may receive it.

The choice (documented in docs/architecture.md, "Assignment"): the person holding a claimed
task may hand it to a colleague of its department or put it back unclaimed; a manager of
the task's department, or a general manager, may do either with any active task of it,
claimed or not. A task goes only to an active person who works in its department.

While a person is away, their deputy stands in: a task assigned to them goes to the deputy,
and the deputy may work the tasks they hold (``Actor.stands_in_for``).
"""

from models.enums import Department, Role, TaskStatus
from workflow.errors import NotAllowed, RuleViolation
from workflow.rules.permissions import Action, Actor
from workflow.rules.tasks import is_finished, works_in

HANDOVER_ACTIONS = frozenset({Action.assign_task, Action.unclaim_task})
# Heads of a department: they hand out its work.
DEPARTMENT_HEADS = frozenset({Role.manager})
COMPANY_HEADS = frozenset({Role.general_manager})


def heads_department(actor: Actor, department: Department) -> bool:
    if actor.role in COMPANY_HEADS:
        return True
    return actor.role in DEPARTMENT_HEADS and actor.department == department.value


def handover_refusal(
    action: Action,
    *,
    task_id: int,
    status: TaskStatus,
    department: Department,
    assignee_id: int | None,
    actor: Actor,
) -> NotAllowed | RuleViolation | None:
    """Why ``actor`` may not assign or unclaim the task now (None: they may)."""
    head = heads_department(actor, department)
    if not head and not works_in(actor, department):
        return NotAllowed(f"task {task_id} belongs to {department.value}")
    if is_finished(status):
        return RuleViolation(f"task {task_id} is {status.value}")
    if action is Action.unclaim_task and status is not TaskStatus.claimed:
        return RuleViolation(f"task {task_id} is not claimed: it is in the queue already")
    if head or (assignee_id is not None and assignee_id == actor.user_id):
        return None
    if assignee_id is None:
        return NotAllowed(
            f"only a manager of {department.value} hands out an unclaimed task: claim it "
            "to work on it yourself"
        )
    return RuleViolation(f"task {task_id} is claimed by someone else")


def assignee_refusal(
    *,
    username: str,
    role: str,
    department: str | None,
    is_active: bool,
    task_department: Department,
) -> str | None:
    """Why this person cannot take a task of ``task_department`` (None: they can)."""
    if not is_active:
        return f"{username} is no longer active"
    person = Actor(name=username, role=role, department=department)
    if not works_in(person, task_department):
        return f"{username} does not work in {task_department.value}"
    return None


def deputy_refusal(
    *,
    username: str,
    department: str | None,
    deputy_username: str,
    deputy_role: str,
    deputy_department: str | None,
    deputy_active: bool,
    deputy_away: bool,
) -> str | None:
    """Why this colleague cannot stand in for ``username`` (None: they can)."""
    if deputy_username == username:
        return "you cannot be your own deputy"
    if not deputy_active:
        return f"{deputy_username} is no longer active"
    if deputy_away:
        return f"{deputy_username} is away too"
    deputy = Actor(name=deputy_username, role=deputy_role, department=deputy_department)
    if department is None or not works_in(deputy, Department(department)):
        return f"{deputy_username} does not work in your department"
    return None
