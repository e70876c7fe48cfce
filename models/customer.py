from datetime import datetime

from email_validator import EmailNotValidError, validate_email
from pydantic import field_validator
from sqlmodel import Field, SQLModel

from models.base import json_field, utc_field

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
    email: str = Field(
        max_length=MAX_EMAIL_LENGTH,
        schema_extra={"examples": ["jane@acme.example"], "json_schema_extra": {"format": "email"}},
    )
    phone: str | None = Field(
        default=None, max_length=40, schema_extra={"examples": ["+49 30 1234"]}
    )
    address: str | None = Field(default=None, max_length=500)


class Customer(CustomerBase, table=True):
    id: int | None = Field(default=None, primary_key=True)
    notification_targets: list[str] = json_field(default_factory=list)
    created_at: datetime = utc_field(nullable=False)


class CustomerCreate(CustomerBase):
    email: str = Field(
        max_length=MAX_EMAIL_LENGTH,
        description="Stored and mailed with the domain in its ASCII form (IDNA: "
        "`jorg@bücher.example` becomes `jorg@xn--bcher-kva.example`). Refused with 422: a "
        "mailbox name (before @) that is not ASCII, and an address our mail sender would read "
        "as another one (an apostrophe, more than one `+`).",
        schema_extra={"examples": ["jane@acme.example"], "json_schema_extra": {"format": "email"}},
    )
    notification_targets: list[str] = Field(
        default_factory=list,
        max_length=5,
        description="Extra Apprise URLs; only schemes allowed in settings, no private hosts. "
        "The customer's e-mail address is always notified.",
    )

    @field_validator("email")
    @classmethod
    def _email_can_be_mailed(cls, email: str) -> str:
        return mailable_address(email)

    @field_validator("notification_targets")
    @classmethod
    def _targets_are_safe(cls, targets: list[str]) -> list[str]:
        from notifications.targets import validate_target

        return [validate_target(t) for t in targets]


class CustomerPublic(CustomerBase):
    id: int
    notification_targets: list[str]
