from datetime import date, datetime

from pydantic import EmailStr, StrictBool, ValidationInfo, field_validator
from sqlmodel import Field, SQLModel

from models.base import enum_field, utc_field
from models.enums import Department, Role
from workflow.passwords import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH, password_problem


class UserBase(SQLModel):
    username: str = Field(min_length=2, max_length=64, unique=True, index=True)
    full_name: str = Field(max_length=200)
    email: EmailStr = Field(max_length=254)
    department: Department | None = enum_field(Department, None)
    role: Role = enum_field(Role)


class User(UserBase, table=True):
    id: int | None = Field(default=None, primary_key=True)
    hashed_password: str = Field(max_length=255)
    is_active: bool = True
    digest_enabled: bool = True
    created_at: datetime = utc_field(nullable=False)
    # Away through this day: tasks assigned to them go to their deputy, who also gets their
    # reminders and may work their claimed tasks (rules/assignment.py).
    away_until: date | None = None
    deputy_id: int | None = Field(default=None, foreign_key="user.id")


class WebSession(SQLModel, table=True):
    """A sign-in to the web pages; the cookie carries its id, so signing out ends it here."""

    __tablename__ = "web_session"

    id: str = Field(primary_key=True, max_length=64, description="SHA-256 of the cookie's id")
    user_id: int = Field(foreign_key="user.id", index=True)
    created_at: datetime = utc_field(nullable=False)
    expires_at: datetime = utc_field(nullable=False)
    revoked_at: datetime | None = utc_field()


class UserCreate(UserBase):
    password: str = Field(
        min_length=MIN_PASSWORD_LENGTH,
        max_length=MAX_PASSWORD_LENGTH,
        description=f"At least {MIN_PASSWORD_LENGTH} characters; not a common password, "
        "not containing the username.",
    )

    @field_validator("password")
    @classmethod
    def _password_is_not_guessable(cls, password: str, info: ValidationInfo) -> str:
        problem = password_problem(password, username=str(info.data.get("username") or ""))
        if problem:
            raise ValueError(problem)
        return password


class UserPublic(UserBase):
    id: int
    digest_enabled: bool
    away_until: date | None = None
    deputy_id: int | None = None


class AwayRequest(SQLModel):
    """Away through a day, with a colleague who stands in; ``until: null`` is back."""

    model_config = {"json_schema_extra": {"examples": [{"until": "2026-12-24", "deputy_id": 3}]}}

    until: date | None = Field(description="The last day away; null: back now.")
    deputy_id: int | None = Field(
        default=None,
        ge=1,
        le=2**62,
        description="Who stands in: works in your department and is not away (else 422).",
    )


class UserPreferences(SQLModel):
    digest_enabled: StrictBool = Field(description="Receive the daily digest (managers).")
