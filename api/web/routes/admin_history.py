"""The admin area's history check: a button that verifies the whole tamper-evident history
(the same ``verify_history`` as ``GET /api/v1/admin/history/verify``) and shows what it found."""

from typing import Annotated

from fastapi import Request
from fastapi.responses import Response

from api.web.pages import render
from api.web.routes import page_router
from api.web.session import page_for
from workflow.history_verify import verify_history
from workflow.rules import Action, Actor

router = page_router()
Verifier = Annotated[Actor, page_for(Action.verify_history)]
TITLE = "History verification"


@router.get("/admin/history")
def history_page(request: Request, _: Verifier) -> Response:
    return render(request, "admin_history.html", {"title": TITLE, "result": None})


@router.post("/admin/history/verify")
def verify_history_page(request: Request, _: Verifier) -> Response:
    # Answered directly, not redirected: the result is a reading, nothing was changed.
    return render(request, "admin_history.html", {"title": TITLE, "result": verify_history()})
