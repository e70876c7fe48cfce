"""The change log of staff accounts, written in the caller's transaction by this one function.

An account is not a complaint, and the history table hangs every entry on one: accounts keep
their own append-only log, as master data does (``workflow/master_log.py``).
"""

from typing import Any

from sqlmodel import Session, col, select

from models.base import id_of
from models.user import User
from models.user_admin import UserChange
from workflow.clock import utcnow


def log_user_change(
    session: Session,
    *,
    actor: str,
    user: User,
    action: str,
    changes: dict[str, Any],
    reason: str | None = None,
) -> UserChange:
    entry = UserChange(
        at=utcnow(),
        actor=actor,
        user_id=id_of(user),
        action=action,
        changes=changes,
        reason=reason,
    )
    session.add(entry)
    return entry


def changes_of(session: Session, user_id: int, *, limit: int = 50) -> list[UserChange]:
    query = (
        select(UserChange)
        .where(UserChange.user_id == user_id)
        .order_by(col(UserChange.id).desc())
        .limit(limit)
    )
    return list(session.exec(query))
