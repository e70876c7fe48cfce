from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Request, status
from pydantic import BaseModel, Field
from sqlmodel import SQLModel

from api.deps import CurrentUser, SessionDep, WriteSessionDep
from api.ratelimit import sign_in_attempt
from models.base import id_of
from models.user import AwayRequest, User, UserPreferences, UserPublic
from workflow.away import set_away
from workflow.security import authenticate, create_access_token

router = APIRouter(prefix="/auth", tags=["auth"])


class Token(SQLModel):
    access_token: str
    token_type: str = "bearer"  # noqa: S105 - the OAuth2 token type, not a secret


class SignInForm(BaseModel):
    """OAuth2's password grant, with the lengths a user can have (``UserCreate``): an
    unbounded password would be hashed whole before it is refused."""

    username: str = Field(min_length=1, max_length=64)
    password: str = Field(max_length=128)
    grant_type: str | None = Field(default=None, pattern="^password$")


@router.post(
    "/token",
    summary="Sign in",
    description="OAuth2 password flow: form fields `username` (at most 64 characters) and "
    "`password` (at most 128); returns a bearer token for the `Authorization` header. "
    "Failed sign-ins are limited per username and address (`CW_FAILED_LOGIN_RATE`, 5 a "
    "minute) and per address across usernames (`CW_FAILED_LOGIN_ADDRESS_RATE`, 20 a minute); "
    "past either, every attempt is answered 429 until the window moves on.",
    responses={
        401: {"description": "Wrong username or password"},
        429: {"description": "Too many failed sign-ins for this user or from this address"},
    },
)
def login(request: Request, form: Annotated[SignInForm, Form()], session: SessionDep) -> Token:
    with sign_in_attempt(request, form.username) as attempt:
        user = authenticate(session, form.username, form.password)
        attempt.succeeded = user is not None
    if user is None:
        raise HTTPException(
            status_code=status.HTTP_401_UNAUTHORIZED,
            detail="wrong username or password",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return Token(access_token=create_access_token(user))


@router.get("/me", summary="Who am I", description="The signed-in user and their role.")
def me(user: CurrentUser) -> UserPublic:
    return UserPublic.model_validate(user, from_attributes=True)


@router.patch(
    "/me",
    summary="Change my preferences",
    description="Switch the daily digest (managers) on or off.",
)
def update_me(
    preferences: UserPreferences, user: CurrentUser, session: WriteSessionDep
) -> UserPublic:
    account = session.get(User, user.id)
    assert account is not None
    account.digest_enabled = preferences.digest_enabled
    session.add(account)
    session.commit()
    return UserPublic.model_validate(account, from_attributes=True)


@router.put(
    "/me/away",
    summary="Away, and who stands in",
    description="Away through `until` (a day) with a deputy who works in your department and "
    "is not away: tasks assigned to you meanwhile go to the deputy, your reminders and "
    "escalations reach them too, and they may work the tasks you hold. `until: null` is back.",
    responses={422: {"description": "A day passed, no deputy, or one who cannot stand in"}},
)
def update_away(body: AwayRequest, user: CurrentUser, session: WriteSessionDep) -> UserPublic:
    account = set_away(session, user_id=id_of(user), request=body)
    return UserPublic.model_validate(account, from_attributes=True)
