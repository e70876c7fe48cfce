"""Staff accounts as admins manage them: list, create (with a one-time password link),
change role, department, name, address or active, and send a new password link.

Every change is in the account's change log (``workflow/user_log.py``) in the same commit.
"""

import secrets
from typing import Any

from sqlmodel import Session, col, func, select

from models.base import id_of
from models.enums import Department, Role
from models.user import User
from models.user_admin import AccountCreate, AccountUpdate
from workflow.clock import utcnow
from workflow.errors import NotFound, RuleViolation
from workflow.password_links import LinkSent, send_password_link
from workflow.rules import Actor
from workflow.security import hash_password, revoke_web_sessions_of
from workflow.user_log import log_user_change
from workflow.users import check_username_free

ACCOUNT_FIELDS = ("full_name", "email", "role", "department")


def list_accounts(
    session: Session,
    *,
    active: bool | None = None,
    department: Department | None = None,
    role: Role | None = None,
) -> list[User]:
    query = select(User).order_by(col(User.username))
    if active is not None:
        query = query.where(col(User.is_active).is_(active))
    if department is not None:
        query = query.where(User.department == department)
    if role is not None:
        query = query.where(User.role == role)
    return list(session.exec(query))


def get_account(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(f"no user with id {user_id}")
    return user


def create_account(
    session: Session, *, actor: Actor, fields: AccountCreate
) -> tuple[User, LinkSent]:
    """The account, and the link mailed to it to choose a password (none is set: the
    unknown random one below opens nothing). Commits."""
    check_username_free(session, fields.username)
    user = User.model_validate(
        fields.model_dump(),
        update={
            "hashed_password": hash_password(secrets.token_urlsafe(32)),
            "created_at": utcnow(),
        },
    )
    session.add(user)
    session.flush()
    created = {name: _plain(getattr(user, name)) for name in ("username", *ACCOUNT_FIELDS)}
    log_user_change(session, actor=actor.name, user=user, action="created", changes=created)
    sent = send_password_link(session, user, new_account=True)
    _log_link(session, actor, user, sent)
    session.commit()
    session.refresh(user)
    return user, sent


def update_account(session: Session, *, actor: Actor, user_id: int, update: AccountUpdate) -> User:
    """Only the fields given change; deactivating ends the user's sessions. Commits."""
    user = get_account(session, user_id)
    wanted: dict[str, Any] = {n: getattr(update, n) for n in ACCOUNT_FIELDS}
    wanted["is_active"] = update.active
    changes = {
        name: {"old": _plain(getattr(user, name)), "new": _plain(value)}
        for name, value in wanted.items()
        if value is not None and getattr(user, name) != value
    }
    if not changes:
        return user
    _refuse_losing_admins(session, actor, user, wanted)
    for name in changes:
        setattr(user, name, wanted[name])
    session.add(user)
    if "is_active" in changes and not user.is_active:
        revoke_web_sessions_of(session, id_of(user))
    log_user_change(
        session,
        actor=actor.name,
        user=user,
        action="changed",
        changes=changes,
        reason=update.reason,
    )
    session.commit()
    session.refresh(user)
    return user


def deactivate_by_username(session: Session, *, username: str, by: str, reason: str) -> User:
    """Deactivate an account from the command line, under the same rules and log as the admin
    pages: the last active admin is refused. Commits."""
    user = session.exec(select(User).where(User.username == username)).first()
    if user is None:
        raise NotFound(f"no user {username}")
    if not user.is_active:
        return user
    operator = Actor(name=by, role=Role.admin)
    return update_account(
        session,
        actor=operator,
        user_id=id_of(user),
        update=AccountUpdate(active=False, reason=reason),
    )


def _refuse_losing_admins(
    session: Session, actor: Actor, user: User, wanted: dict[str, Any]
) -> None:
    demoted = wanted["role"] is not None and wanted["role"] is not Role.admin
    deactivated = wanted["is_active"] is False
    if user.id == actor.user_id and (demoted or deactivated):
        raise RuleViolation(
            "you cannot deactivate your own account or take away your own admin role; "
            "ask another admin"
        )
    removed = user.role is Role.admin and user.is_active and (demoted or deactivated)
    if removed and _active_admins(session) <= 1:
        raise RuleViolation(f"{user.username} is the last active admin; make another admin first")


def _active_admins(session: Session) -> int:
    query = (
        select(func.count())
        .select_from(User)
        .where(User.role == Role.admin, col(User.is_active).is_(True))
    )
    return int(session.exec(query).one())


def send_new_password_link(session: Session, *, actor: Actor, user_id: int) -> LinkSent:
    """A one-time link mailed to the user; earlier links stop working. Commits."""
    user = get_account(session, user_id)
    if not user.is_active:
        raise RuleViolation(f"{user.username} is deactivated; activate the account first")
    sent = send_password_link(session, user)
    _log_link(session, actor, user, sent)
    session.commit()
    return sent


def _log_link(session: Session, actor: Actor, user: User, sent: LinkSent) -> None:
    changes = {"sent_to": sent.sent_to, "expires_at": sent.expires_at.isoformat()}
    log_user_change(
        session, actor=actor.name, user=user, action="password_link_sent", changes=changes
    )


def _plain(value: Any) -> Any:
    """A value the JSON log can hold (enums as their value)."""
    return getattr(value, "value", value)
