"""Quality's codes and severity on the complaint: the defect code at the first assessment,
the cause code (and the defect code if none yet) at the result; a changed severity's
consequences (``workflow.severity``)."""

from typing import Any

from sqlmodel import Session

from models.complaint import Complaint
from models.task import Assessment, QualityResult, Task
from workflow.codes import choosable_code
from workflow.errors import InvalidInput
from workflow.rules import Actor
from workflow.severity import apply_severity_change
from workflow.transitions import touch


def assess_complaint(
    session: Session, task: Task, complaint: Complaint, assessment: Assessment, actor: Actor
) -> dict[str, Any]:
    """Store the assessment's defect code and severity on the complaint (the caller holds
    the lock and commits); what changed, for the milestone's history entry."""
    changes: dict[str, Any] = {}
    if assessment.defect_code:
        code = choosable_code(session, "defect", assessment.defect_code.strip(), "defect_code")
        changes["defect_code_id"] = code.id
    old = complaint.severity
    if assessment.severity is not None and assessment.severity is not old:
        changes["severity"] = assessment.severity
    if changes:
        touch(session, complaint, **changes)
    apply_severity_change(session, complaint, old, task=task, actor=actor)
    return changes


def result_codes(
    session: Session, complaint: Complaint, result: QualityResult
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The code ids to set on the complaint at the result, and their code strings to note."""
    ids: dict[str, Any] = {}
    noted: dict[str, Any] = {}
    if result.defect_code:
        defect = choosable_code(session, "defect", result.defect_code.strip(), "defect_code")
        ids["defect_code_id"], noted["defect_code"] = defect.id, defect.code
    elif result.valid and complaint.defect_code_id is None:
        raise InvalidInput(
            "defect_code", "defect_code is required: the first assessment recorded none"
        )
    if result.cause_code:
        cause = choosable_code(session, "cause", result.cause_code.strip(), "cause_code")
        ids["cause_code_id"], noted["cause_code"] = cause.id, cause.code
    return ids, noted
