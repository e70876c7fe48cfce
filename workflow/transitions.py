"""The one function that changes a case's status, whatever its process."""

from enum import StrEnum
from typing import Any

from sqlmodel import Session

from models.base import id_of
from models.complaint import Complaint
from models.enums import Department, HistoryAction
from models.user import User
from workflow.cases import CaseRecord
from workflow.clock import utcnow
from workflow.errors import StaleVersion
from workflow.history import record_history
from workflow.locking import lock_complaint, lock_complaint_by_id
from workflow.outbox import emit_event
from workflow.rules import (
    KEEP,
    RESUME,
    Action,
    Actor,
    Status,
    require_permission,
)
from workflow.rules.process import ProcessDefinition
from workflow.rules.states import COMPLAINT_PROCESS

__all__ = [
    "Actor",
    "actor_of_user",
    "apply_transition",
    "lock_complaint",
    "lock_complaint_by_id",
]


def actor_of_user(user: User, stands_in_for: frozenset[int] = frozenset()) -> Actor:
    return Actor(
        name=user.username,
        role=user.role.value,
        user_id=user.id,
        department=user.department.value if user.department else None,
        stands_in_for=stands_in_for,
    )


def person_id(actor: Actor) -> int:
    """The account of a person whose step is recorded (never the system's)."""
    assert actor.user_id is not None, f"{actor.name} is not a signed-in person"
    return actor.user_id


def check_version(record: CaseRecord, expected: int | None) -> None:
    if expected is not None and expected != record.version:
        raise StaleVersion(f"{record.reference} is at version {record.version}, not {expected}")


def _move(record: CaseRecord, process: ProcessDefinition[Any], target: StrEnum | str) -> None:
    previous = record.status
    if target == RESUME:
        resumed = record.status_before_wait or process.resume_default
        assert resumed is not None, f"a {process.name} has nothing to resume"
        record.status = resumed
        record.status_before_wait = None
    else:
        record.status = process.statuses(target)
    if record.status == process.waiting:
        record.status_before_wait = previous


def apply_process_transition(
    session: Session,
    record: CaseRecord,
    process: ProcessDefinition[Any],
    *,
    action: Action,
    actor: Actor,
    changes: dict[str, Any] | None = None,
    reason: str | None = None,
    expected_version: int | None = None,
    noted: dict[str, Any] | None = None,
    customer_wrote_reason: bool = False,
) -> None:
    """Check the rule, move the case along its process, write the history and the
    transition's outbox event: the one way a complaint's or a review's status changes.

    ``changes`` are set on the record and recorded; ``noted`` is only recorded. The caller
    has locked the row and commits afterwards."""
    require_permission(actor.role, action)
    check_version(record, expected_version)
    transition = process.next_status(record.status, action)
    previous = record.status
    _move(record, process, transition.target)
    if transition.department != KEEP:
        record.current_department = (
            None if transition.department is None else Department(transition.department)
        )
    for field, value in (changes or {}).items():
        setattr(record, field, value)
    touch(session, record)
    record_history(
        session,
        case_id=id_of(record),
        actor=actor.name,
        action=HistoryAction(action.value),
        from_status=previous.value,
        to_status=record.status.value,
        changes={
            "current_department": record.current_department,
            **(changes or {}),
            **(noted or {}),
        },
        reason=reason,
        customer_wrote_reason=customer_wrote_reason,
    )
    if transition.event is not None:
        emit_event(session, case_id=id_of(record), kind=transition.event)


def apply_transition(
    session: Session,
    complaint: Complaint,
    *,
    action: Action,
    actor: Actor,
    changes: dict[str, Any] | None = None,
    reason: str | None = None,
    expected_version: int | None = None,
    noted: dict[str, Any] | None = None,
    customer_wrote_reason: bool = False,
) -> None:
    """A complaint's transition (``apply_process_transition``), its resolution and closing
    times set once."""
    apply_process_transition(
        session,
        complaint,
        COMPLAINT_PROCESS,
        action=action,
        actor=actor,
        changes=changes,
        reason=reason,
        expected_version=expected_version,
        noted=noted,
        customer_wrote_reason=customer_wrote_reason,
    )
    now = utcnow()
    if complaint.status is Status.resolved and complaint.resolved_at is None:
        complaint.resolved_at = now
    if complaint.status is Status.closed and complaint.closed_at is None:
        complaint.closed_at = now


def touch(session: Session, record: CaseRecord, **changes: Any) -> None:
    """Change fields without a status change (the caller writes the history)."""
    for field, value in changes.items():
        setattr(record, field, value)
    record.updated_at = utcnow()
    record.version += 1
    session.add(record)
