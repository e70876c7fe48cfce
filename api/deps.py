"""Dependencies the routes share: sessions, the current user, role checks."""

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, HTTPException, status
from fastapi.security import OAuth2PasswordBearer
from sqlmodel import Session, select

from models.user import User
from workflow.away import stands_in_for
from workflow.db import read_session, write_session
from workflow.rules import Action, require_permission
from workflow.security import decode_token
from workflow.transitions import Actor, actor_of_user

oauth2_scheme = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/token")


def get_read_session() -> Iterator[Session]:
    with read_session() as session:
        yield session


def get_write_session() -> Iterator[Session]:
    with write_session() as session:
        yield session


SessionDep = Annotated[Session, Depends(get_read_session)]
WriteSessionDep = Annotated[Session, Depends(get_write_session)]


def done_reading(session: Session) -> None:
    """End the read transaction the sign-in check opened, so its connection goes back to the
    pool while the route works: a request waiting for the write lock held it all that time, and
    more such waiters than the pool's connections left every page waiting (the objects read
    stay loaded; a later read takes a connection again)."""
    session.commit()


def get_current_user(token: Annotated[str, Depends(oauth2_scheme)], session: SessionDep) -> User:
    username = decode_token(token)
    user = session.exec(select(User).where(User.username == username)).first() if username else None
    if user is None or not user.is_active:
        raise HTTPException(
            status_code=status.HTTP_401_UNAUTHORIZED,
            detail="invalid or expired token",
            headers={"WWW-Authenticate": "Bearer"},
        )
    done_reading(session)
    return user


CurrentUser = Annotated[User, Depends(get_current_user)]


def get_actor(user: CurrentUser, session: SessionDep) -> Actor:
    actor = actor_of_user(user, stands_in_for(session, user.id))
    done_reading(session)
    return actor


CurrentActor = Annotated[Actor, Depends(get_actor)]


def allowed(action: Action):  # noqa: ANN201 - a FastAPI dependency
    """A dependency that refuses (403) users whose role may not do ``action``."""

    def check(actor: CurrentActor) -> Actor:
        require_permission(actor.role, action)
        return actor

    return Depends(check)
