"""The one function that changes a complaint's status, and the lock it needs."""

from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, select

from models.complaint import Complaint
from models.user import User
from workflow.clock import utcnow
from workflow.errors import NotFound, StaleVersion
from workflow.history import record_history
from workflow.rules import KEEP, RESUME, Action, Status, next_status, require_permission


@dataclass(frozen=True)
class Actor:
    """Who acts: a user (name and role) or the system (``flow:<name>``, role ``system``)."""

    name: str
    role: str
    user_id: int | None = None
    department: str | None = None


def actor_of_user(user: User) -> Actor:
    return Actor(
        name=user.username,
        role=user.role.value,
        user_id=user.id,
        department=user.department.value if user.department else None,
    )


def _locked(session: Session, condition: Any, what: str) -> Complaint:
    complaint = session.exec(select(Complaint).where(condition).with_for_update()).first()
    if complaint is None:
        raise NotFound(f"no complaint {what}")
    return complaint


def lock_complaint(session: Session, reference: str) -> Complaint:
    return _locked(session, Complaint.reference == reference, reference)


def lock_complaint_by_id(session: Session, complaint_id: int) -> Complaint:
    return _locked(session, Complaint.id == complaint_id, f"with id {complaint_id}")


def check_version(complaint: Complaint, expected: int | None) -> None:
    if expected is not None and expected != complaint.version:
        raise StaleVersion(
            f"{complaint.reference} is at version {complaint.version}, not {expected}"
        )


def apply_transition(
    session: Session,
    complaint: Complaint,
    *,
    action: Action,
    actor: Actor,
    changes: dict[str, Any] | None = None,
    reason: str | None = None,
    expected_version: int | None = None,
) -> None:
    """Check the rule, move the complaint, set its timestamps once, write the history.

    The caller has locked the row and commits (with the outbox event) afterwards.
    """
    require_permission(actor.role, action)
    check_version(complaint, expected_version)
    transition = next_status(complaint.status, action)
    now = utcnow()
    previous = complaint.status
    if transition.target == RESUME:
        complaint.status = complaint.status_before_wait or Status.with_quality
        complaint.status_before_wait = None
    else:
        complaint.status = Status(transition.target)
    if transition.target == Status.waiting_on_customer:
        complaint.status_before_wait = previous
    if transition.department != KEEP:
        complaint.current_department = transition.department  # type: ignore[assignment]
    for field, value in (changes or {}).items():
        setattr(complaint, field, value)
    if complaint.status is Status.resolved and complaint.resolved_at is None:
        complaint.resolved_at = now
    if complaint.status is Status.closed and complaint.closed_at is None:
        complaint.closed_at = now
    complaint.updated_at = now
    complaint.version += 1
    session.add(complaint)
    record_history(
        session,
        complaint_id=complaint.id,  # type: ignore[arg-type]
        actor=actor.name,
        action=action.value,
        from_status=previous.value,
        to_status=complaint.status.value,
        changes={"current_department": complaint.current_department, **(changes or {})},
        reason=reason,
    )


def touch(session: Session, complaint: Complaint, **changes: Any) -> None:
    """Change fields without a status change (the caller writes the history)."""
    for field, value in changes.items():
        setattr(complaint, field, value)
    complaint.updated_at = utcnow()
    complaint.version += 1
    session.add(complaint)
