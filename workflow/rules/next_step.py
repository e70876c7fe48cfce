"""The next step for the person looking at a complaint: chosen among what the rules allow
them now, so the page's header never offers what the actions below would refuse."""

from dataclasses import dataclass

from models.enums import TaskKind
from workflow.rules.permissions import Action
from workflow.rules.tasks import TASK_DEFINITIONS


@dataclass(frozen=True)
class TaskOffer:
    """A task of the complaint and what the viewer may do on it now."""

    id: int
    kind: TaskKind
    actions: frozenset[Action]


@dataclass(frozen=True)
class NextStep:
    text: str
    task_id: int | None = None  # the task page to open, else a part of the complaint page
    anchor: str | None = None


# Complaint actions that are someone's turn, the most pressing first; each has its form in
# the page's "Actions" part.
COMPLAINT_STEPS: tuple[tuple[Action, str], ...] = (
    (Action.record_acknowledgement, "Acknowledge the customer and record it"),
    (Action.record_acceptance, "Record the customer's answer to the resolution"),
    (Action.resume_after_customer, "Record the customer's answer: the clocks run again"),
    (Action.reopen, "Record the customer's answer to the resolution"),
)


def next_step(complaint_actions: frozenset[Action], tasks: list[TaskOffer]) -> NextStep | None:
    """Work on a task already yours, else a task you may claim, else the complaint's own
    pressing action; None when nothing is the viewer's to do."""
    for task in tasks:  # an open task offers its work too, but claiming it comes first
        if task.actions and Action.claim_task not in task.actions:
            return NextStep(f"Work on: {_label(task)}", task_id=task.id)
    for task in tasks:
        if Action.claim_task in task.actions:
            return NextStep(f"Claim: {_label(task)}", task_id=task.id)
    for action, text in COMPLAINT_STEPS:
        if action in complaint_actions:
            return NextStep(text, anchor="actions-h")
    return None


def _label(task: TaskOffer) -> str:
    return TASK_DEFINITIONS[task.kind].label
