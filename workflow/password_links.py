"""One-time links to choose a password, mailed to the user as a staff notice.

The token is in no table, log or page: the row keeps a random nonce and the SHA-256 of the
token, and the token is the HMAC of the nonce under the secret key, made again by the sender
when it fills in the mail (``body_with_link``). Whoever reads the database or the notice
ledger cannot open the link; a new secret key voids the links not yet used.
"""

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session, col, select, update

from models.base import id_of
from models.notification import NoticeKind, Notification
from models.user import User
from models.user_admin import PasswordResetToken
from notifications.ledger import queue_notice
from notifications.templates import render_notice
from workflow.clock import utcnow
from workflow.company import current_company
from workflow.config import get_settings
from workflow.db import read_session
from workflow.errors import InvalidInput
from workflow.passwords import password_problem
from workflow.security import hash_password, revoke_web_sessions_of
from workflow.user_log import log_user_change

# Stands for the token in the stored notice; URL-safe and untouched by HTML escaping.
WITHHELD_LINK_TOKEN = "[one-time-token]"  # noqa: S105 - a placeholder, not a secret
DEDUPE_PREFIX = "password-link:"


@dataclass(frozen=True)
class LinkSent:
    sent_to: str
    expires_at: datetime


class LinkNotUsable(Exception):
    """Unknown, used or expired: the page says the same for each, so it tells nothing."""


def _token(nonce: str) -> str:
    key = get_settings().secret_key.encode()
    digest = hmac.new(key, f"password-link:{nonce}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def link_url(token: str) -> str:
    return f"{get_settings().public_base_url.rstrip('/')}/password-reset/{token}"


def send_password_link(session: Session, user: User, *, new_account: bool = False) -> LinkSent:
    """A new one-time link for ``user``, queued as a mail to their address in the caller's
    transaction; links sent earlier stop working."""
    now = utcnow()
    _void_open_links(session, id_of(user), now)
    nonce = secrets.token_hex(16)
    expires_at = now + timedelta(hours=get_settings().password_link_hours)
    link = PasswordResetToken(
        user_id=id_of(user),
        token_hash=_hash(_token(nonce)),
        nonce=nonce,
        created_at=now,
        expires_at=expires_at,
    )
    session.add(link)
    session.flush()
    context = {
        "full_name": user.full_name,
        "username": user.username,
        "company_name": current_company().name,
        "new_account": new_account,
        "link": link_url(WITHHELD_LINK_TOKEN),
        "expires_at": expires_at,
    }
    queue_notice(
        session,
        case_id=None,
        kind=NoticeKind.password_reset,
        recipient=str(user.email),
        rendered=render_notice(NoticeKind.password_reset, context),
        dedupe_key=f"{DEDUPE_PREFIX}{id_of(link)}",
    )
    return LinkSent(sent_to=str(user.email), expires_at=expires_at)


def _void_open_links(session: Session, user_id: int, now: datetime) -> None:
    session.execute(
        update(PasswordResetToken)
        .where(
            col(PasswordResetToken.user_id) == user_id,
            col(PasswordResetToken.used_at).is_(None),
        )
        .values(used_at=now)
    )


def body_with_link(notice: Notification) -> str:
    """The mail as sent: the stored body with the token made again from the link's nonce."""
    body = notice.body_html or notice.body_text
    link_id = int(notice.dedupe_key.removeprefix(DEDUPE_PREFIX))
    with read_session() as session:
        link = session.get(PasswordResetToken, link_id)
    if link is None:
        raise LookupError(f"notice {notice.id}: its password link is gone")
    return body.replace(WITHHELD_LINK_TOKEN, _token(link.nonce))


def _usable_link(session: Session, token: str, *, lock: bool = False) -> PasswordResetToken:
    query = select(PasswordResetToken).where(PasswordResetToken.token_hash == _hash(token))
    link = session.exec(query.with_for_update() if lock else query).first()
    if link is None or link.used_at is not None or link.expires_at <= utcnow():
        raise LinkNotUsable
    return link


def user_of_link(session: Session, token: str) -> User:
    """The active user a usable link is for; ``LinkNotUsable`` otherwise."""
    user = session.get(User, _usable_link(session, token).user_id)
    if user is None or not user.is_active:
        raise LinkNotUsable
    return user


def set_password_by_link(session: Session, *, token: str, password: str) -> User:
    """Spend the link on a new password; every session of the user ends. Commits."""
    link = _usable_link(session, token, lock=True)
    user = session.get(User, link.user_id)
    if user is None or not user.is_active:
        raise LinkNotUsable
    problem = password_problem(password, username=user.username)
    if problem:
        raise InvalidInput("password", problem)
    now = utcnow()
    link.used_at = now
    user.hashed_password = hash_password(password)
    session.add_all([link, user])
    revoke_web_sessions_of(session, id_of(user))
    log_user_change(session, actor=user.username, user=user, action="password_set", changes={})
    session.commit()
    return user
