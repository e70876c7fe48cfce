"""Quality's decision on a related complaint, from the complaint page or the task page."""

from typing import Annotated

from fastapi import Form, Request, status
from fastapi.responses import RedirectResponse, Response

from api.deps import WriteSessionDep
from api.web.pages import flash
from api.web.routes import page_router
from api.web.session import page_for
from models.enums import LinkStatus
from models.recurrence import LinkReview
from workflow.related import review_related
from workflow.rules import Action, Actor

router = page_router()


@router.post("/complaints/{reference}/related/{other}")
def decide_related(
    request: Request,
    reference: str,
    other: str,
    session: WriteSessionDep,
    actor: Annotated[Actor, page_for(Action.review_related)],
    decision: Annotated[LinkStatus, Form(alias="status")],
    reason: Annotated[str, Form(min_length=3, max_length=2_000)],
    task_id: Annotated[int | None, Form(ge=1, le=2**62)] = None,
) -> Response:
    review = LinkReview(status=decision, reason=reason.strip())
    link = review_related(session, reference=reference, other=other, review=review, actor=actor)
    flash(request, f"Link to {link.reference} {link.link_status.value}.")
    back = f"/tasks/{task_id}" if task_id else f"/complaints/{reference}"
    return RedirectResponse(back, status_code=status.HTTP_303_SEE_OTHER)
