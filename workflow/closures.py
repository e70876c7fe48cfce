"""Closure days of the business calendar, as admins keep them.

A closure is a working weekday the company is closed on besides public holidays. Adding or
removing one changes what a business hour is, so the running business-time clocks are timed
again on the new calendar in the same transaction: each keeps its start, its hours and the
time it was paused, and its due date and reminder move with the calendar
(``workflow.deadlines.time_from_start``, as when a severity changes). Clocks already late,
met, counted around the clock, or set to a date a person chose (a corrective action's due
date) stay as they are. Each complaint whose dates moved gets a ``due_dates_moved`` history
entry naming the closure.
"""

from dataclasses import replace
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import or_
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from models.calendar import ClosureCreate, ClosureDay
from models.complaint import Complaint
from models.deadline import Deadline
from models.enums import HistoryAction, Step
from workflow.calendar import BusinessCalendar, company_calendar, forget_calendar
from workflow.cases import lock_case_by_id
from workflow.clock import utcnow
from workflow.deadlines import next_check, sync_due_dates, sync_task_due_dates, time_from_start
from workflow.errors import InvalidInput, NotFound, RuleViolation
from workflow.history import record_history
from workflow.rules import Action, Actor, require_permission

FIXED_DATE_STEPS = (Step.capa_action,)
PLANNING_HORIZON = timedelta(days=3 * 366)
WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def list_closures(session: Session) -> list[ClosureDay]:
    """Closures in force, oldest first."""
    query = select(ClosureDay).where(col(ClosureDay.removed_at).is_(None))
    return list(session.exec(query.order_by(col(ClosureDay.day))))


def removed_closures(session: Session, *, limit: int = 50) -> list[ClosureDay]:
    query = select(ClosureDay).where(col(ClosureDay.removed_at).is_not(None))
    return list(session.exec(query.order_by(col(ClosureDay.removed_at).desc()).limit(limit)))


def _why_not_a_working_day(calendar: BusinessCalendar, day: date) -> str | None:
    if day.weekday() not in calendar.working_weekdays:
        return f"{day.isoformat()} is a {WEEKDAY_NAMES[day.weekday()]}, not a working day"
    if day in calendar.closed_days:
        return f"{day.isoformat()} is a public holiday in {calendar.country} already"
    return None


def add_closure(
    session: Session, *, closure: ClosureCreate, actor: Actor
) -> tuple[ClosureDay, int]:
    """Close the company on ``closure.day``; the row and the number of clocks moved."""
    require_permission(actor.role, Action.manage_calendar)
    now, calendar = utcnow(), company_calendar()
    today = calendar.local_date(now)
    if closure.day < today:
        raise InvalidInput("day", "a closure can be added for today or a later day, not the past")
    if closure.day > today + PLANNING_HORIZON:
        raise InvalidInput("day", "a closure can be planned at most three years ahead")
    if _active(session, closure.day) is not None:
        raise RuleViolation(f"the company is already closed on {closure.day.isoformat()}")
    reason = _why_not_a_working_day(calendar, closure.day)
    if reason is not None:
        raise InvalidInput("day", f"{reason}: the company is closed then anyway")
    row = ClosureDay(
        day=closure.day, reason=closure.reason.strip(), added_by=actor.name, added_at=now
    )
    session.add(row)
    try:
        session.flush()
    except IntegrityError as taken:  # another admin closed the same day a moment ago
        session.rollback()
        raise RuleViolation(
            f"the company is already closed on {closure.day.isoformat()}"
        ) from taken
    why = f"closure on {row.day.isoformat()} added by {actor.name}: {row.reason}"
    moved = _retime_running_clocks(session, row.day, actor, why)
    session.commit()
    forget_calendar()  # this process counts on the new calendar at once, others within 1 s
    return row, moved


def remove_closure(
    session: Session, *, day: date, reason: str, actor: Actor
) -> tuple[ClosureDay, int]:
    """Open the company again on ``day``; the row and the number of clocks moved."""
    require_permission(actor.role, Action.manage_calendar)
    row = _active(session, day)
    if row is None:
        raise NotFound(f"the company is not closed on {day.isoformat()}")
    now = utcnow()
    if day < company_calendar().local_date(now):
        raise RuleViolation(
            f"the closure on {day.isoformat()} is past: the deadlines counted it, so it stays"
        )
    row.removed_at, row.removed_by, row.removal_reason = now, actor.name, reason.strip()
    session.add(row)
    session.flush()
    why = f"closure on {day.isoformat()} removed by {actor.name}: {row.removal_reason}"
    moved = _retime_running_clocks(session, day, actor, why)
    session.commit()
    forget_calendar()
    return row, moved


def _active(session: Session, day: date) -> ClosureDay | None:
    query = select(ClosureDay).where(ClosureDay.day == day, col(ClosureDay.removed_at).is_(None))
    return session.exec(query).first()


def _affected(day_starts: datetime) -> list[Any]:
    """Running business-time clocks that may count the day: due after it starts, or paused
    (their due date moves when they resume)."""
    return [
        col(Deadline.met_at).is_(None),
        col(Deadline.business_time).is_(True),
        col(Deadline.step).not_in(FIXED_DATE_STEPS),
        or_(col(Deadline.paused_since).is_not(None), col(Deadline.due_at) > day_starts),
    ]


def _retime_running_clocks(session: Session, day: date, actor: Actor, why: str) -> int:
    # The calendar with this transaction's closures (not yet visible to other connections).
    in_force = frozenset(row.day for row in list_closures(session))
    calendar, now = replace(company_calendar(), closures=in_force), utcnow()
    affected = _affected(calendar.opening_moment(day))
    complaint_ids = session.exec(
        select(Deadline.case_id).where(*affected).distinct().order_by(col(Deadline.case_id))
    ).all()
    moved = 0
    for complaint_id in complaint_ids:
        # The complaint's lock first, then its clocks: read under the lock, never stale.
        case = lock_case_by_id(session, complaint_id)
        its_clocks = session.exec(
            select(Deadline).where(Deadline.case_id == complaint_id, *affected)
        ).all()
        moves = [
            moved_clock
            for clock in its_clocks
            if clock.paused_since is not None or clock.due_at > now  # late ones stay late
            if (moved_clock := _retime(clock, calendar)) is not None
        ]
        if not moves:
            continue
        if isinstance(case, Complaint):
            sync_due_dates(session, case)
        else:
            sync_task_due_dates(session, list(its_clocks))
        record_history(
            session,
            case_id=complaint_id,
            actor=actor.name,
            action=HistoryAction.due_dates_moved,
            changes={"moved": moves},
            reason=why,
        )
        moved += len(moves)
    return moved


def _retime(clock: Deadline, calendar: BusinessCalendar) -> dict[str, Any] | None:
    """The clock's due date and reminder on ``calendar``; what moved, or None."""
    old_due = clock.due_at
    time_from_start(clock, calendar)
    clock.next_check_at = next_check(clock)
    if clock.due_at == old_due:
        return None
    return {
        "step": clock.step,
        "task_id": clock.task_id,
        "old_due_at": old_due,
        "due_at": clock.due_at,
    }
