from datetime import datetime

from pydantic import EmailStr, StrictBool
from sqlmodel import Field, SQLModel

from models.base import enum_field, utc_field
from models.enums import Department, Role


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


class UserCreate(UserBase):
    password: str = Field(min_length=4, max_length=128)


class UserPublic(UserBase):
    id: int
    digest_enabled: bool


class UserPreferences(SQLModel):
    digest_enabled: StrictBool = Field(description="Receive the daily digest (managers).")
