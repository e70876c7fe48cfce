"""The page a one-time password link opens (no sign-in): choose a password, once.

An unknown, used or expired link gets the same page, and each such try counts against the
sign-in limits of the address (``api/ratelimit.py``), so tokens cannot be guessed in bulk.
"""

from typing import Annotated

from fastapi import Form, Path, Request, status
from fastapi.responses import RedirectResponse, Response

from api.deps import SessionDep, WriteSessionDep
from api.ratelimit import sign_in_attempt
from api.web.pages import flash, render
from api.web.routes import page_router
from workflow.errors import InvalidInput
from workflow.password_links import LinkNotUsable, set_password_by_link, user_of_link
from workflow.passwords import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH

router = page_router()
Token = Annotated[str, Path(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9_-]+$")]
LIMIT_KEY = "password-link"  # the "username" the tries of links are counted under


def _unusable(request: Request) -> Response:
    return render(
        request,
        "password_reset.html",
        {"title": "Link does not work", "unusable": True},
        status_code=status.HTTP_404_NOT_FOUND,
    )


def _form_page(request: Request, username: str, errors: dict[str, str] | None = None) -> Response:
    context = {
        "title": "Choose your password",
        "username": username,
        "min_length": MIN_PASSWORD_LENGTH,
        "errors": errors or {},
    }
    code = status.HTTP_422_UNPROCESSABLE_CONTENT if errors else status.HTTP_200_OK
    return render(request, "password_reset.html", context, status_code=code)


@router.get("/password-reset/{token}")
def password_page(request: Request, session: SessionDep, token: Token) -> Response:
    with sign_in_attempt(request, LIMIT_KEY) as attempt:
        try:
            user = user_of_link(session, token)
        except LinkNotUsable:
            return _unusable(request)
        attempt.succeeded = True
    return _form_page(request, user.username)


@router.post("/password-reset/{token}")
def set_password(
    request: Request,
    session: WriteSessionDep,
    token: Token,
    password: Annotated[str, Form(max_length=MAX_PASSWORD_LENGTH)],
    repeat: Annotated[str, Form(max_length=MAX_PASSWORD_LENGTH)],
) -> Response:
    with sign_in_attempt(request, LIMIT_KEY) as attempt:
        try:
            user = user_of_link(session, token)
        except LinkNotUsable:
            return _unusable(request)
        attempt.succeeded = True
    if password != repeat:
        return _form_page(request, user.username, {"repeat": "the two passwords differ"})
    try:
        set_password_by_link(session, token=token, password=password)
    except InvalidInput as problem:
        session.rollback()
        return _form_page(request, user.username, {"password": str(problem)})
    except LinkNotUsable:
        return _unusable(request)
    request.session.clear()
    flash(request, "Your password is saved. Sign in with it.")
    return RedirectResponse("/login", status_code=status.HTTP_303_SEE_OTHER)
