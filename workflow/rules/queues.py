"""What a row of a task queue offers the person reading it: asked of the rules, so the queue
page never decides by role or status strings."""

from enum import StrEnum

from workflow.rules.actions import ComplaintFacts, TaskFacts, task_refusal
from workflow.rules.permissions import Action, Actor
from workflow.rules.tasks import may_read_task


class RowAction(StrEnum):
    claim = "claim"
    open = "open"


def queue_row_actions(
    complaint: ComplaintFacts, actor: Actor, task: TaskFacts
) -> tuple[RowAction, ...]:
    """Claim when the rules let ``actor`` claim the task now; Open when they may read it."""
    actions = []
    if task_refusal(Action.claim_task, task, complaint, actor) is None:
        actions.append(RowAction.claim)
    if may_read_task(actor, task.department):
        actions.append(RowAction.open)
    return tuple(actions)
