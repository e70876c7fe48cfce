from typing import Annotated

from fastapi import APIRouter, Query
from sqlmodel import select

from api.deps import SessionDep, allowed
from models.user import User
from models.views import OverdueItem
from workflow.queries import OverdueFilter, overdue_items
from workflow.rules import Action, Department, Severity
from workflow.transitions import Actor

router = APIRouter(tags=["managers"])


@router.get(
    "/overdue",
    summary="What is late",
    description="Every running step past its due date (acknowledgement, assessment, "
    "containment, investigation, sales review, reply to the customer), most late first, with "
    "department, assignee, escalation level and how late in business hours. Steps paused "
    "while waiting on the customer are not listed.",
)
def overdue(
    session: SessionDep,
    _: Annotated[Actor, allowed(Action.read_overdue)],
    department: Department | None = None,
    severity: Severity | None = None,
    escalation_level: Annotated[int | None, Query(ge=0, le=4)] = None,
    assignee: Annotated[str | None, Query(max_length=64, description="A username")] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 100,
) -> list[OverdueItem]:
    assignee_id = None
    if assignee:
        user = session.exec(select(User).where(User.username == assignee)).first()
        assignee_id = user.id if user and user.id else -1
    filters = OverdueFilter(
        department=department,
        severity=severity,
        escalation_level=escalation_level,
        assignee_id=assignee_id,
    )
    return overdue_items(session, filters, limit=limit)
