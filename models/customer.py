from datetime import datetime

from pydantic import EmailStr, field_validator, model_validator
from sqlalchemy import Index, func, text
from sqlmodel import Field, SQLModel

from models.base import json_field, utc_field


class CustomerBase(SQLModel):
    name: str = Field(min_length=1, max_length=200, schema_extra={"examples": ["Jane Miller"]})
    company: str | None = Field(default=None, max_length=200, schema_extra={"examples": ["Acme"]})
    email: EmailStr | None = Field(
        default=None,
        max_length=254,
        description="Where acknowledgements and notices go. A customer without one (phone "
        "only) is told by sales, who record it.",
        schema_extra={"examples": ["jane@acme.example"]},
    )
    phone: str | None = Field(
        default=None, max_length=40, schema_extra={"examples": ["+49 30 1234"]}
    )
    address: str | None = Field(default=None, max_length=500)


class Customer(CustomerBase, table=True):
    # The same customer logged twice is one customer: found by address, whatever its case.
    __table_args__ = (Index("ix_customer_email_lower", func.lower(text("email"))),)

    id: int | None = Field(default=None, primary_key=True)
    notification_targets: list[str] = json_field(default_factory=list)
    created_at: datetime = utc_field(nullable=False)


class CustomerCreate(CustomerBase):
    notification_targets: list[str] = Field(
        default_factory=list,
        max_length=5,
        description="Extra Apprise URLs: only schemes allowed in settings; no port, password "
        "or query parameter but to, cc, bcc and name; the host must be public (checked again, "
        "resolved, when each notice is sent). The customer's e-mail address is always notified "
        "through the company's mail server.",
    )

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


class CustomerPublic(CustomerBase):
    id: int
    notification_targets: list[str]
