"""Staff's comments on a complaint and its tasks, with @mentions."""

from typing import Annotated

from fastapi import APIRouter, Path, status

from api.deps import SessionDep, WriteSessionDep, allowed
from models.base import id_of
from models.comment import CommentCreate, CommentPublic
from workflow.comments import add_comment, list_comments
from workflow.complaints import get_complaint
from workflow.rules import Action
from workflow.transitions import Actor

router = APIRouter(prefix="/complaints", tags=["comments"])
Reference = Annotated[str, Path(max_length=32)]


@router.post(
    "/{reference}/comments",
    status_code=status.HTTP_201_CREATED,
    summary="Comment on a complaint or one of its tasks",
    description="Internal: the customer never sees it. Each `@username` in the text must be an "
    "active colleague, who gets a mail with the comment; the comment is written to the "
    "complaint's history.",
    responses={
        404: {"description": "No such complaint"},
        422: {"description": "Empty, too long, a task of another complaint, or an unknown @name"},
    },
)
def comment(
    reference: Reference,
    body: CommentCreate,
    session: WriteSessionDep,
    actor: Annotated[Actor, allowed(Action.comment)],
) -> CommentPublic:
    return add_comment(session, reference=reference, data=body, actor=actor)


@router.get(
    "/{reference}/comments",
    summary="The comments on a complaint, oldest first",
    description="Staff's comments on the complaint and its tasks, each with its author and the "
    "colleagues it mentioned.",
    responses={404: {"description": "No such complaint"}},
)
def comments(
    reference: Reference,
    session: SessionDep,
    _: Annotated[Actor, allowed(Action.read_complaints)],
) -> list[CommentPublic]:
    return list_comments(session, id_of(get_complaint(session, reference)))
