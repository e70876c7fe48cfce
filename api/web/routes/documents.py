"""The documents from the pages: the dossier and 8D buttons on a complaint's page, the
review form and order confirmation on a review's page, the register buttons on the managers'
pages and the search page. Same services and rules as the API's routes."""

from typing import Annotated

from fastapi import Depends
from fastapi.responses import Response

from api.deps import SessionDep
from api.routes.documents import (
    PDF,
    RegisterFormat,
    RegisterQuery,
    attachment,
    register_file,
    register_query,
)
from api.web.routes import page_router
from api.web.session import page_for
from workflow.documents.dossier import dossier_pdf, eight_d_pdf
from workflow.documents.register import complaint_register
from workflow.documents.review_confirmation import confirmation_pdf
from workflow.documents.review_form import review_form_pdf
from workflow.rules import Action, Actor

router = page_router()


@router.get("/complaints/{reference}/dossier.pdf")
def dossier_file(
    reference: str, session: SessionDep, actor: Annotated[Actor, page_for(Action.read_dossier)]
) -> Response:
    return attachment(dossier_pdf(session, reference, actor), PDF, f"{reference}-dossier.pdf")


@router.get("/complaints/{reference}/8d.pdf")
def eight_d_file(
    reference: str, session: SessionDep, actor: Annotated[Actor, page_for(Action.read_dossier)]
) -> Response:
    return attachment(eight_d_pdf(session, reference, actor), PDF, f"{reference}-8D.pdf")


@router.get("/reviews/{reference}/form.pdf")
def review_form_file(
    reference: str, session: SessionDep, actor: Annotated[Actor, page_for(Action.read_reviews)]
) -> Response:
    return attachment(review_form_pdf(session, reference, actor), PDF, f"{reference}-form.pdf")


@router.get("/reviews/{reference}/confirmation.pdf")
def review_confirmation_file(
    reference: str, session: SessionDep, actor: Annotated[Actor, page_for(Action.read_reviews)]
) -> Response:
    pdf = confirmation_pdf(session, reference, actor)
    return attachment(pdf, PDF, f"{reference}-confirmation.pdf")


@router.get("/register")
def register_download(
    session: SessionDep,
    actor: Annotated[Actor, page_for(Action.read_register)],
    query: Annotated[RegisterQuery, Depends(register_query)],
) -> Response:
    wanted = RegisterFormat.pdf if query.format is RegisterFormat.json else query.format
    return register_file(complaint_register(session, query.filters), wanted, actor)
