"""The company profile: one row naming the company customers deal with, on every customer
mail and page. Empty fields fall back to the settings (``CW_COMPANY_NAME``,
``CW_MAIL_FROM_NAME``), so a fresh install reads as before."""

import re
from datetime import datetime
from typing import Annotated
from urllib.parse import urlsplit

from pydantic import StringConstraints, field_validator
from sqlalchemy import CheckConstraint, Column, LargeBinary
from sqlmodel import Field, SQLModel

from models.base import utc_field

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
PROFILE_ID = 1  # the one row
# One line of text: no control characters (a display name goes into a mail header).
OneLine = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[^\x00-\x1f\x7f]*$")]


class CompanyProfileFields(SQLModel):
    name: OneLine = Field(default="", max_length=200, description="Empty: CW_COMPANY_NAME")
    address: str = Field(
        default="", max_length=500, description="Postal address, one line per address line"
    )
    phone: OneLine = Field(default="", max_length=50)
    email: OneLine = Field(
        default="", max_length=254, description="An e-mail address such as service@example.com"
    )
    website: OneLine = Field(
        default="", max_length=200, description="An address starting https:// (or http://)"
    )
    signature: str = Field(
        default="", max_length=1_000, description="Closing words above the contact details"
    )
    mail_display_name: OneLine = Field(
        default="",
        max_length=100,
        description="From: display name; empty: CW_MAIL_FROM_NAME, else the company's name",
    )


class CompanyProfile(CompanyProfileFields, table=True):
    __tablename__ = "company_profile"
    __table_args__ = (CheckConstraint("id = 1", name="one_row"),)

    id: int = Field(default=PROFILE_ID, primary_key=True)
    # A new random value on every change: each process compares it to decide whether its
    # cached copy is still current (a counter would repeat across databases).
    version: str = Field(default="initial", max_length=32)
    logo_content_type: str | None = Field(default=None, max_length=32)
    logo_sha256: str | None = Field(default=None, max_length=64)
    logo: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))
    updated_at: datetime | None = utc_field()
    updated_by: str | None = Field(default=None, max_length=100)


class CompanyProfileUpdate(CompanyProfileFields):
    """The whole profile as the admin wants it (PUT), with the reason for the change."""

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "name": "Acme Pumps GmbH",
                    "address": "Industriestr. 5\n12345 Musterstadt",
                    "phone": "+49 30 1234567",
                    "email": "service@acme.example",
                    "website": "https://acme.example",
                    "signature": "Kind regards,\nyour Acme customer service",
                    "mail_display_name": "Acme customer service",
                    "reason": "New address after the move",
                }
            ]
        }
    }

    reason: str = Field(min_length=3, max_length=2_000, description="Why: kept in the change log")

    @field_validator("email")
    @classmethod
    def _an_address(cls, value: str) -> str:
        if value and not EMAIL.match(value):
            raise ValueError("the e-mail must be an address such as service@example.com")
        return value

    @field_validator("website")
    @classmethod
    def _a_web_address(cls, value: str) -> str:
        parts = urlsplit(value)
        if value and (parts.scheme not in ("http", "https") or not parts.hostname):
            raise ValueError("the website must be an address starting https:// (or http://)")
        return value


class CompanyInUse(SQLModel):
    name: str
    mail_display_name: str


class CompanyProfilePublic(CompanyProfileFields):
    logo_url: str | None = Field(description="Where the logo is served; null without a logo")
    logo_content_type: str | None
    updated_at: datetime | None
    updated_by: str | None
    in_use: CompanyInUse = Field(description="What customers see, fallbacks applied")
