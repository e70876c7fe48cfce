"""The admin area's business calendar: closure days in force, the public holidays ahead for
context, removed closures; admins add and remove closures with a reason (the same
``workflow.closures`` functions as ``/api/v1/calendar/closures``), managers read."""

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Annotated, Any

import holidays
from fastapi import Path, Request, status
from fastapi.responses import RedirectResponse, Response
from sqlmodel import Session

from api.deps import SessionDep, WriteSessionDep
from api.web.forms import FieldErrors, text_fields, validate
from api.web.pages import flash, render
from api.web.routes import page_router
from api.web.session import page_for
from models.calendar import ClosureCreate
from workflow.calendar import company_calendar
from workflow.clock import utcnow
from workflow.closures import (
    add_closure,
    list_closures,
    remove_closure,
    removed_closures,
)
from workflow.errors import InvalidInput, NotFound, RuleViolation
from workflow.rules import Action, Actor, may

router = page_router()
CalendarReader = Annotated[Actor, page_for(Action.read_policies)]
CalendarAdmin = Annotated[Actor, page_for(Action.manage_calendar)]
PAGE = "/admin/calendar"
SHORTEST_REASON = 3
HOLIDAYS_AHEAD = timedelta(days=365)


@dataclass(frozen=True)
class Holiday:
    day: date
    name: str


def holidays_ahead(today: date) -> list[Holiday]:
    """The public holidays of the next twelve months that fall on working weekdays."""
    calendar = company_calendar()
    until = today + HOLIDAYS_AHEAD
    found = holidays.country_holidays(calendar.country, years=range(today.year, until.year + 1))
    return [
        Holiday(day, str(name))
        for day, name in sorted(found.items())
        if today <= day <= until and day.weekday() in calendar.working_weekdays
    ]


def _calendar_page(
    request: Request,
    session: Session,
    actor: Actor,
    values: dict[str, Any] | None = None,
    errors: FieldErrors | None = None,
) -> Response:
    calendar = company_calendar()
    today = calendar.local_date(utcnow())
    in_force = list_closures(session)
    context = {
        "title": "Business calendar",
        "may_change": may(actor.role, Action.manage_calendar),
        "today": today,
        "calendar": calendar,
        "closures": [c for c in in_force if c.day >= today],
        "past_closures": [c for c in in_force if c.day < today][-10:],
        "removed": removed_closures(session, limit=20),
        "holidays": holidays_ahead(today),
        "values": values or {},
        "errors": errors or {},
    }
    code = status.HTTP_422_UNPROCESSABLE_CONTENT if errors else status.HTTP_200_OK
    return render(request, "admin_calendar.html", context, status_code=code)


@router.get(PAGE)
def calendar_page(request: Request, session: SessionDep, actor: CalendarReader) -> Response:
    return _calendar_page(request, session, actor)


@router.post(PAGE)
async def close_day(request: Request, session: WriteSessionDep, actor: CalendarAdmin) -> Response:
    values = text_fields(await request.form(), ("day", "reason"))
    closure, errors = validate(ClosureCreate, {"day": values["day"], "reason": values["reason"]})
    if not errors:
        try:
            row, moved = add_closure(session, closure=closure, actor=actor)
        except InvalidInput as refused:
            errors = {refused.field: f"{refused}."}
        except RuleViolation as refused:
            errors = {"day": f"{refused}."}
    if errors:
        session.rollback()
        return _calendar_page(request, session, actor, values, errors)
    flash(request, f"Closed on {row.day:%A %d %B %Y}; {_clocks(moved)} moved with it.")
    return RedirectResponse(PAGE, status_code=status.HTTP_303_SEE_OTHER)


@router.post(PAGE + "/{day}/remove")
async def reopen_day(
    request: Request,
    session: WriteSessionDep,
    actor: CalendarAdmin,
    day: Annotated[date, Path()],
) -> Response:
    reason = text_fields(await request.form(), ("reason",))["reason"] or ""
    if len(reason) < SHORTEST_REASON:
        flash(request, "Please say why the company opens that day (at least three characters).")
        return RedirectResponse(PAGE, status_code=status.HTTP_303_SEE_OTHER)
    try:
        _, moved = remove_closure(session, day=day, reason=reason, actor=actor)
    except (NotFound, RuleViolation) as refused:
        session.rollback()
        flash(request, f"Not changed: {refused}.")
        return RedirectResponse(PAGE, status_code=status.HTTP_303_SEE_OTHER)
    flash(request, f"Open again on {day:%A %d %B %Y}; {_clocks(moved)} moved with it.")
    return RedirectResponse(PAGE, status_code=status.HTTP_303_SEE_OTHER)


def _clocks(moved: int) -> str:
    return "no due date" if moved == 0 else f"{moved} due date" + ("s" if moved > 1 else "")
