"""The customer's own page: one complaint, opened by the unguessable link in their mails.

It shows that complaint's status and the resolution as the customer was told it, nothing
internal, and lets the customer accept the resolution or say it does not solve the problem
(which reopens the complaint to quality), through the same rules as sales recording it.

The page is in the customer's language; ``?lang=`` shows it in another shipped language
(the page's choice only: the customer's record keeps its language).
"""

from typing import Annotated

from fastapi import File, Form, HTTPException, Path, Query, Request, UploadFile, status
from fastapi.responses import RedirectResponse, Response
from sqlmodel import Session

from api.deps import SessionDep, WriteSessionDep
from api.web.forms import validate
from api.web.pages import CustomerPage, flash, render
from api.web.routes import page_router
from api.web.session import OPENED_STATUS_PAGE
from models.base import id_of
from models.complaint import Complaint, CustomerResponse
from models.customer import Customer
from models.satisfaction import SatisfactionAnswer
from workflow.attachments import MAX_ATTACHMENTS, AttachmentRefused, NewAttachment, check_uploads
from workflow.closing import closing_facts
from workflow.complaints import get_complaint_by_status_token, record_customer_response
from workflow.config import get_settings
from workflow.customer_answers import MAX_ANSWER_CHARACTERS, customer_replied, open_question
from workflow.errors import RuleViolation
from workflow.languages import (
    SHIPPED_LANGUAGES,
    gettext_noop,
    language_name,
    shipped_language,
    translations,
)
from workflow.resolutions import latest_resolution
from workflow.rules import CUSTOMER, Actor, Status, available_actions
from workflow.satisfaction import rating_facts, rating_of, record_rating

router = page_router()
Token = Annotated[str, Path(min_length=20, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]

STATUS_FOR_CUSTOMERS = {
    Status.received: gettext_noop("Received: we are passing it to the people who will assess it."),
    Status.with_quality: gettext_noop("Our quality department is assessing it."),
    Status.with_sales: gettext_noop("Our answer is being finalised."),
    Status.approved: gettext_noop("Our answer is on its way to you."),
    Status.waiting_on_customer: gettext_noop(
        "We are waiting for information from you (see our mail)."
    ),
    Status.resolved: gettext_noop(
        "Resolved: please tell us below whether this solves the problem."
    ),
    Status.reopened: gettext_noop("Reopened: we are looking at it again."),
    Status.closed: gettext_noop("Closed."),
    Status.withdrawn: gettext_noop(
        "Withdrawn: this was logged by mistake; nothing more will happen on it."
    ),
    Status.duplicate: gettext_noop(
        "Closed: you told us about this problem already; we answer it under "
        "the other reference we sent you."
    ),
}


# The refusals a customer can meet when rating (workflow/rules/actions.py words them), marked
# for the catalogues so the 409 page says them in the customer's language.
RATING_REFUSALS = (
    gettext_noop("you can rate how we handled your complaint once it is closed"),
    gettext_noop("you have rated this complaint already: thank you"),
)
# How a complaint closed without the customer's answer is reopened, or why not (the rules).
REOPEN_REFUSALS = (
    gettext_noop(
        "this complaint was closed with your agreement and cannot be reopened: "
        "please tell us about the problem as a new complaint"
    ),
    gettext_noop(
        "the time to reopen this complaint has passed: "
        "please tell us about the problem as a new complaint"
    ),
)
# Why a photo sent with an answer was refused (workflow/attachments.py words them).
ATTACHMENT_REFUSALS = (
    gettext_noop("%(name)s is empty"),
    gettext_noop("%(name)s is %(size).1f MB; at most %(limit)d MB per file"),
    gettext_noop("%(name)s is not a photo (JPEG, PNG, WebP, HEIC) or a PDF"),
    gettext_noop("at most %(count)d attachments"),
)
THE_CUSTOMER = Actor(name="customer", role=CUSTOMER)
Language = Annotated[
    str | None,
    Query(max_length=35, description="Show the page in this shipped language (en, de, ...)"),
]


def page_language(customer: Customer, lang: str | None) -> str:
    """The language the page is shown in: the one asked for, else the customer's."""
    if lang is None:
        return shipped_language(customer.language)
    chosen = lang.replace("_", "-")
    if chosen not in SHIPPED_LANGUAGES:
        shipped = ", ".join(SHIPPED_LANGUAGES)
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_ENTITY,
            f"This page is shown in {shipped}; '{lang[:35]}' is not one of them.",
        )
    return chosen


def _complaint_and_language(
    request: Request, session: Session, token: str, lang: str | None
) -> tuple[Complaint, str]:
    """The complaint the status link opens, and the language its page is shown in (an error
    page after this is shown in it too)."""
    complaint = get_complaint_by_status_token(session, token)
    customer = session.get(Customer, complaint.customer_id)
    assert customer is not None
    language = page_language(customer, lang)
    request.state.customer_page = CustomerPage(language, f"/status/{token}?lang={language}")
    return complaint, language


def _back_to_status(token: str, language: str) -> Response:
    return RedirectResponse(
        f"/status/{token}?lang={language}", status_code=status.HTTP_303_SEE_OTHER
    )


def _remember_opened(request: Request, token: str) -> None:
    """This visitor may send photos with answers on this page (a few pages: a customer may
    have several complaints open in tabs)."""
    opened = [t for t in request.session.get(OPENED_STATUS_PAGE, []) if t != token]
    request.session[OPENED_STATUS_PAGE] = [*opened, token][-5:]


@router.get("/status/{token}")
def status_page(
    request: Request, token: Token, session: SessionDep, lang: Language = None
) -> Response:
    complaint, language = _complaint_and_language(request, session, token, lang)
    customer = session.get(Customer, complaint.customer_id)
    _remember_opened(request, token)
    title = translations(language).ugettext("Your complaint %(reference)s")
    # Only what the customer was sent: the latest resolution sales approved.
    resolution = latest_resolution(session, id_of(complaint), approved_only=True)
    return render(
        request,
        "customer_status.html",
        {
            "title": title % {"reference": complaint.reference},
            "language": language,
            "languages": [{"code": c, "name": language_name(c)} for c in SHIPPED_LANGUAGES],
            "complaint": complaint,
            "customer": customer,
            "status_text": STATUS_FOR_CUSTOMERS[complaint.status],
            "summary": resolution.customer_summary if resolution else None,
            "actions": available_actions(
                closing_facts(session, complaint, rating_facts(session, complaint)), THE_CUSTOMER
            ),
            "reopen_days": get_settings().reopen_window_days,
            "max_attachments": MAX_ATTACHMENTS,
            "rating": rating_of(session, id_of(complaint)),
            "question": open_question(session, complaint),
            "token": token,
            "customer_view": True,
        },
    )


@router.post("/status/{token}/answer")
def answer(
    request: Request,
    token: Token,
    session: WriteSessionDep,
    decision: Annotated[str, Form(pattern="^(accept|refuse)$")],
    comment: Annotated[str, Form(max_length=5_000)] = "",
    lang: Language = None,
) -> Response:
    complaint, language = _complaint_and_language(request, session, token, lang)
    words = translations(language).ugettext
    response, errors = validate(
        CustomerResponse,
        {"accepted": decision == "accept", "comment": comment.strip() or None},
    )
    if errors:
        flash(
            request,
            words("Please tell us in a few words why it does not solve the problem."),
            "error",
        )
    else:
        try:
            record_customer_response(
                session, reference=complaint.reference, response=response, actor=THE_CUSTOMER
            )
        except RuleViolation as refusal:
            raise RuleViolation(words(str(refusal))) from refusal
        flash(
            request,
            words("Thank you: your complaint is closed.")
            if response.accepted
            else words("Thank you: we have reopened your complaint and will come back to you."),
        )
    return _back_to_status(token, language)


@router.post("/status/{token}/rating")
def rate(
    request: Request,
    token: Token,
    session: WriteSessionDep,
    score: Annotated[int, Form(ge=1, le=5)],
    solved: Annotated[str, Form(pattern="^(yes|no)$")],
    comment: Annotated[str, Form(max_length=5_000)] = "",
    lang: Language = None,
) -> Response:
    """Once per complaint, once it is closed: a second rating is refused (409)."""
    complaint, language = _complaint_and_language(request, session, token, lang)
    words = translations(language).ugettext
    answer = SatisfactionAnswer(
        score=score, solved=solved == "yes", comment=comment.strip() or None
    )
    try:
        record_rating(session, reference=complaint.reference, answer=answer, actor=THE_CUSTOMER)
    except RuleViolation as refusal:
        raise RuleViolation(words(str(refusal))) from refusal
    flash(request, words("Thank you for rating how we handled your complaint."))
    return _back_to_status(token, language)


def _checked_photos(files: list[UploadFile] | None) -> list[NewAttachment]:
    """The files chosen (a file input left empty sends a part without a name)."""
    chosen = [f for f in files or [] if f.filename]
    return check_uploads([(f.filename or "attachment", f.file.read()) for f in chosen])


@router.post("/status/{token}/reply")
def reply(
    request: Request,
    token: Token,
    session: WriteSessionDep,
    answer: Annotated[str, Form(max_length=MAX_ANSWER_CHARACTERS)] = "",
    attachments: Annotated[list[UploadFile] | None, File()] = None,
    lang: Language = None,
) -> Response:
    """The customer's answer to what we asked, with photos: the clocks restart, the department
    is told. A refused file refuses the whole answer, so nothing is half kept."""
    complaint, language = _complaint_and_language(request, session, token, lang)
    words = translations(language).ugettext
    if not answer.strip():
        flash(request, words("Please write your answer before sending it."), "error")
        return _back_to_status(token, language)
    try:
        photos = _checked_photos(attachments)
    except AttachmentRefused as refused:
        message = words(refused.template) % refused.values
        flash(request, words("Nothing was sent: %(reason)s.") % {"reason": message}, "error")
        return _back_to_status(token, language)
    customer_replied(
        session,
        reference=complaint.reference,
        answer=answer.strip(),
        actor=THE_CUSTOMER,
        attachments=photos,
    )
    flash(request, words("Thank you: we have your answer and are working on your complaint again."))
    return _back_to_status(token, language)
