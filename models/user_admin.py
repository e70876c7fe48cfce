"""What admins send and get back when they manage staff accounts, the one-time password
links, and the log of every change to an account (accounts are not complaints: no history)."""

from datetime import datetime
from typing import Annotated, Any

from pydantic import EmailStr, StrictBool, StringConstraints
from sqlmodel import Field, SQLModel

from models.base import json_field, utc_field
from models.enums import Department, Role
from models.user import UserBase, UserPublic

USERNAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]*$"


class PasswordResetToken(SQLModel, table=True):
    """A one-time link to choose a password. The token itself is stored nowhere: it is an
    HMAC of ``nonce`` under the secret key, made again when the mail is sent, and the row keeps
    only its SHA-256 to find it by."""

    __tablename__ = "password_reset_token"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    token_hash: str = Field(
        max_length=64, unique=True, index=True, description="SHA-256 of the token"
    )
    nonce: str = Field(max_length=64)
    created_at: datetime = utc_field(nullable=False)
    expires_at: datetime = utc_field(nullable=False)
    used_at: datetime | None = utc_field()


class UserChange(SQLModel, table=True):
    """One change to a staff account: who, when, what (old and new), why. Append-only by use:
    nothing in the application updates or deletes a row."""

    __tablename__ = "user_change"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = utc_field(nullable=False, index=True)
    actor: str = Field(max_length=100)
    user_id: int = Field(foreign_key="user.id", index=True)
    action: str = Field(max_length=64)
    changes: dict[str, Any] = json_field()
    reason: str | None = Field(default=None, max_length=2_000)


class AccountCreate(UserBase):
    """A new staff account, without a password: they choose theirs through a one-time link."""

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "username": "tom",
                    "full_name": "Tom Technical",
                    "email": "tom@example.com",
                    "role": "technical",
                    "department": "technical",
                }
            ]
        }
    }

    username: Annotated[str, StringConstraints(pattern=USERNAME_PATTERN)] = Field(
        min_length=2, max_length=64, description="Letters, digits and . _ - (sign-in name)"
    )
    full_name: str = Field(min_length=1, max_length=200)


class AccountUpdate(SQLModel):
    """Only the fields given change."""

    model_config = {
        "json_schema_extra": {"examples": [{"active": False, "reason": "Left the company."}]}
    }

    full_name: str | None = Field(default=None, min_length=1, max_length=200)
    email: EmailStr | None = Field(default=None, max_length=254)
    role: Role | None = None
    department: Department | None = None
    active: StrictBool | None = None
    reason: str | None = Field(default=None, max_length=2_000)


class AccountPublic(UserPublic):
    is_active: bool
    created_at: datetime


class PasswordLinkSent(SQLModel):
    sent_to: EmailStr = Field(description="The address the one-time link was mailed to.")
    expires_at: datetime


class AccountCreated(SQLModel):
    account: AccountPublic
    password_link: PasswordLinkSent


class UserChangePublic(SQLModel):
    at: datetime
    actor: str
    action: str
    changes: dict[str, Any]
    reason: str | None
