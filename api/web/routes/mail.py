"""Sales' page of the mails held for them: a reply naming a complaint from someone who is not
its customer, attached to it or dropped, each with a reason."""

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated

from fastapi import Form, Path, Request, status
from fastapi.responses import RedirectResponse, Response

from api.deps import SessionDep, WriteSessionDep
from api.web.pages import flash, render
from api.web.routes import page_router
from api.web.session import page_for
from models.complaint import Complaint
from models.mail import InboundMail
from workflow.mail_parse import parse_mail
from workflow.mail_replies import attach_held_mail, drop_held_mail, held_mails
from workflow.rules import Action, Actor

router = page_router()
MailId = Annotated[int, Path(ge=1, le=2**62)]
Reason = Annotated[str, Form(min_length=3, max_length=2_000)]
PREVIEW_CHARACTERS = 2_000


@dataclass(frozen=True)
class HeldMailRow:
    id: int
    sender: str
    subject: str
    reference: str
    reason: str | None
    taken_at: datetime
    text: str


def _row(session: SessionDep, mail: InboundMail) -> HeldMailRow:
    complaint = session.get(Complaint, mail.complaint_id)
    assert complaint is not None
    assert mail.id is not None
    text = parse_mail(mail.raw).text if mail.raw else ""
    return HeldMailRow(
        mail.id,
        mail.sender,
        mail.subject,
        complaint.reference,
        mail.reason,
        mail.taken_at,
        text[:PREVIEW_CHARACTERS],
    )


@router.get("/mail/held")
def held_mail_page(
    request: Request,
    session: SessionDep,
    _: Annotated[Actor, page_for(Action.handle_held_mail)],
) -> Response:
    rows = [_row(session, mail) for mail in held_mails(session)]
    return render(request, "held_mail.html", {"title": "Mails held for sales", "mails": rows})


def _back() -> Response:
    return RedirectResponse("/mail/held", status_code=status.HTTP_303_SEE_OTHER)


@router.post("/mail/held/{mail_id}/attach")
def attach_page(
    request: Request,
    mail_id: MailId,
    session: WriteSessionDep,
    actor: Annotated[Actor, page_for(Action.handle_held_mail)],
    reason: Reason,
) -> Response:
    attach_held_mail(session, mail_id=mail_id, actor=actor, reason=reason)
    flash(request, "Added to the complaint as the customer's message; the department is told.")
    return _back()


@router.post("/mail/held/{mail_id}/drop")
def drop_page(
    request: Request,
    mail_id: MailId,
    session: WriteSessionDep,
    actor: Annotated[Actor, page_for(Action.handle_held_mail)],
    reason: Reason,
) -> Response:
    drop_held_mail(session, mail_id=mail_id, actor=actor, reason=reason)
    flash(request, "Dropped; the complaint's history says who dropped it and why.")
    return _back()
