from typing import Annotated

from fastapi import APIRouter, Query

from api.deps import SessionDep, allowed
from models.views import OverdueItem
from workflow.queries import overdue_items
from workflow.rules import Action
from workflow.transitions import Actor

router = APIRouter(tags=["managers"])


@router.get(
    "/overdue",
    summary="What is late",
    description="Open tasks past their due date and open complaints past the date promised "
    "to the customer, most late first, with department, assignee and how late.",
)
def overdue(
    session: SessionDep,
    _: Annotated[Actor, allowed(Action.read_overdue)],
    limit: Annotated[int, Query(ge=1, le=100)] = 100,
) -> list[OverdueItem]:
    return overdue_items(session, limit=limit)
