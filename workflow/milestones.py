"""Use cases on a task's milestones: quality's first assessment and the containment, each
meeting its own clock before the task itself is completed."""

from collections.abc import Callable

from sqlmodel import Session

from models.base import id_of
from models.complaint import Complaint
from models.enums import HistoryAction
from models.task import Assessment, Containment, Task
from workflow import deadlines, recurrence
from workflow.history import record_history
from workflow.quality_codes import assess_complaint
from workflow.rules import MILESTONE_ACTIONS, Action, Actor, Step
from workflow.tasks import locked_for_action, take_task

MILESTONE_HISTORY = {
    Step.first_assessment: HistoryAction.first_assessment_recorded,
    Step.containment: HistoryAction.containment_recorded,
}


def _record_milestone(
    session: Session,
    *,
    task_id: int,
    actor: Actor,
    action: Action,
    fields: dict,
    then: Callable[[Session, Complaint], None] | None = None,
    assessment: Assessment | None = None,
) -> Task:
    task, complaint = locked_for_action(session, task_id, action, actor)
    step = MILESTONE_ACTIONS[action]
    take_task(session, task, actor)
    task.result = {**task.result, step.value: fields}
    deadlines.stop_task_clocks(session, task, {step})
    if assessment is not None:
        assess_complaint(session, task, complaint, assessment, actor)
    record_history(
        session,
        case_id=id_of(complaint),
        actor=actor.name,
        action=MILESTONE_HISTORY[step],
        changes={"task_id": task.id, **fields},
    )
    if then is not None:
        then(session, complaint)
    session.commit()
    return task


def record_assessment(
    session: Session, *, task_id: int, assessment: Assessment, actor: Actor
) -> Task:
    """Quality's first decision: valid, severity, investigate or why not. Meets its clock."""
    fields = assessment.model_dump(mode="json")
    return _record_milestone(
        session,
        task_id=task_id,
        actor=actor,
        action=Action.record_assessment,
        fields=fields,
        then=recurrence.detect,  # the defect code is known now: look again
        assessment=assessment,
    )


def record_containment(
    session: Session, *, task_id: int, containment: Containment, actor: Actor
) -> Task:
    fields = containment.model_dump(mode="json")
    return _record_milestone(
        session, task_id=task_id, actor=actor, action=Action.record_containment, fields=fields
    )
