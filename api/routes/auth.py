from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request, status
from fastapi.security import OAuth2PasswordRequestForm
from sqlmodel import SQLModel

from api.deps import CurrentUser, SessionDep, WriteSessionDep
from api.ratelimit import check_sign_in_allowed, count_failed_sign_in
from models.user import User, UserPreferences, UserPublic
from workflow.security import authenticate, create_access_token

router = APIRouter(prefix="/auth", tags=["auth"])


class Token(SQLModel):
    access_token: str
    token_type: str = "bearer"  # noqa: S105 - the OAuth2 token type, not a secret


@router.post(
    "/token",
    summary="Sign in",
    description="OAuth2 password flow: form fields `username` and `password`; "
    "returns a bearer token for the `Authorization` header.",
    responses={
        401: {"description": "Wrong username or password"},
        429: {"description": "Too many failed sign-ins for this user from this address"},
    },
)
def login(
    request: Request, form: Annotated[OAuth2PasswordRequestForm, Depends()], session: SessionDep
) -> Token:
    check_sign_in_allowed(request, form.username)
    user = authenticate(session, form.username, form.password)
    if user is None:
        count_failed_sign_in(request, form.username)
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
