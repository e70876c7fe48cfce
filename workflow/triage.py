"""Sales' triage of a complaint made from a mail: what the mail is (kind, severity, product),
written to the complaint with its history; the ``triaged`` event then routes it as intake
routes that kind (``workflow/routing.py::route_by_kind``)."""

from typing import Any

from sqlmodel import Session

from models.base import id_of
from models.complaint import Complaint
from models.enums import HistoryAction
from models.task import Task
from models.triage import MailTriage
from workflow import deadlines
from workflow.history import record_history
from workflow.products import product_for_intake
from workflow.rules import Action, Actor
from workflow.transitions import apply_transition


def _triaged_fields(session: Session, triage: MailTriage) -> dict[str, Any]:
    """The complaint's new fields; the product checked as the intake checks it."""
    product, product_id = product_for_intake(session, triage.product_id, triage.product)
    fields: dict[str, Any] = {
        "kind": triage.complaint_kind,
        "severity": triage.severity,
        "product": product,
        "product_id": product_id,
    }
    for name in ("order_reference", "lot_number"):
        value = (getattr(triage, name) or "").strip()
        if value:
            fields[name] = value
    return fields


def apply_triage(
    session: Session, task: Task, complaint: Complaint, triage: MailTriage, actor: Actor
) -> dict[str, Any]:
    """Set what sales decided on the locked complaint; its clocks follow the new kind and
    severity. Returns the task's result. The caller closes the task and commits."""
    fields = _triaged_fields(session, triage)
    was = {name: getattr(complaint, name) for name in fields}
    old_kind, old_severity = complaint.kind, complaint.severity
    apply_transition(
        session,
        complaint,
        action=Action.triage_mail,
        actor=actor,
        changes=fields,
        reason=triage.note or f"triaged by sales as a {triage.complaint_kind.value}",
        expected_version=triage.version,
        noted={"task_id": task.id, "was": was},
    )
    retimed = deadlines.retime_clocks(session, complaint, old_severity, old_kind)
    if retimed:
        record_history(
            session,
            case_id=id_of(complaint),
            actor=actor.name,
            action=HistoryAction.triage_mail,
            changes={"retimed": retimed},
            reason="the clocks follow the triaged kind and severity",
        )
    return triage.model_dump(mode="json", exclude={"version"}) | {"triaged_by": actor.name}
