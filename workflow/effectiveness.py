"""Effectiveness checks: scheduled when a round's corrective actions are closed, opened by the
deadline sweep when due (a task for quality, with the recurrences since), decided by quality.

Effective completes the complaint's quality record; not effective opens the next round of
corrective actions. The customer's complaint is never reopened by a check.
"""

from datetime import datetime

from sqlmodel import Session, col, func, select

from models.base import id_of
from models.complaint import Complaint
from models.enums import ActionKind, ActionStatus, HistoryAction, Verdict
from models.quality import CapaAction, EffectivenessCheck
from models.task import EffectivenessVerdict, Task
from workflow import deadlines
from workflow.calendar import company_calendar
from workflow.clock import utcnow
from workflow.db import read_session, write_session
from workflow.history import record_history
from workflow.notices import announce_task
from workflow.resolutions import latest_resolution
from workflow.rules import (
    SYSTEM,
    Actor,
    Department,
    RoundFacts,
    Step,
    TaskKind,
    completes_quality_record,
    corrective_round_closed,
    match_policy,
    nothing_to_correct,
)
from workflow.transitions import lock_complaint_by_id, touch

SWEEPER = Actor(name="flow:sweep-deadlines", role=SYSTEM)


def current_round(session: Session, complaint_id: int) -> int:
    """1, plus one for every check found not effective."""
    failed = session.exec(
        select(func.count())
        .select_from(EffectivenessCheck)
        .where(
            EffectivenessCheck.complaint_id == complaint_id,
            EffectivenessCheck.verdict == Verdict.not_effective,
        )
    ).one()
    return 1 + int(failed)


def pending_check(session: Session, complaint_id: int, round_: int) -> EffectivenessCheck | None:
    """The round's check while it has no verdict (scheduled, or open as a task)."""
    return session.exec(
        select(EffectivenessCheck).where(
            EffectivenessCheck.complaint_id == complaint_id,
            EffectivenessCheck.round == round_,
            col(EffectivenessCheck.verdict).is_(None),
        )
    ).first()


def latest_check(session: Session, complaint_id: int) -> EffectivenessCheck | None:
    return session.exec(
        select(EffectivenessCheck)
        .where(EffectivenessCheck.complaint_id == complaint_id)
        .order_by(col(EffectivenessCheck.round).desc())
    ).first()


def check_date(session: Session, complaint: Complaint, closed_at: datetime) -> datetime:
    """Closing time plus the wait policy for the complaint's severity (60 calendar days by
    default), moved to the next working moment of the company calendar."""
    policies = deadlines.effective_policies(session)
    policy = match_policy(policies, Step.effectiveness_wait, complaint.kind, complaint.severity)
    assert policy is not None, "no policy for the effectiveness wait"
    calendar = company_calendar()
    moment = calendar.add_hours(closed_at, policy.hours, business_time=policy.business_time)
    return calendar.add_business_hours(moment, 0)  # the moment itself when the company is open


def schedule_if_round_closed(
    session: Session, complaint: Complaint, round_: int, actor: Actor
) -> EffectivenessCheck | None:
    """Schedule the round's check once its corrective actions are closed (one done at least)."""
    actions = session.exec(
        select(CapaAction).where(
            CapaAction.complaint_id == complaint.id, CapaAction.round == round_
        )
    ).all()
    exists = session.exec(
        select(EffectivenessCheck.id).where(
            EffectivenessCheck.complaint_id == complaint.id, EffectivenessCheck.round == round_
        )
    ).first()
    facts = RoundFacts(tuple((a.kind, a.status) for a in actions), exists is not None)
    if not corrective_round_closed(facts):
        return None
    now = utcnow()
    check = EffectivenessCheck(
        complaint_id=id_of(complaint),
        round=round_,
        actions_closed_at=now,
        scheduled_for=check_date(session, complaint, now),
        created_at=now,
    )
    session.add(check)
    record_history(
        session,
        case_id=id_of(complaint),
        actor=actor.name,
        action=HistoryAction.effectiveness_check_scheduled,
        changes={"round": round_, "actions_closed_at": now, "scheduled_for": check.scheduled_for},
    )
    return check


def recurrences_since(session: Session, complaint: Complaint, since: datetime) -> list[Complaint]:
    """Complaints received after ``since`` on the same product and defect code (none while
    either is unknown). One place, so a finer recurrence search can replace it."""
    if complaint.product_id is None or complaint.defect_code_id is None:
        return []
    return list(
        session.exec(
            select(Complaint)
            .where(
                Complaint.product_id == complaint.product_id,
                Complaint.defect_code_id == complaint.defect_code_id,
                Complaint.received_at > since,
                Complaint.id != complaint.id,
            )
            .order_by(col(Complaint.received_at), col(Complaint.id))
        )
    )


def due_checks(limit: int) -> list[tuple[int, str]]:
    """Checks whose date has come and that have no task yet: (id, complaint reference)."""
    with read_session() as session:
        rows = session.exec(
            select(EffectivenessCheck.id, Complaint.reference)
            .join(Complaint, col(Complaint.id) == EffectivenessCheck.complaint_id)
            .where(
                col(EffectivenessCheck.scheduled_for) <= utcnow(),
                col(EffectivenessCheck.task_id).is_(None),
            )
            .order_by(col(EffectivenessCheck.scheduled_for))
            .limit(limit)
        ).all()
    return [(r[0], r[1]) for r in rows if r[0] is not None]


def _open_check_task(
    session: Session, complaint: Complaint, check: EffectivenessCheck, now: datetime
) -> Task:
    """Quality's task for the check, on its clock, with the recurrences since the actions."""
    task = Task(
        case_id=id_of(complaint),
        department=Department.quality,
        kind=TaskKind.effectiveness_check,
        created_at=now,
        due_at=now,
    )
    session.add(task)
    session.flush()
    clock = deadlines.start_clock(
        session,
        complaint,
        Step.effectiveness_check,
        start=now,
        department=Department.quality,
        cycle=complaint.cycle,
        task=task,
    )
    assert clock is not None, "no deadline policy for effectiveness checks"
    task.due_at = clock.due_at
    check.task_id = task.id
    recurrences = recurrences_since(session, complaint, check.actions_closed_at)
    check.recurrences = [c.reference for c in recurrences]
    session.add_all([task, check])
    record_history(
        session,
        case_id=id_of(complaint),
        actor=SWEEPER.name,
        action=HistoryAction.effectiveness_check_opened,
        changes={
            "round": check.round,
            "task_id": task.id,
            "due_at": task.due_at,
            "recurrences": check.recurrences,
        },
    )
    return task


def open_due_check(check_id: int) -> list[int]:
    """Open the check as quality's task with the recurrences found since the actions closed;
    the ids of the notices queued. Safe to repeat: a check with a task is left alone."""
    now = utcnow()
    with write_session() as session:
        found = session.get(EffectivenessCheck, check_id)
        if found is None:
            return []
        complaint = lock_complaint_by_id(session, found.complaint_id)
        check = session.exec(
            select(EffectivenessCheck).where(EffectivenessCheck.id == check_id).with_for_update()
        ).one()
        if check.task_id is not None or check.scheduled_for > now:
            return []  # opened by an earlier or concurrent sweep
        task = _open_check_task(session, complaint, check, now)
        queued = announce_task(
            session,
            complaint,
            department=Department.quality.value,
            task_kind=TaskKind.effectiveness_check,
            due_at=task.due_at,
            key=f"effectiveness-check:{check.id}",
        )
        session.commit()
        return [n.id for n in queued if n.id is not None]


def check_of_task(session: Session, task_id: int) -> EffectivenessCheck:
    return session.exec(
        select(EffectivenessCheck).where(EffectivenessCheck.task_id == task_id)
    ).one()


def record_verdict(
    session: Session, task: Task, complaint: Complaint, verdict: EffectivenessVerdict, actor: Actor
) -> dict:
    """Quality's verdict on the check behind ``task`` (the caller finishes the task)."""
    check = check_of_task(session, id_of(task))
    now = utcnow()
    check.verdict = verdict.verdict
    check.reasoning = verdict.reasoning
    check.decided_by = actor.name
    check.decided_at = now
    session.add(check)
    effective = completes_quality_record(verdict.verdict)
    record_history(
        session,
        case_id=id_of(complaint),
        actor=actor.name,
        action=HistoryAction.effectiveness_recorded,
        changes={
            "round": check.round,
            "task_id": task.id,
            "verdict": verdict.verdict,
            "next_round": None if effective else check.round + 1,
        },
        reason=verdict.reasoning,
    )
    if effective:
        _complete_quality_record(session, complaint, actor.name, f"round {check.round} effective")
    return {"verdict": verdict.verdict.value, "reasoning": verdict.reasoning}


def _complete_quality_record(
    session: Session, complaint: Complaint, actor: str, why: str, at: datetime | None = None
) -> None:
    if complaint.quality_record_complete_at is not None:
        return
    touch(session, complaint, quality_record_complete_at=at or utcnow())
    record_history(
        session,
        case_id=id_of(complaint),
        actor=actor,
        action=HistoryAction.quality_record_completed,
        changes={"quality_record_complete_at": complaint.quality_record_complete_at},
        reason=why,
    )


def complete_record_if_nothing_to_correct(
    session: Session, complaint: Complaint, actor: str
) -> None:
    """At closing: a complaint quality found not valid or not worth investigating (or
    feedback), with no corrective action opened, needs no check; its record is complete."""
    corrective = session.exec(
        select(func.count())
        .select_from(CapaAction)
        .where(
            CapaAction.complaint_id == complaint.id,
            CapaAction.kind == ActionKind.corrective,
            CapaAction.status != ActionStatus.cancelled,
        )
    ).one()
    resolution = latest_resolution(session, id_of(complaint))
    valid = resolution.valid if resolution else None
    investigate = resolution.investigate if resolution else None
    if nothing_to_correct(valid, investigate, int(corrective)):
        why = "closed with nothing to correct"
        _complete_quality_record(session, complaint, actor, why, complaint.closed_at)
