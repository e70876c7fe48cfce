"""Passwords (argon2 via pwdlib) and access tokens (PyJWT, algorithm pinned)."""

from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
from pwdlib import PasswordHash
from sqlmodel import Session, select

from models.user import User
from workflow.config import get_settings

ALGORITHM = "HS256"
_hasher = PasswordHash.recommended()
# Verified against when the user is unknown, so a login takes as long either way.
_DUMMY_HASH = _hasher.hash("not-a-real-password")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


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
