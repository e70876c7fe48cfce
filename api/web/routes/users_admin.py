"""The admins' users page: the accounts (a table on a desk, cards on a phone), a form to
create one, and per account a page to change it or mail a one-time password link."""

from typing import Annotated, Any

from fastapi import Path, Request, status
from fastapi.responses import RedirectResponse, Response
from sqlmodel import Session

from api.deps import SessionDep, WriteSessionDep
from api.web.forms import FieldErrors, validate
from api.web.pages import flash, render
from api.web.routes import page_router
from api.web.session import page_for
from models.enums import Department, Role
from models.user_admin import AccountCreate, AccountUpdate
from workflow.errors import RuleViolation
from workflow.rules import Action, Actor
from workflow.user_accounts import (
    create_account,
    get_account,
    list_accounts,
    send_new_password_link,
    update_account,
)
from workflow.user_log import changes_of

router = page_router()
Admin = Annotated[Actor, page_for(Action.manage_users)]
UserId = Annotated[int, Path(ge=1, le=2**62)]
CREATE_FIELDS = ("username", "full_name", "email", "role", "department")


async def _form(request: Request) -> dict[str, str]:
    form = await request.form()
    return {k: v.strip() for k, v in form.items() if isinstance(v, str)}


def _users_page(
    request: Request,
    session: Session,
    *,
    values: dict[str, Any] | None = None,
    errors: FieldErrors | None = None,
) -> Response:
    context = {
        "title": "Users",
        "accounts": list_accounts(session),
        "roles": list(Role),
        "departments": list(Department),
        "values": values or {},
        "errors": errors or {},
    }
    code = status.HTTP_422_UNPROCESSABLE_CONTENT if errors else status.HTTP_200_OK
    return render(request, "admin_users.html", context, status_code=code)


@router.get("/admin/users")
def users_page(request: Request, session: SessionDep, _: Admin) -> Response:
    return _users_page(request, session)


@router.post("/admin/users")
async def add_user(request: Request, session: WriteSessionDep, actor: Admin) -> Response:
    values = await _form(request)
    fields = {name: values.get(name) or None for name in CREATE_FIELDS}
    body, errors = validate(AccountCreate, fields)
    if errors:
        return _users_page(request, session, values=values, errors=errors)
    try:
        user, sent = create_account(session, actor=actor, fields=body)
    except RuleViolation as refused:
        session.rollback()
        errors = {"username": f"{refused}; choose another username"}
        return _users_page(request, session, values=values, errors=errors)
    flash(
        request,
        f"Account {user.username} created; a link to choose a password was mailed to "
        f"{sent.sent_to}.",
    )
    return RedirectResponse(f"/admin/users/{user.id}", status_code=status.HTTP_303_SEE_OTHER)


def _user_page(
    request: Request,
    session: Session,
    user_id: int,
    *,
    errors: FieldErrors | None = None,
    values: dict[str, Any] | None = None,
) -> Response:
    account = get_account(session, user_id)
    context = {
        "title": f"User {account.username}",
        "account": account,
        "changes": changes_of(session, user_id),
        "roles": list(Role),
        "departments": list(Department),
        "values": values or _values_of(account),
        "errors": errors or {},
    }
    code = status.HTTP_422_UNPROCESSABLE_CONTENT if errors else status.HTTP_200_OK
    return render(request, "admin_user.html", context, status_code=code)


def _values_of(account: Any) -> dict[str, Any]:
    return {
        "full_name": account.full_name,
        "email": account.email,
        "role": account.role.value,
        "department": account.department.value if account.department else "",
        "active": "yes" if account.is_active else "no",
    }


@router.get("/admin/users/{user_id}")
def user_page(request: Request, session: SessionDep, _: Admin, user_id: UserId) -> Response:
    return _user_page(request, session, user_id)


@router.post("/admin/users/{user_id}")
async def change_user(
    request: Request, session: WriteSessionDep, actor: Admin, user_id: UserId
) -> Response:
    values = await _form(request)
    fields = {
        "full_name": values.get("full_name") or None,
        "email": values.get("email") or None,
        "role": values.get("role") or None,
        "department": values.get("department") or None,
        "active": {"yes": True, "no": False}.get(values.get("active", "")),
        "reason": values.get("reason") or None,
    }
    body, errors = validate(AccountUpdate, fields)
    if not errors:
        try:
            account = update_account(session, actor=actor, user_id=user_id, update=body)
        except RuleViolation as refused:
            session.rollback()
            errors = {"form": f"Not saved: {refused}."}
    if errors:
        return _user_page(request, session, user_id, errors=errors, values=values)
    flash(request, f"Account {account.username} saved.")
    return RedirectResponse(f"/admin/users/{user_id}", status_code=status.HTTP_303_SEE_OTHER)


@router.post("/admin/users/{user_id}/password-reset")
def mail_password_link(
    request: Request, session: WriteSessionDep, actor: Admin, user_id: UserId
) -> Response:
    try:
        sent = send_new_password_link(session, actor=actor, user_id=user_id)
    except RuleViolation as refused:
        flash(request, f"No link sent: {refused}.", "error")
    else:
        flash(request, f"A one-time password link was mailed to {sent.sent_to}.")
    return RedirectResponse(f"/admin/users/{user_id}", status_code=status.HTTP_303_SEE_OTHER)
