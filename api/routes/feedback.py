"""Praise and suggestions for quality to read, each marked read by a person."""

from typing import Annotated

from fastapi import APIRouter, Path, Query

from api.deps import CurrentActor, SessionDep, WriteSessionDep
from models.views import Page
from workflow.feedback import FeedbackItem, list_feedback, mark_read

router = APIRouter(prefix="/feedback", tags=["feedback"])
Reference = Annotated[str, Path(max_length=32, description="The feedback's reference.")]


@router.get(
    "",
    summary="Praise and suggestions to read",
    description="Newest first. `unread=true` lists what nobody has marked read yet, "
    "`unread=false` what has been read (with who read it and when). Quality and managers.",
)
def feedback_list(
    session: SessionDep,
    actor: CurrentActor,
    unread: bool | None = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> Page[FeedbackItem]:
    items = list_feedback(session, actor=actor, unread=unread, limit=limit + 1, offset=offset)
    return Page(items=items[:limit], limit=limit, offset=offset, has_more=len(items) > limit)


@router.post(
    "/{reference}/read",
    summary="Mark a praise or suggestion read",
    description="The reader's name and the time go to the feedback's history.",
    responses={
        403: {"description": "Not a quality user or manager"},
        404: {"description": "No such reference"},
        409: {"description": "Read already, or not a praise or suggestion"},
    },
)
def feedback_read(
    reference: Reference, session: WriteSessionDep, actor: CurrentActor
) -> FeedbackItem:
    return mark_read(session, reference=reference, actor=actor)
