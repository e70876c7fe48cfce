"""The one function that changes a complaint's status."""

from typing import Any

from sqlmodel import Session

from models.base import id_of
from models.complaint import Complaint
from models.enums import Department, HistoryAction
from models.user import User
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
    next_status,
    require_permission,
)

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


def check_version(complaint: Complaint, expected: int | None) -> None:
    if expected is not None and expected != complaint.version:
        raise StaleVersion(
            f"{complaint.reference} is at version {complaint.version}, not {expected}"
        )


def _move(complaint: Complaint, target: Status | str) -> None:
    previous = complaint.status
    if target == RESUME:
        complaint.status = complaint.status_before_wait or Status.with_quality
        complaint.status_before_wait = None
    else:
        complaint.status = Status(target)
    if complaint.status is Status.waiting_on_customer:
        complaint.status_before_wait = previous


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
    """Check the rule, move the complaint, set its timestamps once, write the history and
    the transition's outbox event.

    ``changes`` are set on the complaint and recorded; ``noted`` is only recorded. The caller
    has locked the row and commits afterwards.
    """
    require_permission(actor.role, action)
    check_version(complaint, expected_version)
    transition = next_status(complaint.status, action)
    now = utcnow()
    previous = complaint.status
    _move(complaint, transition.target)
    if transition.department != KEEP:
        complaint.current_department = (
            None if transition.department is None else Department(transition.department)
        )
    for field, value in (changes or {}).items():
        setattr(complaint, field, value)
    if complaint.status is Status.resolved and complaint.resolved_at is None:
        complaint.resolved_at = now
    if complaint.status is Status.closed and complaint.closed_at is None:
        complaint.closed_at = now
    touch(session, complaint)
    record_history(
        session,
        case_id=id_of(complaint),
        actor=actor.name,
        action=HistoryAction(action.value),
        from_status=previous.value,
        to_status=complaint.status.value,
        changes={
            "current_department": complaint.current_department,
            **(changes or {}),
            **(noted or {}),
        },
        reason=reason,
        customer_wrote_reason=customer_wrote_reason,
    )
    if transition.event is not None:
        emit_event(session, case_id=id_of(complaint), kind=transition.event)


def touch(session: Session, complaint: Complaint, **changes: Any) -> None:
    """Change fields without a status change (the caller writes the history)."""
    for field, value in changes.items():
        setattr(complaint, field, value)
    complaint.updated_at = utcnow()
    complaint.version += 1
    session.add(complaint)
