"""What the rules need to know of a record: the plain facts ``available_actions`` takes."""

from models.complaint import Complaint
from models.task import Task
from workflow.rules import ComplaintFacts, TaskFacts


def facts_of(complaint: Complaint) -> ComplaintFacts:
    return ComplaintFacts(
        status=complaint.status, acknowledged=complaint.acknowledged_at is not None
    )


def task_facts(task: Task) -> TaskFacts:
    return TaskFacts(
        id=task.id or 0,
        kind=task.kind,
        status=task.status,
        department=task.department,
        assignee_id=task.assignee_id,
    )
