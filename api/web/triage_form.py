"""What the task page shows for sales' triage of a mail: the kinds, the catalogue to pick the
product from (as the intake form links text to it), and the mail's attachments."""

from typing import Any

from sqlmodel import Session

from models.complaint import Complaint
from models.task import Task
from models.triage import TRIAGE_KINDS
from workflow.attachments import list_attachments
from workflow.products import active_products
from workflow.rules import TaskKind


def triage_page_context(session: Session, task: Task, complaint: Complaint) -> dict[str, Any]:
    if task.kind is not TaskKind.triage_mail:
        return {}
    return {
        "triage_kinds": TRIAGE_KINDS,
        "catalogue": active_products(session),
        "attachments": list_attachments(session, task.case_id),
    }
