"""Mail read into the intake: each mail taken once, and the customers' replies kept."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Column, LargeBinary
from sqlmodel import Field, SQLModel

from models.base import enum_field, utc_field


class MailOutcome(StrEnum):
    """What the intake made of a mail."""

    complaint = "complaint"  # a new complaint
    reply = "reply"  # a customer message on an existing complaint
    held = "held"  # a reply from someone who is not the complaint's customer: sales decide
    robot = "robot"  # auto-reply, mailing list, delivery report: nothing made, never answered
    bounce = "bounce"  # a delivery report on one of our notices: that notice marked bounced
    refused = "refused"  # could not be taken (no sender, a refused attachment): nothing made
    dropped = "dropped"  # held, then dropped by sales


class InboundMail(SQLModel, table=True):
    """One row per mail taken: ``message_key`` is unique, so a mail read twice (a crash
    between our commit and flagging it on the server) is found done the second time."""

    __tablename__ = "inbound_mail"

    id: int | None = Field(default=None, primary_key=True)
    message_key: str = Field(
        max_length=300, unique=True, description="The Message-ID, or sha256:<hash of the mail>"
    )
    sender: str = Field(default="", max_length=320)
    subject: str = Field(default="", max_length=500)
    outcome: MailOutcome = enum_field(MailOutcome)
    reason: str | None = Field(default=None, max_length=500)
    complaint_id: int | None = Field(default=None, foreign_key="complaint.id", index=True)
    content_language: str | None = Field(default=None, max_length=35)
    taken_at: datetime = utc_field(nullable=False)
    raw: bytes | None = Field(
        default=None,
        sa_column=Column(LargeBinary, nullable=True),
        description="Kept only for a held mail, so sales can still attach it.",
    )


class CustomerMessage(SQLModel, table=True):
    """A customer's mail added to their complaint (a reply to one of our notices)."""

    __tablename__ = "customer_message"

    id: int | None = Field(default=None, primary_key=True)
    complaint_id: int = Field(foreign_key="complaint.id", index=True)
    inbound_mail_id: int = Field(foreign_key="inbound_mail.id", unique=True)
    sender: str = Field(max_length=320)
    subject: str = Field(default="", max_length=500)
    body: str = Field(max_length=20_000)
    received_at: datetime = utc_field(nullable=False)


class CustomerMessagePublic(SQLModel):
    sender: str
    subject: str
    body: str
    received_at: datetime
