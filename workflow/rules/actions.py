"""What a person may do now: one pure question asked by the API, the pages, the templates and
the services alike. ``available_actions`` answers it; ``require_*`` raises the refusal
(NotAllowed 403, RuleViolation 409, InvalidInput 422) that explains why not."""

from dataclasses import dataclass

from models.enums import Department, Status, TaskKind, TaskStatus
from workflow.errors import InvalidInput, NotAllowed, RuleViolation
from workflow.rules.assignment import HANDOVER_ACTIONS, handover_refusal
from workflow.rules.permissions import Action, Actor, permission_refusal, words
from workflow.rules.states import ENDED_BY_PERSON, TRANSITIONS, is_open, state_refusal
from workflow.rules.tasks import TASK_DEFINITIONS, is_finished, works_in

Refusal = NotAllowed | RuleViolation | InvalidInput


@dataclass(frozen=True)
class ComplaintFacts:
    status: Status
    acknowledged: bool = True
    routed_to_quality: bool = False  # a complaint quality has worked on (actions may follow)
    rated: bool = False  # the customer has answered the satisfaction survey
    closed_by: Action | None = None  # the transition that last closed it, from the history
    days_since_closing: float | None = None
    reopen_window_days: int = 30  # CW_REOPEN_WINDOW_DAYS: how long a silent closing reopens


@dataclass(frozen=True)
class TaskFacts:
    id: int
    kind: TaskKind
    status: TaskStatus
    department: Department
    assignee_id: int | None
    open_subtasks: tuple[int, ...] = ()  # its sub-tasks not yet answered or cancelled


# What people do on a complaint itself (task work is asked of the task).
COMPLAINT_ACTIONS = (
    Action.correct_complaint,
    Action.withdraw,
    Action.mark_duplicate,
    Action.record_acknowledgement,
    Action.wait_for_customer,
    Action.resume_after_customer,
    Action.record_acceptance,
    Action.reopen,
    Action.read_customer_link,
    Action.review_related,  # any state: the quality loop outlives the customer's answer
    Action.open_action,
    Action.map_product,
    Action.rate_satisfaction,
)


def complaint_refusal(action: Action, complaint: ComplaintFacts, actor: Actor) -> Refusal | None:
    refusal = permission_refusal(actor.role, action)
    if refusal is not None:
        return refusal
    if action is Action.reopen and complaint.status is Status.closed:
        return _reopen_after_closing_refusal(complaint)
    if action in TRANSITIONS:
        return state_refusal(complaint.status, action)
    if action is Action.correct_complaint and complaint.status in ENDED_BY_PERSON:
        return RuleViolation(f"the complaint is {complaint.status.value}: nothing to correct")
    if action is Action.open_action and not complaint.routed_to_quality:
        return RuleViolation("actions are opened on a complaint once it has been routed to quality")
    if action is Action.rate_satisfaction:
        return _rating_refusal(complaint)
    if action is Action.record_acknowledgement:
        if complaint.acknowledged:
            return RuleViolation("the customer has been acknowledged already")
        if not is_open(complaint.status):
            return RuleViolation(f"the complaint is {complaint.status.value}")
    return None


def _reopen_after_closing_refusal(complaint: ComplaintFacts) -> RuleViolation | None:
    """The closing notice of a complaint closed for lack of an answer says how to reopen it;
    a complaint the customer accepted (or that closed any other way) stays closed."""
    if complaint.closed_by is not Action.close_without_answer:
        return RuleViolation(
            "this complaint was closed with your agreement and cannot be reopened: "
            "please tell us about the problem as a new complaint"
        )
    since = complaint.days_since_closing
    if since is None or since > complaint.reopen_window_days:
        return RuleViolation(
            "the time to reopen this complaint has passed: "
            "please tell us about the problem as a new complaint"
        )
    return None


def _rating_refusal(complaint: ComplaintFacts) -> RuleViolation | None:
    """Once per complaint, after it closed with the customer's answer or without one (only
    complaints go through quality and reach ``closed`` that way)."""
    if complaint.status is not Status.closed or not complaint.routed_to_quality:
        return RuleViolation("you can rate how we handled your complaint once it is closed")
    if complaint.rated:
        return RuleViolation("you have rated this complaint already: thank you")
    return None


def task_handover_refusal(
    action: Action, task: TaskFacts, actor: Actor
) -> NotAllowed | RuleViolation | None:
    """Why ``actor`` may not assign or unclaim the task (of either process) now."""
    return handover_refusal(
        action,
        task_id=task.id,
        status=task.status,
        department=task.department,
        assignee_id=task.assignee_id,
        actor=actor,
    )


def task_refusal(
    action: Action, task: TaskFacts, complaint: ComplaintFacts, actor: Actor
) -> Refusal | None:
    refusal = permission_refusal(actor.role, action)
    if refusal is not None:
        return refusal
    if action in HANDOVER_ACTIONS:  # heads of the department hand out work they do not do
        return task_handover_refusal(action, task, actor)
    if not works_in(actor, task.department):
        return NotAllowed(f"task {task.id} belongs to {task.department.value}")
    if is_finished(task.status):
        return RuleViolation(f"task {task.id} is {task.status.value}")
    if task.assignee_id not in (None, actor.user_id, *actor.stands_in_for):
        return RuleViolation(f"task {task.id} is claimed by someone else")
    if action is Action.claim_task and task.status is TaskStatus.claimed:
        return RuleViolation(f"task {task.id} is claimed already")
    if action not in TASK_DEFINITIONS[task.kind].actions:
        kind = task.kind.value.replace("_", " ")
        return InvalidInput("task_id", f"task {task.id} is a {kind} task: cannot {words(action)}")
    if TASK_DEFINITIONS[task.kind].outlives_complaint:
        return _subtask_refusal(action, task)
    return _state_refusal(action, complaint) or _subtask_refusal(action, task)


def _state_refusal(action: Action, complaint: ComplaintFacts) -> RuleViolation | None:
    if action in TRANSITIONS:
        return state_refusal(complaint.status, action)
    if not is_open(complaint.status):
        return RuleViolation(f"the complaint is {complaint.status.value}")
    return None


def _subtask_refusal(action: Action, task: TaskFacts) -> RuleViolation | None:
    """Quality's result waits for the sub-tasks it asked for, unless it cancels them."""
    if action is Action.return_result and task.open_subtasks:
        ids = ", ".join(str(i) for i in task.open_subtasks)
        return RuleViolation(
            f"sub-task {ids} of task {task.id} is still open: wait for the answer, "
            "or cancel the sub-task with a reason"
        )
    if action is Action.cancel_subtask and not task.open_subtasks:
        return RuleViolation(f"task {task.id} has no open sub-task")
    return None


def available_actions(
    complaint: ComplaintFacts, actor: Actor, task: TaskFacts | None = None
) -> frozenset[Action]:
    """The actions ``actor`` may take now on the complaint, or on ``task`` of it."""
    if task is None:
        return frozenset(
            a for a in COMPLAINT_ACTIONS if complaint_refusal(a, complaint, actor) is None
        )
    return frozenset(
        a
        for a in TASK_DEFINITIONS[task.kind].actions
        if task_refusal(a, task, complaint, actor) is None
    )


def available_handover_actions(
    complaint: ComplaintFacts, actor: Actor, task: TaskFacts
) -> frozenset[Action]:
    """Assign and unclaim, asked apart from ``available_actions``: they apply to every kind."""
    return frozenset(a for a in HANDOVER_ACTIONS if task_refusal(a, task, complaint, actor) is None)


def require_complaint_action(action: Action, complaint: ComplaintFacts, actor: Actor) -> None:
    refusal = complaint_refusal(action, complaint, actor)
    if refusal is not None:
        raise refusal


def require_task_action(
    action: Action, task: TaskFacts, complaint: ComplaintFacts, actor: Actor
) -> None:
    refusal = task_refusal(action, task, complaint, actor)
    if refusal is not None:
        raise refusal
