"""The business calendar's closure days: read by all staff, changed by admins."""

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Path, status

from api.deps import CurrentActor, SessionDep, WriteSessionDep, allowed
from models.calendar import (
    ClosureChange,
    ClosureCreate,
    ClosureDay,
    ClosurePublic,
    ClosureResult,
)
from workflow.closures import add_closure, list_closures, remove_closure
from workflow.rules import Action
from workflow.transitions import Actor

router = APIRouter(prefix="/calendar", tags=["deadlines"])
CalendarAdmin = Annotated[Actor, allowed(Action.manage_calendar)]


def _public(row: ClosureDay) -> ClosurePublic:
    return ClosurePublic.model_validate(row, from_attributes=True)


def _result(row: ClosureDay, moved: int) -> ClosureResult:
    return ClosureResult(closure=_public(row), clocks_moved=moved)


@router.get(
    "/closures",
    summary="Closure days in force",
    description="Working weekdays the company is closed on besides the public holidays of "
    "`CW_HOLIDAY_COUNTRY`: business-time deadlines do not count them.",
)
def closures(session: SessionDep, _: CurrentActor) -> list[ClosurePublic]:
    return [_public(row) for row in list_closures(session)]


@router.post(
    "/closures",
    status_code=status.HTTP_201_CREATED,
    summary="Close the company on a day",
    description="Admins only. Today or a later working weekday. The running business-time "
    "clocks are timed again on the new calendar (their due dates move; late ones stay), each "
    "complaint whose dates moved gets a `due_dates_moved` history entry.",
    responses={
        403: {"description": "Not an admin"},
        409: {"description": "The company is closed on that day already"},
    },
)
def close_day(
    closure: ClosureCreate, session: WriteSessionDep, actor: CalendarAdmin
) -> ClosureResult:
    return _result(*add_closure(session, closure=closure, actor=actor))


@router.post(
    "/closures/{day}/remove",
    summary="Open the company again on a closure day",
    description="Admins only, for today or a later closure (a past one was counted and "
    "stays). The removal is kept with who and why; clocks are timed again as for a new one.",
    responses={
        403: {"description": "Not an admin"},
        404: {"description": "The company is not closed on that day"},
        409: {"description": "The closure is past"},
    },
)
def reopen_day(
    day: Annotated[date, Path(description="The closure day, YYYY-MM-DD")],
    change: ClosureChange,
    session: WriteSessionDep,
    actor: CalendarAdmin,
) -> ClosureResult:
    return _result(*remove_closure(session, day=day, reason=change.reason, actor=actor))
