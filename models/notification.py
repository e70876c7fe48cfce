from datetime import datetime
from enum import StrEnum

from sqlalchemy import Index
from sqlmodel import Field, SQLModel

from models.base import enum_field, utc_field


class NoticeKind(StrEnum):
    acknowledgement = "acknowledgement"
    new_task = "new_task"
    feedback_info = "feedback_info"
    critical_alert = "critical_alert"
    resolution = "resolution"
    reminder = "reminder"
    escalation = "escalation"
    digest = "digest"
    recurrence_alert = "recurrence_alert"
    customer_message = "customer_message"  # a customer replied by mail: told to staff
    notice_bounced = "notice_bounced"  # one of our mails came back: told to sales
    closed_without_answer = "closed_without_answer"  # to the customer who did not answer
    satisfaction_invitation = "satisfaction_invitation"  # to the customer, once per complaint
    low_satisfaction = "low_satisfaction"  # a score of 1 or 2: told to the quality managers
    customer_question = "customer_question"  # to the customer: what we wait for from them
    inquiry_answer = "inquiry_answer"  # to the customer: the answer to their inquiry
    mention = "mention"  # a colleague mentioned in an internal comment
    task_assigned = "task_assigned"  # a task handed to a colleague: told to them
    password_reset = "password_reset"  # noqa: S105 - a one-time password link, to the user
    review_task = "review_task"  # a contract review waits for a department's answer
    review_waiting = "review_waiting"  # a review waits for sales' decision or the GM's approval
    review_answer = "review_answer"  # to the customer: accepted, with conditions, or declined
    review_question = "review_question"  # to the customer: a department's question
    demand_notice = "demand_notice"  # an accepted contract's customer demand, to production
    contract_progress = "contract_progress"  # to the customer: a contract's deliveries so far


class NoticeStatus(StrEnum):
    pending = "pending"
    sending = "sending"
    sent = "sent"
    failed = "failed"
    unknown = "unknown"
    bounced = "bounced"  # sent, then a delivery report came back: the mail did not arrive
    to_call = "to_call"  # a phone notice: waiting for sales to reach the customer
    called = "called"  # a phone notice: sales reached the customer and told them


class NoticeChannel(StrEnum):
    email = "email"  # through the configured SMTP server; the URL is built at send time
    apprise = "apprise"  # a customer's extra target: the recipient is its Apprise URL
    phone = "phone"  # no address to send to: sales phones it (a call_customer task)


class NotificationBase(SQLModel):
    kind: NoticeKind = enum_field(NoticeKind)
    recipient: str = Field(max_length=500, description="Address or target the notice goes to.")
    channel: NoticeChannel = enum_field(NoticeChannel, NoticeChannel.email)
    subject: str = Field(max_length=300)
    status: NoticeStatus = enum_field(NoticeStatus, NoticeStatus.pending)
    attempts: int = 0
    last_error: str | None = Field(default=None, max_length=2000)
    created_at: datetime = utc_field(nullable=False)
    sent_at: datetime | None = utc_field()
    called_by: str | None = Field(
        default=None, max_length=200, description="Phone notices: who told the customer."
    )


class Notification(NotificationBase, table=True):
    """The notice ledger: one row per notice per recipient, written before it is sent."""

    __table_args__ = (Index("ix_notification_status_next_attempt_at", "status", "next_attempt_at"),)

    id: int | None = Field(default=None, primary_key=True)
    case_id: int | None = Field(
        default=None, foreign_key="case_file.id", index=True, description="None for digests."
    )
    dedupe_key: str = Field(max_length=300, unique=True)
    body_text: str = Field(description="As sent, with the customer's status token withheld.")
    body_html: str | None = None
    next_attempt_at: datetime | None = utc_field()
    lease_until: datetime | None = utc_field()
    message_id: str | None = Field(
        default=None, max_length=300, index=True, description="Our Message-ID header, for replies"
    )
    language: str | None = Field(
        default=None, max_length=35, description="Content-Language of its mail (customers')"
    )


class NotificationPublic(NotificationBase):
    id: int
    body_text: str
