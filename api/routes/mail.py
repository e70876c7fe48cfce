"""Mails held for sales: a reply naming a complaint, from someone who is not its customer."""

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Path
from sqlmodel import Field, SQLModel

from api.deps import SessionDep, allowed
from models.complaint import Complaint
from models.mail import CustomerMessagePublic
from workflow.mail_replies import attach_held_mail, drop_held_mail, held_mails
from workflow.rules import Action
from workflow.transitions import Actor

router = APIRouter(prefix="/mail", tags=["mail"])
MailId = Annotated[int, Path(ge=1, le=2**62)]


class HeldMail(SQLModel):
    id: int
    sender: str
    subject: str
    complaint_reference: str
    reason: str | None
    taken_at: datetime


class Decision(SQLModel):
    reason: str = Field(
        min_length=3,
        max_length=2_000,
        schema_extra={"examples": ["Called the customer: the sender is their buyer."]},
    )


class Dropped(SQLModel):
    id: int
    outcome: str
    reason: str | None


@router.get(
    "/held",
    summary="Replies held for sales",
    description="Mails that name a complaint (its reference, or a reply to one of our mails) "
    "but come from someone other than its customer. Sales attach or drop each.",
)
def list_held_mails(
    session: SessionDep, _: Annotated[Actor, allowed(Action.handle_held_mail)]
) -> list[HeldMail]:
    held = []
    for mail in held_mails(session):
        complaint = session.get(Complaint, mail.complaint_id)
        assert complaint is not None
        assert mail.id is not None
        held.append(
            HeldMail(
                id=mail.id,
                sender=mail.sender,
                subject=mail.subject,
                complaint_reference=complaint.reference,
                reason=mail.reason,
                taken_at=mail.taken_at,
            )
        )
    return held


@router.post(
    "/held/{mail_id}/attach",
    summary="Add a held mail to its complaint",
    description="As if the customer had sent it: a message on the complaint with its "
    "attachments, the department told; the decision and its reason are in the history.",
    responses={404: {"description": "No such held mail"}, 409: {"description": "Not held"}},
)
def attach(
    mail_id: MailId,
    body: Decision,
    session: SessionDep,
    actor: Annotated[Actor, allowed(Action.handle_held_mail)],
) -> CustomerMessagePublic:
    message = attach_held_mail(session, mail_id=mail_id, actor=actor, reason=body.reason)
    return CustomerMessagePublic.model_validate(message, from_attributes=True)


@router.post(
    "/held/{mail_id}/drop",
    summary="Drop a held mail",
    description="It is not added to the complaint; who dropped it and why is in its history.",
    responses={404: {"description": "No such held mail"}, 409: {"description": "Not held"}},
)
def drop(
    mail_id: MailId,
    body: Decision,
    session: SessionDep,
    actor: Annotated[Actor, allowed(Action.handle_held_mail)],
) -> Dropped:
    mail = drop_held_mail(session, mail_id=mail_id, actor=actor, reason=body.reason)
    assert mail.id is not None
    return Dropped(id=mail.id, outcome=mail.outcome.value, reason=mail.reason)
