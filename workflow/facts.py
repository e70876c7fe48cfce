"""What the rules need to know of a record: the plain facts ``available_actions`` takes."""

from collections.abc import Iterable

from models.base import id_of
from models.complaint import Complaint
from models.task import Task
from workflow.rules import ComplaintFacts, Status, TaskFacts, is_finished, needs_investigation


def facts_of(complaint: Complaint) -> ComplaintFacts:
    return ComplaintFacts(
        status=complaint.status,
        acknowledged=complaint.acknowledged_at is not None,
        routed_to_quality=needs_investigation(complaint.kind)
        and complaint.status is not Status.received,
    )


def task_facts(task: Task, tasks_of_complaint: Iterable[Task] = ()) -> TaskFacts:
    """The task's facts; its open sub-tasks are found among ``tasks_of_complaint`` (give them
    wherever a quality task's result or a sub-task's cancellation is asked about)."""
    return TaskFacts(
        id=task.id or 0,
        kind=task.kind,
        status=task.status,
        department=task.department,
        assignee_id=task.assignee_id,
        open_subtasks=tuple(
            id_of(t)
            for t in tasks_of_complaint
            if t.parent_task_id == task.id and not is_finished(t.status)
        ),
    )
