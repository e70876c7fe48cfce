"""Use cases on tasks: claim one, complete one with its result, ask another department."""

import uuid

from sqlmodel import Session, col, select

from models.complaint import Complaint
from models.resolution import Resolution
from models.task import (
    Assessment,
    Containment,
    QualityResult,
    SalesReview,
    SubtaskAnswer,
    SubtaskRequest,
    Task,
)
from workflow import deadlines
from workflow.calendar import company_calendar
from workflow.clock import utcnow
from workflow.complaints import InvalidInput
from workflow.errors import NotAllowed, NotFound, RuleViolation
from workflow.history import record_history
from workflow.notices import announce_task
from workflow.outbox import emit_event
from workflow.rules import (
    BUSINESS_DAY_HOURS,
    OPEN_TASK_STATUSES,
    Action,
    EventKind,
    Status,
    Step,
    TaskKind,
    TaskStatus,
    may_work_task,
    require_permission,
)
from workflow.transitions import Actor, apply_transition, check_version, lock_complaint_by_id


def _lock_task_and_complaint(
    session: Session, task_id: int, actor: Actor
) -> tuple[Task, Complaint]:
    """Lock in one order everywhere (complaint, then task) so two writers never deadlock."""
    task = session.get(Task, task_id)
    if task is None:
        raise NotFound(f"no task {task_id}")
    complaint = lock_complaint_by_id(session, task.complaint_id)
    task = session.exec(select(Task).where(Task.id == task_id).with_for_update()).one()
    if not may_work_task(actor.role, actor.department, task.department):
        raise NotAllowed(f"task {task_id} belongs to {task.department.value}")
    if task.status not in OPEN_TASK_STATUSES:
        raise RuleViolation(f"task {task_id} is {task.status.value}")
    if task.assignee_id not in (None, actor.user_id):
        raise RuleViolation(f"task {task_id} is claimed by someone else")
    return task, complaint


def _take(session: Session, task: Task, actor: Actor) -> None:
    if task.status is TaskStatus.open:
        task.status = TaskStatus.claimed
        task.assignee_id = actor.user_id
        task.claimed_at = utcnow()
        deadlines.assign_clocks(session, task, actor.user_id)


def claim_task(session: Session, *, task_id: int, actor: Actor) -> Task:
    require_permission(actor.role, Action.claim_task)
    task, complaint = _lock_task_and_complaint(session, task_id, actor)
    if task.status is TaskStatus.claimed:
        return task  # already this actor's: claiming again changes nothing
    _take(session, task, actor)
    session.add(task)
    record_history(
        session,
        complaint_id=complaint.id,
        actor=actor.name,
        action="task_claimed",
        changes={"task_id": task.id, "kind": task.kind, "assignee": actor.name},
    )
    session.commit()
    return task


TASK_CLOCKS = {
    TaskKind.quality_assessment: {Step.quality_result, Step.first_assessment, Step.containment},
    TaskKind.sales_review: {Step.sales_review},
}


def _finish(session: Session, task: Task, actor: Actor, result: dict) -> None:
    _take(session, task, actor)
    deadlines.stop_clocks(session, task.complaint_id, TASK_CLOCKS.get(task.kind, set()))
    task.status = TaskStatus.done
    task.done_at = utcnow()
    task.completed_by_id = actor.user_id
    task.result = result
    session.add(task)


def _return_quality_result(
    session: Session, task: Task, complaint: Complaint, result: QualityResult, actor: Actor
) -> None:
    if task.kind is not TaskKind.quality_assessment:
        raise InvalidInput("kind", f"task {task.id} is a {task.kind.value} task")
    changes = {}
    if result.severity is not None and result.severity is not complaint.severity:
        changes["severity"] = result.severity
    apply_transition(
        session,
        complaint,
        action=Action.return_result,
        actor=actor,
        changes=changes,
        reason=result.no_investigation_reason,
        expected_version=result.version,
    )
    resolution = Resolution.model_validate(
        result.model_dump(exclude={"kind", "severity", "version"}),
        update={
            "complaint_id": complaint.id,
            "revision": complaint.cycle,
            "severity": complaint.severity,
            "decided_by": actor.name,
            "decided_at": utcnow(),
        },
    )
    session.add(resolution)
    _finish(session, task, actor, result.model_dump(mode="json", exclude={"version"}))
    emit_event(session, complaint_id=complaint.id, kind=EventKind.result_returned)  # type: ignore[arg-type]


def _latest_resolution(session: Session, complaint: Complaint) -> Resolution:
    resolution = session.exec(
        select(Resolution)
        .where(Resolution.complaint_id == complaint.id)
        .order_by(col(Resolution.revision).desc())
    ).first()
    if resolution is None:
        raise RuleViolation(f"quality has not answered {complaint.reference}")
    return resolution


def _review_result(
    session: Session, task: Task, complaint: Complaint, review: SalesReview, actor: Actor
) -> None:
    if task.kind is not TaskKind.sales_review:
        raise InvalidInput("kind", f"task {task.id} is a {task.kind.value} task")
    resolution = _latest_resolution(session, complaint)
    if review.approved:
        require_permission(actor.role, Action.approve_result)
        check_version(complaint, review.version)
        if complaint.status is not Status.with_sales:
            raise RuleViolation(f"cannot approve a complaint that is {complaint.status.value}")
        resolution.approved_by = actor.name
        resolution.approved_at = utcnow()
        record_history(
            session,
            complaint_id=complaint.id,
            actor=actor.name,
            action="result_approved",
            changes={"revision": resolution.revision},
            reason=review.comment,
        )
        event = EventKind.approved
    else:
        apply_transition(
            session,
            complaint,
            action=Action.send_back_to_quality,
            actor=actor,
            reason=review.comment,
            expected_version=review.version,
        )
        event = EventKind.sent_back
    resolution.review_comment = review.comment
    session.add(resolution)
    _finish(session, task, actor, review.model_dump(mode="json", exclude={"version"}))
    emit_event(session, complaint_id=complaint.id, kind=event)  # type: ignore[arg-type]


def _answer_subtask(
    session: Session, task: Task, complaint: Complaint, answer: SubtaskAnswer, actor: Actor
) -> None:
    if task.kind is not TaskKind.subtask:
        raise InvalidInput("kind", f"task {task.id} is a {task.kind.value} task")
    check_version(complaint, answer.version)
    _finish(session, task, actor, {**task.result, "answer": answer.answer})


def complete_task(
    session: Session,
    *,
    task_id: int,
    completion: QualityResult | SalesReview | SubtaskAnswer,
    actor: Actor,
) -> Task:
    task, complaint = _lock_task_and_complaint(session, task_id, actor)
    if isinstance(completion, QualityResult):
        _return_quality_result(session, task, complaint, completion, actor)
    elif isinstance(completion, SalesReview):
        _review_result(session, task, complaint, completion, actor)
    else:
        _answer_subtask(session, task, complaint, completion, actor)
    record_history(
        session,
        complaint_id=complaint.id,
        actor=actor.name,
        action="task_completed",
        changes={"task_id": task.id, "kind": task.kind},
    )
    session.commit()
    return task


def _record_quality_milestone(
    session: Session, *, task_id: int, actor: Actor, step: Step, fields: dict
) -> Task:
    require_permission(actor.role, Action.return_result)
    task, complaint = _lock_task_and_complaint(session, task_id, actor)
    if task.kind is not TaskKind.quality_assessment:
        raise InvalidInput("task_id", f"task {task_id} is a {task.kind.value} task")
    _take(session, task, actor)
    task.result = {**task.result, step.value: fields}
    session.add(task)
    deadlines.stop_clocks(session, complaint.id, {step})  # type: ignore[arg-type]
    record_history(
        session,
        complaint_id=complaint.id,
        actor=actor.name,
        action=f"{step.value}_recorded",
        changes={"task_id": task.id, **fields},
    )
    session.commit()
    return task


def record_assessment(
    session: Session, *, task_id: int, assessment: Assessment, actor: Actor
) -> Task:
    """Quality's first decision: valid, severity, investigate or why not. Meets its clock."""
    return _record_quality_milestone(
        session,
        task_id=task_id,
        actor=actor,
        step=Step.first_assessment,
        fields=assessment.model_dump(mode="json"),
    )


def record_containment(
    session: Session, *, task_id: int, containment: Containment, actor: Actor
) -> Task:
    return _record_quality_milestone(
        session,
        task_id=task_id,
        actor=actor,
        step=Step.containment,
        fields=containment.model_dump(mode="json"),
    )


def open_subtask(session: Session, *, task_id: int, request: SubtaskRequest, actor: Actor) -> Task:
    """Quality, working its assessment task, asks another department for a finding."""
    require_permission(actor.role, Action.return_result)
    task, complaint = _lock_task_and_complaint(session, task_id, actor)
    if task.kind is not TaskKind.quality_assessment:
        raise InvalidInput("task_id", f"task {task_id} is a {task.kind.value} task")
    _take(session, task, actor)
    now = utcnow()
    subtask = Task(
        complaint_id=complaint.id,  # type: ignore[arg-type]
        department=request.department,
        kind=TaskKind.subtask,
        source_event_id=str(uuid.uuid4()),
        created_at=now,
        due_at=company_calendar().add_business_hours(
            now, request.business_days * BUSINESS_DAY_HOURS
        ),
        result={"request": request.request, "requested_by": actor.name, "parent_task_id": task_id},
    )
    session.add_all([task, subtask])
    session.flush()
    record_history(
        session,
        complaint_id=complaint.id,
        actor=actor.name,
        action="subtask_opened",
        changes={
            "task_id": subtask.id,
            "department": request.department,
            "request": request.request,
            "due_at": subtask.due_at,
        },
    )
    announce_task(
        session,
        complaint,
        department=request.department.value,
        task_kind=TaskKind.subtask,
        due_at=subtask.due_at,
        key=f"subtask:{subtask.id}",
    )
    session.commit()
    return subtask


def subtasks_of(session: Session, task_id: int) -> list[Task]:
    task = session.get(Task, task_id)
    if task is None:
        return []
    rows = session.exec(
        select(Task)
        .where(Task.complaint_id == task.complaint_id, Task.kind == TaskKind.subtask)
        .order_by(col(Task.id))
    ).all()
    return [t for t in rows if t.result.get("parent_task_id") == task_id]
