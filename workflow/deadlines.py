"""Clocks on the steps of a case (a complaint, a contract review): started, met, paused and
resumed here, and nowhere else.

Each clock keeps ``next_check_at``, the next moment the sweep has something to do for it
(remind, escalate). The sweep selects on that indexed column alone.
"""

from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from models.base import id_of
from models.complaint import Complaint
from models.deadline import Deadline, DeadlinePolicyRow, DeadlinePublic
from models.task import Task
from workflow.calendar import BusinessCalendar, company_calendar
from workflow.cases import CaseRecord
from workflow.clock import utcnow
from workflow.rules import (
    BUSINESS_DAY_HOURS,
    COMPLAINT_DUE_STEPS,
    DEFAULT_POLICIES,
    QUALITY_LOOP_STEPS,
    SYSTEM_ACTS_WHEN_DUE,
    TASK_MAIN_STEPS,
    TOP_LEVEL,
    DeadlinePolicy,
    Department,
    EscalationLevel,
    Kind,
    PolicyKey,
    Severity,
    Step,
    match_policy,
)


def overrides(session: Session) -> dict[PolicyKey, DeadlinePolicyRow]:
    rows = session.exec(
        select(DeadlinePolicyRow).where(col(DeadlinePolicyRow.superseded_at).is_(None))
    ).all()
    return {(r.step, r.kind, r.severity): r for r in rows}


POLICIES_KEY = "effective_policies"


def effective_policies(session: Session) -> dict[PolicyKey, DeadlinePolicy]:
    """The policies in force, read once per session (a use case starts several clocks)."""
    if POLICIES_KEY not in session.info:
        session.info[POLICIES_KEY] = _read_policies(session)
    return session.info[POLICIES_KEY]


def forget_policies(session: Session) -> None:
    session.info.pop(POLICIES_KEY, None)


def _read_policies(session: Session) -> dict[PolicyKey, DeadlinePolicy]:
    policies = dict(DEFAULT_POLICIES)
    for key, row in overrides(session).items():
        policies[key] = DeadlinePolicy(
            hours=row.hours,
            business_time=row.business_time,
            reminder_fraction=row.reminder_fraction,
            escalation_interval_hours=row.escalation_interval_hours,
        )
    return policies


def next_check(clock: Deadline) -> datetime | None:
    if clock.met_at is not None or clock.paused_since is not None:
        return None
    if clock.step in SYSTEM_ACTS_WHEN_DUE:
        return clock.due_at  # nobody to remind or escalate to: the system acts when due
    if clock.escalation_level == EscalationLevel.none:
        return clock.remind_at if clock.reminded_at is None else clock.due_at
    if clock.escalation_level < TOP_LEVEL:
        assert clock.escalated_at is not None
        return company_calendar().add_hours(
            clock.escalated_at, clock.escalation_interval_hours, business_time=clock.business_time
        )
    return None


def hours_per_day(business_time: bool) -> float:
    return BUSINESS_DAY_HOURS if business_time else 24.0


def _policy_subject(case: CaseRecord) -> tuple[Kind | None, Severity | None]:
    """What a policy may be specific to: a complaint's kind and severity; a review's clocks
    follow the step's general policy."""
    if isinstance(case, Complaint):
        return case.kind, case.severity
    return None, None


def start_clock(
    session: Session,
    case: CaseRecord,
    step: Step,
    *,
    start: datetime,
    department: Department,
    cycle: int = 0,
    task: Task | None = None,
    owner_id: int | None = None,
    new_complaint: bool = False,
    hours: float | None = None,
) -> Deadline | None:
    """Start the step's clock on the policy in force now; None if no policy covers the step.

    A clock is the case's (one per step and round) or, with ``task``, that task's (one
    per task and step). ``hours`` overrides the time the policy allows (a sub-task's own
    time); reminders and escalation still follow the policy.
    ``new_complaint``: the complaint was created in this transaction, so it has no clock yet
    and nothing needs the clock's id before the commit (intake: no query, no flush)."""
    if not new_complaint:
        existing = _existing_clock(session, case, step, cycle, task)
        if existing is not None:
            return existing
    policy = match_policy(effective_policies(session), step, *_policy_subject(case))
    if policy is None:
        return None
    if hours is not None:
        policy = replace(policy, hours=hours)
    calendar = company_calendar()
    clock = Deadline(
        case_id=id_of(case),
        task_id=task.id if task else None,
        step=step,
        cycle=cycle,
        department=department,
        owner_id=owner_id,
        hours=policy.hours,
        business_time=policy.business_time,
        reminder_fraction=policy.reminder_fraction,
        escalation_interval_hours=policy.escalation_interval_hours,
        started_at=start,
        due_at=calendar.add_hours(start, policy.hours, business_time=policy.business_time),
        remind_at=calendar.add_hours(
            start, policy.hours * policy.reminder_fraction, business_time=policy.business_time
        ),
    )
    clock.next_check_at = next_check(clock)
    session.add(clock)
    if not new_complaint:
        session.flush()
    return clock


def _existing_clock(
    session: Session, case: CaseRecord, step: Step, cycle: int, task: Task | None
) -> Deadline | None:
    query = select(Deadline).where(Deadline.case_id == case.id, Deadline.step == step)
    if task is not None:
        query = query.where(Deadline.task_id == task.id)
    else:
        query = query.where(Deadline.cycle == cycle, col(Deadline.task_id).is_(None))
    return session.exec(query).first()


def running_clocks(session: Session, case_id: int) -> list[Deadline]:
    return list(
        session.exec(
            select(Deadline).where(Deadline.case_id == case_id, col(Deadline.met_at).is_(None))
        )
    )


def stop_clocks(session: Session, case_id: int, steps: set[Step] | None = None) -> list[Deadline]:
    """Mark the running clocks of these steps (all if None) met now."""
    now = utcnow()
    stopped = []
    for clock in running_clocks(session, case_id):
        if steps is None or clock.step in steps:
            _meet(clock, now)
            session.add(clock)
            stopped.append(clock)
    return stopped


def _meet(clock: Deadline, now: datetime) -> None:
    if clock.paused_since is not None:
        _unpause(clock, now)
    clock.met_at = now
    clock.next_check_at = None


def _running_task_clocks(session: Session, task: Task) -> list[Deadline]:
    return list(
        session.exec(
            select(Deadline).where(Deadline.task_id == task.id, col(Deadline.met_at).is_(None))
        )
    )


def stop_task_clocks(session: Session, task: Task, steps: set[Step] | None = None) -> None:
    """Mark the task's running clocks of these steps (all if None) met now."""
    now = utcnow()
    for clock in _running_task_clocks(session, task):
        if steps is None or clock.step in steps:
            _meet(clock, now)
            session.add(clock)


def move_task_clocks(session: Session, task: Task, department: Department) -> None:
    """The task went to another department: its clocks (same due dates) go with it, unowned."""
    for clock in _running_task_clocks(session, task):
        clock.department = department
        clock.owner_id = None
        session.add(clock)


def assign_clocks(session: Session, task: Task, owner_id: int | None) -> None:
    """The task's assignee now owns its clocks (its own and its milestones')."""
    for clock in _running_task_clocks(session, task):
        clock.owner_id = owner_id
        session.add(clock)


def pause_clocks(session: Session, case_id: int) -> None:
    now = utcnow()
    for clock in running_clocks(session, case_id):
        # Actions and checks do not wait on the customer.
        if clock.paused_since is None and clock.step not in QUALITY_LOOP_STEPS:
            clock.paused_since = now
            clock.next_check_at = None
            session.add(clock)


def _unpause(clock: Deadline, now: datetime) -> float:
    calendar = company_calendar()
    assert clock.paused_since is not None
    paused = calendar.hours_between(clock.paused_since, now, business_time=clock.business_time)
    shift = {"business_time": clock.business_time}
    clock.due_at = calendar.add_hours(clock.due_at, paused, **shift)
    clock.remind_at = calendar.add_hours(clock.remind_at, paused, **shift)
    if clock.escalated_at is not None:
        clock.escalated_at = calendar.add_hours(clock.escalated_at, paused, **shift)
    clock.paused_hours += paused
    clock.paused_since = None
    return paused


def resume_clocks(session: Session, case_id: int) -> float:
    """Restart paused clocks, their due dates moved by the time paused; the hours paused."""
    now = utcnow()
    paused = 0.0
    for clock in running_clocks(session, case_id):
        if clock.paused_since is not None:
            paused = max(paused, _unpause(clock, now))
            clock.next_check_at = next_check(clock)
            session.add(clock)
    return paused


def clock_figures(clock: Deadline, now: datetime) -> tuple[float, float, float]:
    """Hours used, hours left and hours late, counted like the clock itself."""
    end = clock.met_at or clock.paused_since or now
    used = company_calendar().hours_between(
        clock.started_at, end, business_time=clock.business_time
    )
    used = max(used - clock.paused_hours, 0.0)
    return used, max(clock.hours - used, 0.0), max(used - clock.hours, 0.0)


def clock_public(clock: Deadline, now: datetime) -> DeadlinePublic:
    used, left, late = clock_figures(clock, now)
    return DeadlinePublic(
        step=clock.step,
        cycle=clock.cycle,
        department=clock.department,
        started_at=clock.started_at,
        due_at=clock.due_at,
        met_at=clock.met_at,
        paused=clock.paused_since is not None,
        paused_hours=round(clock.paused_hours, 2),
        hours_allowed=clock.hours,
        hours_used=round(used, 2),
        hours_left=round(left, 2),
        late_by_hours=round(late, 2),
        escalation_level=clock.escalation_level,
    )


def planned_due(
    session: Session, complaint: Complaint, step: Step, start: datetime
) -> datetime | None:
    """When the step would be due if it started at ``start`` (no clock is started)."""
    policy = match_policy(effective_policies(session), step, complaint.kind, complaint.severity)
    if policy is None:
        return None
    return company_calendar().add_hours(start, policy.hours, business_time=policy.business_time)


def sync_task_due_dates(session: Session, clocks: list[Deadline]) -> None:
    """Copy the task clocks' due dates onto their open tasks (after a pause)."""
    for clock in clocks:
        if clock.task_id is not None and clock.step in TASK_MAIN_STEPS:
            task = session.get(Task, clock.task_id)
            if task is not None and task.due_at != clock.due_at:
                task.due_at = clock.due_at
                session.add(task)


def sync_due_dates(session: Session, complaint: Complaint) -> None:
    """Copy the clocks' due dates onto the open tasks and the complaint (after a pause)."""
    clocks = running_clocks(session, id_of(complaint))
    sync_task_due_dates(session, clocks)
    replies = [c for c in clocks if c.step is Step.customer_reply]
    if replies:
        complaint.reply_due_at = max(c.due_at for c in replies)
    task_dues = [c.due_at for c in clocks if c.step in COMPLAINT_DUE_STEPS]
    complaint.due_at = min(task_dues) if task_dues else complaint.reply_due_at
    session.add(complaint)


def time_from_start(clock: Deadline, calendar: BusinessCalendar) -> None:
    """Set the clock's due date and reminder from its start, its hours and the time it was
    paused, counted on ``calendar`` (a new policy, or a calendar with other closure days)."""
    shift = {"business_time": clock.business_time}
    clock.due_at = calendar.add_hours(clock.started_at, clock.hours + clock.paused_hours, **shift)
    clock.remind_at = calendar.add_hours(
        clock.started_at, clock.hours * clock.reminder_fraction + clock.paused_hours, **shift
    )


def retime_clocks(
    session: Session, complaint: Complaint, old: Severity, old_kind: Kind | None = None
) -> list[dict[str, Any]]:
    """Every running clock of the complaint on the policy for its present severity: same
    start, the new policy's hours (time paused still added), reminder and escalation state
    cleared where the new dates lie ahead. Met clocks, and clocks whose policy does not
    depend on severity (a sub-task's own time, an action's due date), are left as they are.
    ``old_kind``: the kind it had, when that changed too (a mail's triage).
    Returns what moved, for the history."""
    policies, calendar, now = effective_policies(session), company_calendar(), utcnow()
    moved = []
    for clock in running_clocks(session, id_of(complaint)):
        before = match_policy(policies, clock.step, old_kind or complaint.kind, old)
        policy = match_policy(policies, clock.step, complaint.kind, complaint.severity)
        if policy is None or policy == before:
            continue
        old_due = clock.due_at
        clock.hours, clock.business_time = policy.hours, policy.business_time
        clock.reminder_fraction = policy.reminder_fraction
        clock.escalation_interval_hours = policy.escalation_interval_hours
        time_from_start(clock, calendar)
        if clock.remind_at > now:
            clock.reminded_at = None
        if clock.due_at > now:
            clock.escalation_level, clock.escalated_at = EscalationLevel.none, None
        clock.next_check_at = next_check(clock)
        session.add(clock)
        moved.append(
            {"step": clock.step, "task_id": clock.task_id, "hours": policy.hours,
             "old_due_at": old_due, "due_at": clock.due_at}
        )  # fmt: skip
    sync_due_dates(session, complaint)
    return moved
