"""Who is signed in to the web pages, and the CSRF token every form carries.

The cookie (Starlette's SessionMiddleware: signed, HttpOnly, SameSite=Lax, Secure in
production) holds a random session id and the CSRF token, nothing else. The session is a row
on the server (``web_session``), checked on every request with its user: signing out or
deactivating the user ends it there, so a copied cookie stops working too.
"""

import secrets
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from sqlmodel import Session

from api.deps import SessionDep, done_reading
from models.user import User
from workflow.away import stands_in_for
from workflow.rules import Action, require_permission
from workflow.security import open_web_session, revoke_web_session, user_of_web_session
from workflow.transitions import Actor, actor_of_user

CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
SESSION_ID = "sid"
OPENED_STATUS_PAGE = "opened_status_pages"  # their tokens: this visitor may send them files
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class SignInRequired(Exception):
    """A page for staff opened without a session (answered by a redirect to the sign-in)."""


def csrf_token(request: Request) -> str:
    token = request.session.get("csrf")
    if not token:
        token = request.session["csrf"] = secrets.token_urlsafe(32)
    return token


async def check_csrf(request: Request) -> None:
    """Refuse a state-changing request whose token is not this session's (403)."""
    if request.method in SAFE_METHODS:
        return
    sent: object = request.headers.get(CSRF_HEADER)
    if sent is None:
        sent = (await request.form()).get(CSRF_FIELD)
    expected = request.session.get("csrf")
    if not expected or not isinstance(sent, str) or not secrets.compare_digest(sent, expected):
        raise HTTPException(
            status_code=status.HTTP_403_FORBIDDEN,
            detail="This form has expired or did not come from this site. "
            "Reload the page and try again.",
        )


def sign_in(request: Request, user: User) -> None:
    request.session.clear()  # a new session on sign-in: no fixation
    request.session[SESSION_ID] = open_web_session(user)
    csrf_token(request)


def sign_out(request: Request) -> None:
    session_id = request.session.get(SESSION_ID)
    if isinstance(session_id, str):
        revoke_web_session(session_id)
    request.session.clear()


def _load_user(session: Session, request: Request) -> User | None:
    session_id = request.session.get(SESSION_ID)
    if not isinstance(session_id, str):
        return None
    return user_of_web_session(session, session_id)


def web_user(request: Request, session: SessionDep) -> User:
    user = _load_user(session, request)
    if user is None:
        request.session.pop(SESSION_ID, None)
        raise SignInRequired
    done_reading(session)
    request.state.user = user
    return user


def signed_in_user(request: Request) -> User | None:
    return getattr(request.state, "user", None)


WebUser = Annotated[User, Depends(web_user)]


def web_actor(user: WebUser, session: SessionDep) -> Actor:
    actor = actor_of_user(user, stands_in_for(session, user.id))
    done_reading(session)
    return actor


WebActor = Annotated[Actor, Depends(web_actor)]


def page_for(action: Action):  # noqa: ANN201 - a FastAPI dependency
    """Only roles that may do ``action`` open the page (403 page otherwise)."""

    def check(actor: WebActor) -> Actor:
        require_permission(actor.role, action)
        return actor

    return Depends(check)
