"""Use cases on tasks: claim one, complete it (milestones: milestones.py; sub-tasks: subtasks.py).

Every check of who may do what, in which state, is asked of the rules
(``require_task_action``); these functions lock, apply and commit once.
"""

from sqlmodel import Session, col, select

from models.base import id_of
from models.call import CallRecord
from models.complaint import Complaint
from models.enums import HistoryAction, TaskKind
from models.resolution import Resolution
from models.review import DepartmentReviewAnswer
from models.task import (
    ActionDone,
    Completion,
    EffectivenessVerdict,
    InquiryAnswer,
    QualityResult,
    SalesReview,
    SubtaskAnswer,
    Task,
)
from models.triage import MailTriage
from workflow import calls, capa, deadlines, effectiveness, notices, reviews
from workflow.cases import CaseRecord
from workflow.clock import utcnow
from workflow.errors import InvalidInput, NotFound, RuleViolation
from workflow.facts import facts_of, task_facts
from workflow.history import record_history
from workflow.quality_codes import result_codes
from workflow.resolutions import latest_resolution
from workflow.rules import (
    TASK_DEFINITIONS,
    Action,
    Actor,
    Step,
    TaskStatus,
    is_finished,
    require_permission,
    require_task_action,
)
from workflow.severity import apply_severity_change
from workflow.task_work import claim, close_task, take_task
from workflow.transitions import apply_transition, check_version, lock_complaint_by_id
from workflow.triage import apply_triage


def lock_task_and_complaint(session: Session, task_id: int) -> tuple[Task, Complaint]:
    """Lock in one order everywhere (complaint, then task) so two writers never deadlock."""
    task = session.get(Task, task_id)
    if task is None:
        raise NotFound(f"no task {task_id}")
    if task.kind is TaskKind.department_review:
        raise RuleViolation(
            f"task {task_id} is a department's review of a contract: claim it or answer it "
            "(kind department_review)"
        )
    complaint = lock_complaint_by_id(session, task.case_id)
    task = session.exec(select(Task).where(Task.id == task_id).with_for_update()).one()
    return task, complaint


def locked_for_action(
    session: Session, task_id: int, action: Action, actor: Actor
) -> tuple[Task, Complaint]:
    """The task and its complaint, locked, once the rules allow ``action`` on them."""
    require_permission(actor.role, action)
    task, complaint = lock_task_and_complaint(session, task_id)
    require_task_action(action, task_facts(task), facts_of(complaint), actor)
    return task, complaint


def locked_for_handover(
    session: Session, task_id: int, action: Action, actor: Actor
) -> tuple[Task, CaseRecord]:
    """The task and its case (a complaint or a contract review), locked, once the rules
    allow handing the task on (``assign_task``, ``unclaim_task``); each process's rules ask
    the role first."""
    if _is_review_task(session, task_id):
        return reviews.locked_task_for(session, task_id, action, actor)
    return locked_for_action(session, task_id, action, actor)


def claim_task(session: Session, *, task_id: int, actor: Actor) -> Task:
    require_permission(actor.role, Action.claim_task)
    if _is_review_task(session, task_id):
        return reviews.claim_review_task(session, task_id, actor)
    task, complaint = lock_task_and_complaint(session, task_id)
    if task.status is TaskStatus.claimed and task.assignee_id == actor.user_id:
        return task  # already this actor's: claiming again changes nothing
    require_task_action(Action.claim_task, task_facts(task), facts_of(complaint), actor)
    claim(session, task, id_of(complaint), actor)
    session.commit()
    return task


def _finish(session: Session, task: Task, actor: Actor, result: dict) -> None:
    take_task(session, task, actor)
    close_task(session, task, actor, TaskStatus.done, result)


def _return_quality_result(
    session: Session, task: Task, complaint: Complaint, result: QualityResult, actor: Actor
) -> None:
    changes, noted = result_codes(session, complaint, result)
    old_severity = complaint.severity
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
        noted=noted,
    )
    apply_severity_change(session, complaint, old_severity, task=task, actor=actor)
    resolution = Resolution.model_validate(
        result.model_dump(exclude={"kind", "severity", "version", "defect_code", "cause_code"}),
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


def _review_result(
    session: Session, task: Task, complaint: Complaint, review: SalesReview, actor: Actor
) -> None:
    resolution = latest_resolution(session, id_of(complaint))
    if resolution is None:
        raise RuleViolation(f"quality has not answered {complaint.reference}")
    if review.approved:
        resolution.approved_by = actor.name
        resolution.approved_at = utcnow()
    resolution.review_comment = review.comment
    session.add(resolution)
    apply_transition(
        session,
        complaint,
        action=_completion_action(review),
        actor=actor,
        reason=review.comment,
        expected_version=review.version,
        noted={"revision": resolution.revision},
    )
    _finish(session, task, actor, review.model_dump(mode="json", exclude={"version"}))


def _answer_subtask(
    session: Session, task: Task, complaint: Complaint, answer: SubtaskAnswer, actor: Actor
) -> None:
    check_version(complaint, answer.version)
    _finish(session, task, actor, {**task.result, "answer": answer.answer})


def _complete_action(
    session: Session, task: Task, complaint: Complaint, done: ActionDone, actor: Actor
) -> None:
    check_version(complaint, done.version)
    _finish(session, task, actor, capa.record_action_done(session, task, complaint, done, actor))


def _record_effectiveness(
    session: Session, task: Task, complaint: Complaint, verdict: EffectivenessVerdict, actor: Actor
) -> None:
    check_version(complaint, verdict.version)
    result = effectiveness.record_verdict(session, task, complaint, verdict, actor)
    _finish(session, task, actor, result)


def _answer_inquiry(
    session: Session, task: Task, complaint: Complaint, answer: InquiryAnswer, actor: Actor
) -> None:
    """The answer goes to the customer in their language, and the inquiry is closed."""
    apply_transition(
        session,
        complaint,
        action=Action.answer_inquiry,
        actor=actor,
        changes={"due_at": None},
        reason=f"inquiry answered by {task.department.value}",
        expected_version=answer.version,
        noted={"task_id": task.id},
    )
    deadlines.stop_clocks(session, id_of(complaint), {Step.customer_reply})
    _finish(session, task, actor, {"answer": answer.answer, "answered_by": actor.name})
    notices.answer_inquiry(session, complaint, answer.answer, key=f"inquiry-{task.id}")


def _triage_mail(
    session: Session, task: Task, complaint: Complaint, triage: MailTriage, actor: Actor
) -> None:
    """Sales say what the mail is; the ``triaged`` event routes it (workflow/triage.py)."""
    _finish(session, task, actor, apply_triage(session, task, complaint, triage, actor))


def _record_call(
    session: Session, task: Task, complaint: Complaint, call: CallRecord, actor: Actor
) -> None:
    """Reached: the task is done. Not reached: it stays open, the caller's, for another try."""
    result = calls.record_call(session, task, complaint, call, actor)
    if call.reached:
        _finish(session, task, actor, result)
    else:
        take_task(session, task, actor)
        task.result = result


COMPLETERS = {
    QualityResult: _return_quality_result,
    SalesReview: _review_result,
    SubtaskAnswer: _answer_subtask,
    ActionDone: _complete_action,
    EffectivenessVerdict: _record_effectiveness,
    InquiryAnswer: _answer_inquiry,
    MailTriage: _triage_mail,
    CallRecord: _record_call,
}


def _completion_action(completion: Completion) -> Action:
    if isinstance(completion, QualityResult):
        return Action.return_result
    if isinstance(completion, SalesReview):
        return Action.approve_result if completion.approved else Action.send_back_to_quality
    if isinstance(completion, ActionDone):
        return Action.complete_action
    if isinstance(completion, EffectivenessVerdict):
        return Action.record_effectiveness
    if isinstance(completion, InquiryAnswer):
        return Action.answer_inquiry
    if isinstance(completion, MailTriage):
        return Action.triage_mail
    if isinstance(completion, CallRecord):
        return Action.record_call
    return Action.answer_subtask


def _is_review_task(session: Session, task_id: int) -> bool:
    task = session.get(Task, task_id)
    return task is not None and task.kind is TaskKind.department_review


def complete_task(session: Session, *, task_id: int, completion: Completion, actor: Actor) -> Task:
    """Dispatch on the task's process: a contract review's department answer goes to
    ``workflow.reviews``; a complaint's tasks are completed here."""
    if isinstance(completion, DepartmentReviewAnswer) and _is_review_task(session, task_id):
        return reviews.answer_department_review(session, task_id, completion, actor)
    task, complaint = lock_task_and_complaint(session, task_id)
    expected = TASK_DEFINITIONS[task.kind].answer_kind
    if completion.kind != expected:
        kind = task.kind.value.replace("_", " ")
        raise InvalidInput("kind", f"task {task_id} is a {kind} task: its answer is {expected}")
    facts = task_facts(task, subtasks_of(session, task_id))
    require_task_action(_completion_action(completion), facts, facts_of(complaint), actor)
    COMPLETERS[type(completion)](session, task, complaint, completion, actor)  # type: ignore[operator]
    if not is_finished(task.status):  # a call that did not reach the customer
        session.commit()
        return task
    record_history(
        session,
        case_id=id_of(complaint),
        actor=actor.name,
        action=HistoryAction.task_completed,
        changes={"task_id": task.id, "kind": task.kind},
    )
    session.commit()
    return task


def subtasks_of(session: Session, task_id: int) -> list[Task]:
    return list(
        session.exec(select(Task).where(Task.parent_task_id == task_id).order_by(col(Task.id)))
    )
