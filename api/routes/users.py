"""Staff accounts, for admins: list, create (a one-time link to choose the password is
mailed), change, and send a new password link."""

from typing import Annotated

from fastapi import APIRouter, Path, Query, status

from api.deps import SessionDep, WriteSessionDep, allowed
from models.enums import Department, Role
from models.user import User
from models.user_admin import (
    AccountCreate,
    AccountCreated,
    AccountPublic,
    AccountUpdate,
    PasswordLinkSent,
    UserChangePublic,
)
from workflow.password_links import LinkSent
from workflow.rules import Action
from workflow.transitions import Actor
from workflow.user_accounts import (
    create_account,
    get_account,
    list_accounts,
    send_new_password_link,
    update_account,
)
from workflow.user_log import changes_of

router = APIRouter(prefix="/admin/users", tags=["admin"])
UserId = Annotated[int, Path(ge=1, le=2**62, description="The user's id")]
Admin = Annotated[Actor, allowed(Action.manage_users)]


def _public(user: User) -> AccountPublic:
    return AccountPublic.model_validate(user, from_attributes=True)


def _sent(sent: LinkSent) -> PasswordLinkSent:
    return PasswordLinkSent(sent_to=sent.sent_to, expires_at=sent.expires_at)


@router.get(
    "",
    summary="List staff accounts",
    description="Admins. Filter by `active`, `department` and `role`; ordered by username.",
)
def list_users(
    session: SessionDep,
    _: Admin,
    active: Annotated[bool | None, Query(description="Only active (true) or not")] = None,
    department: Department | None = None,
    role: Role | None = None,
) -> list[AccountPublic]:
    users = list_accounts(session, active=active, department=department, role=role)
    return [_public(u) for u in users]


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    summary="Create a staff account",
    description="Admins. No password is given: a one-time link to choose one is mailed to the "
    "new user's address (valid `CW_PASSWORD_LINK_HOURS`, 24 by default); the answer says "
    "where it was sent. The creation is in the account's change log.",
    responses={409: {"description": "The username is taken"}},
)
def create_user(body: AccountCreate, session: WriteSessionDep, actor: Admin) -> AccountCreated:
    user, sent = create_account(session, actor=actor, fields=body)
    return AccountCreated(account=_public(user), password_link=_sent(sent))


@router.get(
    "/{user_id}",
    summary="One staff account",
    description="Admins. The account as stored (never its password).",
    responses={404: {"description": "No such user"}},
)
def read_user(user_id: UserId, session: SessionDep, _: Admin) -> AccountPublic:
    return _public(get_account(session, user_id))


@router.get(
    "/{user_id}/changes",
    summary="The change log of a staff account",
    description="Admins. Newest first: who changed what (old and new), when and why.",
    responses={404: {"description": "No such user"}},
)
def read_user_changes(user_id: UserId, session: SessionDep, _: Admin) -> list[UserChangePublic]:
    get_account(session, user_id)
    return [
        UserChangePublic.model_validate(c, from_attributes=True)
        for c in changes_of(session, user_id)
    ]


@router.patch(
    "/{user_id}",
    summary="Change a staff account",
    description="Admins. Only the fields given change: role, department, full name, e-mail, "
    "active. Deactivating ends every session of the user at once. An admin cannot deactivate "
    "or demote themself, and the last active admin stays one (409).",
    responses={
        404: {"description": "No such user"},
        409: {"description": "Yourself, or the last active admin"},
    },
)
def change_user(
    user_id: UserId, body: AccountUpdate, session: WriteSessionDep, actor: Admin
) -> AccountPublic:
    return _public(update_account(session, actor=actor, user_id=user_id, update=body))


@router.post(
    "/{user_id}/password-reset",
    summary="Mail a one-time password link",
    description="Admins. A link to choose a new password is mailed to the user's address; "
    "links sent before stop working. The answer says where it went; the link itself is only "
    "in the mail.",
    responses={
        404: {"description": "No such user"},
        409: {"description": "The account is deactivated"},
    },
)
def send_password_link(user_id: UserId, session: WriteSessionDep, actor: Admin) -> PasswordLinkSent:
    return _sent(send_new_password_link(session, actor=actor, user_id=user_id))
