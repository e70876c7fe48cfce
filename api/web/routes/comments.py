"""Comments from the complaint page: the conversation's form."""

from typing import Annotated

from fastapi import Form, Path, Request
from fastapi.responses import RedirectResponse, Response

from api.deps import WriteSessionDep
from api.web.pages import flash
from api.web.routes import page_router
from api.web.session import page_for
from models.comment import MAX_COMMENT_CHARACTERS, CommentCreate
from workflow.comments import add_comment
from workflow.errors import InvalidInput
from workflow.rules import Action, Actor

router = page_router()


@router.post("/complaints/{reference}/comments")
def comment(
    request: Request,
    reference: Annotated[str, Path(max_length=32)],
    session: WriteSessionDep,
    actor: Annotated[Actor, page_for(Action.comment)],
    body: Annotated[str, Form(min_length=1, max_length=MAX_COMMENT_CHARACTERS)],
) -> Response:
    try:
        added = add_comment(
            session, reference=reference, data=CommentCreate(body=body), actor=actor
        )
    except InvalidInput as invalid:
        flash(request, f"Not posted: {invalid}. Your text: {body[:500]}", "error")
    else:
        told = ", ".join(f"@{name}" for name in added.mentions)
        flash(request, f"Comment posted{'; mailed ' + told if told else ''}.")
    return RedirectResponse(f"/complaints/{reference}#conversation", status_code=303)
