"""Sign in, sign out, and the home page each role lands on."""

from typing import Annotated

from fastapi import Form, Request, status
from fastapi.responses import RedirectResponse, Response

from api.deps import SessionDep
from api.ratelimit import sign_in_attempt
from api.web.pages import render
from api.web.routes import page_router
from api.web.session import WebUser, sign_in, sign_out
from workflow.rules import Action, Role, may
from workflow.security import authenticate

router = page_router()
WRONG_PASSWORD = "Wrong username or password."  # noqa: S105 - a message, not a secret


def _safe_next(target: str | None) -> str:
    """Only a path on this site (never //host or a scheme): no open redirect."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"


# Where each person lands: the first page of their work the rules let them open.
HOMES = (
    (Action.read_overdue, "/overdue"),
    (Action.log_complaint, "/complaints?mine=1"),
    (Action.read_task_queue, "/queue"),
)


def home_of(role: Role) -> str:
    return next((page for action, page in HOMES if may(role, action)), "/complaints")


@router.get("/")
def home(user: WebUser) -> RedirectResponse:
    return RedirectResponse(home_of(user.role), status_code=status.HTTP_303_SEE_OTHER)


@router.get("/login")
def login_page(request: Request, next: str | None = None) -> Response:
    return render(request, "login.html", {"next": _safe_next(next)})


@router.post("/login")
def login(
    request: Request,
    session: SessionDep,
    username: Annotated[str, Form(max_length=64)],
    password: Annotated[str, Form(max_length=128)],
    next: Annotated[str, Form(max_length=500)] = "/",
) -> Response:
    with sign_in_attempt(request, username) as attempt:
        user = authenticate(session, username, password)
        attempt.succeeded = user is not None
    if user is None:
        return render(
            request,
            "login.html",
            {
                "next": _safe_next(next),
                "username": username,
                "error": WRONG_PASSWORD,
            },
            status_code=status.HTTP_401_UNAUTHORIZED,
        )
    sign_in(request, user)
    target = _safe_next(next)
    return RedirectResponse(
        home_of(user.role) if target == "/" else target, status_code=status.HTTP_303_SEE_OTHER
    )


@router.post("/logout")
def logout(request: Request) -> RedirectResponse:
    sign_out(request)
    return RedirectResponse("/login", status_code=status.HTTP_303_SEE_OTHER)
