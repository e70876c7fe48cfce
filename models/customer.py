from datetime import datetime

from email_validator import EmailNotValidError, validate_email
from pydantic import field_validator, model_validator
from sqlalchemy import Index, func, text
from sqlmodel import Field, SQLModel

from models.base import json_field, utc_field
from workflow.languages import (
    MAX_TAG_LENGTH,
    default_language,
    default_time_zone,
    normalise_language,
    validate_time_zone,
)

MAX_EMAIL_LENGTH = 254
NON_ASCII_MAILBOX = (
    "the part before @ must be plain ASCII (letters a-z, digits and . _ - +): our mail "
    "server connection cannot deliver to internationalised mailbox names"
)
MISREAD_ADDRESS = (
    "our mail system cannot mail this address exactly as written (it misreads an apostrophe "
    "or more than one + in an address): give another address"
)


def _read_by_apprise_as(address: str) -> list[tuple[str, str]]:
    """The recipients (name, address) Apprise's e-mail plugin takes from ``to=address``."""
    from apprise.utils.parse import is_email, parse_emails

    found = [is_email(part) for part in parse_emails(address)]
    return [(r["name"], r["full_email"]) for r in found if r]


def mailable_address(address: str) -> str:
    """``address`` as it is mailed: the domain in its ASCII (IDNA) form, ``jorg@bücher.example``
    becoming ``jorg@xn--bcher-kva.example``. ValueError for an address that can never be
    mailed through our sender: a non-ASCII mailbox name needs SMTPUTF8, which Apprise's
    e-mail plugin does not speak, and some addresses its parser reads as another one."""
    try:
        checked = validate_email(address, check_deliverability=False)
    except EmailNotValidError as exc:
        raise ValueError(str(exc)) from exc
    if checked.ascii_email is None:
        raise ValueError(NON_ASCII_MAILBOX)
    if len(checked.ascii_email) > MAX_EMAIL_LENGTH:
        raise ValueError(f"the address is over {MAX_EMAIL_LENGTH} characters once mailed")
    if _read_by_apprise_as(checked.ascii_email) != [("", checked.ascii_email)]:
        raise ValueError(MISREAD_ADDRESS)
    return checked.ascii_email


class CustomerBase(SQLModel):
    name: str = Field(min_length=1, max_length=200, schema_extra={"examples": ["Jane Miller"]})
    company: str | None = Field(default=None, max_length=200, schema_extra={"examples": ["Acme"]})
    # A plain string here: EmailStr would turn a stored IDNA domain back into Unicode.
    email: str | None = Field(
        default=None,
        max_length=MAX_EMAIL_LENGTH,
        description="Where acknowledgements and notices go. A customer without one (phone "
        "only) is told by sales, who record it.",
        schema_extra={"examples": ["jane@acme.example"], "json_schema_extra": {"format": "email"}},
    )
    phone: str | None = Field(
        default=None, max_length=40, schema_extra={"examples": ["+49 30 1234"]}
    )
    address: str | None = Field(default=None, max_length=500)
    language: str = Field(
        default_factory=default_language,
        max_length=MAX_TAG_LENGTH,
        description="BCP 47 tag the customer is written to in (`de`, `zh-Hans`); mails and the "
        "status page use the closest shipped language (en, de, fr, es, zh-Hans). Default: "
        "the company's (CW_DEFAULT_LANGUAGE).",
        schema_extra={"examples": ["de"]},
    )
    time_zone: str = Field(
        default_factory=default_time_zone,
        max_length=64,
        description="IANA time zone the customer's dates are written in. Default: the "
        "company's (CW_BUSINESS_TIMEZONE).",
        schema_extra={"examples": ["Europe/Berlin"]},
    )


class Customer(CustomerBase, table=True):
    # The same customer logged twice is one customer: found by address, whatever its case.
    __table_args__ = (Index("ix_customer_email_lower", func.lower(text("email"))),)

    id: int | None = Field(default=None, primary_key=True)
    notification_targets: list[str] = json_field(default_factory=list)
    created_at: datetime = utc_field(nullable=False)
    erased_at: datetime | None = utc_field()


class CustomerCreate(CustomerBase):
    email: str | None = Field(
        default=None,
        max_length=MAX_EMAIL_LENGTH,
        description="Where acknowledgements and notices go; give it or `phone` (sales then "
        "acknowledge the customer themselves and record it). "
        "Stored and mailed with the domain in its ASCII form (IDNA: "
        "`jorg@bücher.example` becomes `jorg@xn--bcher-kva.example`). Refused with 422: a "
        "mailbox name (before @) that is not ASCII, and an address our mail sender would read "
        "as another one (an apostrophe, more than one `+`).",
        schema_extra={"examples": ["jane@acme.example"], "json_schema_extra": {"format": "email"}},
    )
    notification_targets: list[str] = Field(
        default_factory=list,
        max_length=5,
        description="Extra Apprise URLs: only schemes allowed in settings; no port, password "
        "or query parameter but to, cc, bcc and name; the host must be public (checked again, "
        "resolved, when each notice is sent). The customer's e-mail address is always notified "
        "through the company's mail server.",
    )

    @field_validator("email")
    @classmethod
    def _email_can_be_mailed(cls, email: str | None) -> str | None:
        return mailable_address(email) if email else None

    @field_validator("language")
    @classmethod
    def _known_language(cls, language: str) -> str:
        return normalise_language(language)

    @field_validator("time_zone")
    @classmethod
    def _known_time_zone(cls, time_zone: str) -> str:
        return validate_time_zone(time_zone)

    @field_validator("notification_targets")
    @classmethod
    def _targets_are_safe(cls, targets: list[str]) -> list[str]:
        from notifications.targets import validate_target

        return [validate_target(t) for t in targets]

    @model_validator(mode="after")
    def _reachable(self) -> "CustomerCreate":
        if not self.email and not (self.phone or "").strip():
            raise ValueError("give the customer's e-mail address or phone number")
        return self


class CustomerUpdate(SQLModel):
    """The fields sales change, each left out when it stays; the reason goes to the history."""

    model_config = {"extra": "forbid"}

    name: str | None = Field(default=None, min_length=1, max_length=200)
    company: str | None = Field(default=None, max_length=200)
    email: str | None = Field(
        default=None,
        max_length=MAX_EMAIL_LENGTH,
        description="Checked as at intake; an address another customer has is refused (409).",
    )
    phone: str | None = Field(default=None, max_length=40)
    address: str | None = Field(default=None, max_length=500)
    language: str | None = Field(default=None, max_length=MAX_TAG_LENGTH)
    time_zone: str | None = Field(default=None, max_length=64)
    reason: str = Field(
        min_length=5,
        max_length=500,
        description="Why, for the history of each of the customer's complaints.",
        schema_extra={"examples": ["Customer asked to be written to in German"]},
    )

    @field_validator("email")
    @classmethod
    def _email_can_be_mailed(cls, email: str | None) -> str | None:
        return mailable_address(email) if email else email

    @field_validator("language")
    @classmethod
    def _known_language(cls, language: str | None) -> str | None:
        return normalise_language(language) if language else language

    @field_validator("time_zone")
    @classmethod
    def _known_time_zone(cls, time_zone: str | None) -> str | None:
        return validate_time_zone(time_zone) if time_zone else time_zone


class CustomerPublic(CustomerBase):
    id: int
    notification_targets: list[str]
    erased_at: datetime | None = Field(
        default=None, description="When the customer's personal data was erased on request."
    )
