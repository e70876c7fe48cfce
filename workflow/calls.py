"""Notices we cannot send: sales phones them to the customer and records the call.

A customer notice with no address to go to (no e-mail, no notification target) is kept in
the notice ledger on the ``phone`` channel as ``to_call`` and becomes a ``call_customer``
task for sales, on its own clock, carrying the text to read: the notice as it would have
been mailed, in the customer's language, and in English for the caller when that differs.
A call that reached the customer marks the row ``called`` (who, when) and finishes the
task; one that did not is an attempt in the history, and the task stays open.
"""

from datetime import UTC, datetime
from typing import Any

from sqlmodel import Session, select

from models.base import id_of
from models.call import CallRecord
from models.complaint import Complaint
from models.customer import Customer
from models.enums import HistoryAction
from models.notification import NoticeChannel, NoticeKind, NoticeStatus, Notification
from models.task import Task
from notifications.ledger import queue_notice
from notifications.templates import RenderedNotice, render_notice
from workflow import deadlines
from workflow.clock import utcnow
from workflow.history import record_history
from workflow.rules import (
    ACKNOWLEDGING_NOTICE,
    TASK_DEFINITIONS,
    Actor,
    Step,
    TaskKind,
    TaskStatus,
    is_finished,
)
from workflow.transitions import check_version, touch

CALLER_LANGUAGE = "en"  # the language the caller reads the notice in, beside the customer's
OPENED_BY = "flow:deliver-events"


def has_no_address(customer: Customer) -> bool:
    return not customer.email and not customer.notification_targets


def phone_notice(
    session: Session,
    complaint: Complaint,
    customer: Customer,
    kind: NoticeKind,
    context: dict[str, Any],
    key: str,
) -> Task | None:
    """Keep the notice as one to phone and open its call task; None if it exists already
    (a second delivery of the same event)."""
    dedupe_key = f"{key}:{kind.value}:phone"
    existing = session.exec(select(Notification).where(Notification.dedupe_key == dedupe_key))
    if existing.first() is not None:
        return None
    rendered = render_notice(kind, context)
    notice = queue_notice(
        session,
        case_id=id_of(complaint),
        kind=kind,
        channel=NoticeChannel.phone,
        recipient=customer.phone or customer.name,
        rendered=rendered,
        dedupe_key=dedupe_key,
    )
    notice.status = NoticeStatus.to_call
    session.add(notice)
    return _open_call_task(session, complaint, notice, _texts_to_read(kind, context, rendered))


def _texts_to_read(
    kind: NoticeKind, context: dict[str, Any], rendered: RenderedNotice
) -> dict[str, Any]:
    texts: dict[str, Any] = {
        "language": rendered.language,
        "subject": rendered.subject,
        "text": rendered.body_text,
    }
    if rendered.language != CALLER_LANGUAGE:
        english = render_notice(kind, {**context, "language": CALLER_LANGUAGE})
        texts.update(subject_en=english.subject, text_en=english.body_text)
    return texts


def _open_call_task(
    session: Session, complaint: Complaint, notice: Notification, texts: dict[str, Any]
) -> Task:
    definition = TASK_DEFINITIONS[TaskKind.call_customer]
    assert definition.department is not None
    now = utcnow()
    task = Task(
        case_id=id_of(complaint),
        department=definition.department,
        kind=TaskKind.call_customer,
        created_at=now,
        due_at=now,
        result={"notice_id": notice.id, "notice": notice.kind.value, **texts, "attempts": []},
    )
    session.add(task)
    session.flush()
    clock = deadlines.start_clock(
        session,
        complaint,
        definition.main_step,
        start=now,
        department=definition.department,
        cycle=complaint.cycle,
        task=task,
    )
    assert clock is not None, "no deadline policy for customer calls"
    task.due_at = clock.due_at
    session.add(task)
    record_history(
        session,
        case_id=id_of(complaint),
        actor=OPENED_BY,
        action=HistoryAction.task_opened,
        changes={
            "task_id": task.id,
            "department": task.department,
            "kind": task.kind,
            "due_at": task.due_at,
            "notice_id": notice.id,
            "notice": notice.kind,
        },
        reason=f"the customer has no e-mail address: sales phones the {_words(notice.kind)}",
    )
    return task


def _words(kind: NoticeKind) -> str:
    return kind.value.replace("_", " ")


def record_call(
    session: Session, task: Task, complaint: Complaint, call: CallRecord, actor: Actor
) -> dict[str, Any]:
    """The task's result with this call added; the notice is ``called`` if it reached the
    customer (the caller finishes the task then), else the attempt is in the history."""
    check_version(complaint, call.version)
    at = (call.called_at or utcnow()).astimezone(UTC)
    attempt = {
        "reached": call.reached,
        "at": at.isoformat(),
        "by": actor.name,
        "spoke_to": call.spoke_to,
        "note": call.note,
    }
    result = {**task.result, "attempts": [*task.result.get("attempts", []), attempt]}
    notice = session.get(Notification, task.result["notice_id"])
    assert notice is not None, f"call task {task.id} without its notice"
    notice.attempts = len(result["attempts"])
    session.add(notice)
    if call.reached:
        _mark_called(session, complaint, notice, actor.name, at)
    record_history(
        session,
        case_id=id_of(complaint),
        actor=actor.name,
        action=HistoryAction.customer_called if call.reached else HistoryAction.call_attempted,
        changes={
            "task_id": task.id,
            "notice_id": notice.id,
            "notice": notice.kind,
            "called_at": at,
            "attempt": notice.attempts,
            "spoke_to": call.spoke_to,  # personal: sealed apart, erased with the customer
        },
        reason=call.note,
    )
    return result


def _mark_called(
    session: Session, complaint: Complaint, notice: Notification, by: str, at: datetime
) -> None:
    notice.status = NoticeStatus.called
    notice.called_by = by
    notice.sent_at = at
    session.add(notice)
    if notice.kind.value == ACKNOWLEDGING_NOTICE:
        meet_acknowledgement(session, complaint, at)


def meet_acknowledgement(session: Session, complaint: Complaint, at: datetime) -> None:
    """The customer has been acknowledged (by mail, by phone, in person): once."""
    if complaint.acknowledged_at is None:
        touch(session, complaint, acknowledged_at=at)
        deadlines.stop_clocks(session, id_of(complaint), {Step.acknowledgement})


def close_acknowledgement_calls(
    session: Session, complaint: Complaint, actor: Actor, at: datetime, result: dict[str, Any]
) -> list[Task]:
    """Sales recorded the acknowledgement themselves: the call of it is done by that."""
    closed = []
    for task in _open_call_tasks(session, id_of(complaint)):
        notice = session.get(Notification, task.result.get("notice_id"))
        if notice is None or notice.kind.value != ACKNOWLEDGING_NOTICE:
            continue
        _mark_called(session, complaint, notice, actor.name, at)
        deadlines.stop_task_clocks(session, task)
        task.status = TaskStatus.done
        task.done_at = at
        task.completed_by_id = actor.user_id
        task.result = {**task.result, **result}
        session.add(task)
        closed.append(task)
    return closed


def _open_call_tasks(session: Session, complaint_id: int) -> list[Task]:
    tasks = session.exec(
        select(Task).where(Task.case_id == complaint_id, Task.kind == TaskKind.call_customer)
    )
    return [t for t in tasks if not is_finished(t.status)]
