"""The account's "Away" page: the last day away and the colleague who stands in."""

from datetime import date
from typing import Annotated

from fastapi import Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlmodel import Session, col, select

from api.deps import SessionDep, WriteSessionDep
from api.web.pages import flash, render
from api.web.routes import page_router
from api.web.session import WebUser
from models.base import id_of
from models.user import AwayRequest, User
from workflow.away import set_away
from workflow.errors import InvalidInput

router = page_router()


def _colleagues(session: Session, user: User) -> list[User]:
    if user.department is None:
        return []
    return list(
        session.exec(
            select(User)
            .where(
                User.department == user.department,
                col(User.is_active).is_(True),
                User.id != user.id,
            )
            .order_by(col(User.full_name))
        )
    )


@router.get("/me/away")
def away_page(request: Request, session: SessionDep, user: WebUser) -> Response:
    context = {"title": "Away", "account": user, "colleagues": _colleagues(session, user)}
    return render(request, "away.html", context)


@router.post("/me/away")
def save_away(
    request: Request,
    session: WriteSessionDep,
    user: WebUser,
    until: Annotated[str, Form(max_length=10)] = "",
    deputy_id: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    try:
        body = AwayRequest(
            until=date.fromisoformat(until) if until else None,
            deputy_id=int(deputy_id) if deputy_id.isdigit() else None,
        )
        account = set_away(session, user_id=id_of(user), request=body)
    except InvalidInput as invalid:
        flash(request, f"Not saved: {invalid}.", "error")
    except ValueError:
        flash(request, "Not saved: give the last day away as a date.", "error")
    else:
        flash(
            request,
            f"Away until {account.away_until}; your deputy stands in."
            if account.away_until
            else "Welcome back: your tasks come to you again.",
        )
    return RedirectResponse("/me/away", status_code=303)
