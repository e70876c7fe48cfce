"""Passwords (argon2 via pwdlib), access tokens (PyJWT, algorithm pinned), web sessions."""

import hashlib
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
from pwdlib import PasswordHash
from sqlmodel import Session, col, delete, select, update

from models.base import id_of
from models.user import User, WebSession
from workflow.config import get_settings
from workflow.db import write_session

ALGORITHM = "HS256"
_hasher = PasswordHash.recommended()
# Verified against when the user is unknown, so a login takes as long either way.
_DUMMY_HASH = _hasher.hash("not-a-real-password")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password: str, hashed: str) -> bool:
    return _hasher.verify(password, hashed)


def authenticate(session: Session, username: str, password: str) -> User | None:
    user = session.exec(select(User).where(User.username == username)).first()
    if user is None:
        _hasher.verify(password, _DUMMY_HASH)
        return None
    if not _hasher.verify(password, user.hashed_password) or not user.is_active:
        return None
    return user


def create_access_token(user: User) -> str:
    settings = get_settings()
    now = datetime.now(UTC)  # token lifetime is real time, whatever the business clock says
    claims: dict[str, Any] = {
        "sub": user.username,
        "role": user.role.value,
        "iat": now,
        "exp": now + timedelta(minutes=settings.access_token_minutes),
    }
    return jwt.encode(claims, settings.secret_key, algorithm=ALGORITHM)


def decode_token(token: str) -> str | None:
    """The username the token was issued to, or None if it is invalid or expired."""
    try:
        claims = jwt.decode(
            token,
            get_settings().secret_key,
            algorithms=[ALGORITHM],
            options={"require": ["sub", "exp"]},
        )
    except jwt.PyJWTError:
        return None
    return str(claims["sub"])


# Web sessions: the cookie carries a random id, the table its SHA-256 (a copy of the table
# opens no session), so signing out, or deactivating the user, ends it on the server.


def _session_key(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


def open_web_session(user: User) -> str:
    """A new session for ``user``; the id to put in the cookie. Real time, like tokens."""
    now = datetime.now(UTC)
    session_id = secrets.token_urlsafe(32)
    with write_session() as session:
        session.execute(
            delete(WebSession).where(
                col(WebSession.user_id) == user.id, col(WebSession.expires_at) < now
            )
        )
        session.add(
            WebSession(
                id=_session_key(session_id),
                user_id=id_of(user),
                created_at=now,
                expires_at=now + timedelta(hours=get_settings().web_session_hours),
            )
        )
        session.commit()
    return session_id


def user_of_web_session(session: Session, session_id: str) -> User | None:
    """The active user of a session that is neither revoked nor expired."""
    return session.exec(
        select(User)
        .join(WebSession, col(WebSession.user_id) == User.id)
        .where(
            col(WebSession.id) == _session_key(session_id),
            col(WebSession.revoked_at).is_(None),
            col(WebSession.expires_at) > datetime.now(UTC),
            User.is_active == True,  # noqa: E712
        )
    ).first()


def revoke_web_session(session_id: str) -> None:
    with write_session() as session:
        session.execute(
            update(WebSession)
            .where(
                col(WebSession.id) == _session_key(session_id),
                col(WebSession.revoked_at).is_(None),
            )
            .values(revoked_at=datetime.now(UTC))
        )
        session.commit()


def revoke_web_sessions_of(session: Session, user_id: int) -> None:
    """End every session of the user, in the caller's transaction."""
    session.execute(
        update(WebSession)
        .where(col(WebSession.user_id) == user_id, col(WebSession.revoked_at).is_(None))
        .values(revoked_at=datetime.now(UTC))
    )
