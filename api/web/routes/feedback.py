"""Quality's page of praise and suggestions to read, each marked read by a person."""

from typing import Annotated

from fastapi import Path, Request, status
from fastapi.responses import RedirectResponse, Response

from api.deps import SessionDep, WriteSessionDep
from api.web.pages import flash, render
from api.web.routes import page_router
from api.web.session import WebActor, page_for
from workflow.feedback import list_feedback, mark_read
from workflow.rules import Action, Actor

router = page_router()
PAGE_SIZE = 100


@router.get("/feedback")
def feedback_page(
    request: Request, session: SessionDep, actor: Annotated[Actor, page_for(Action.read_feedback)]
) -> Response:
    unread = list_feedback(session, actor=actor, unread=True, limit=PAGE_SIZE, offset=0)
    return render(request, "feedback.html", {"title": "Feedback to read", "items": unread})


@router.post("/feedback/{reference}/read")
def mark_feedback_read(
    request: Request,
    reference: Annotated[str, Path(max_length=32)],
    session: WriteSessionDep,
    actor: WebActor,
) -> Response:
    mark_read(session, reference=reference, actor=actor)
    flash(request, f"{reference} marked read.")
    return RedirectResponse("/feedback", status_code=status.HTTP_303_SEE_OTHER)
