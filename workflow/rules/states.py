"""The complaint's states and the transitions between them, as data."""

from enum import StrEnum

from models.enums import Department, Kind, Status
from workflow.errors import RuleViolation
from workflow.rules.permissions import Action, may
from workflow.rules.process import KEEP, RESUME, ProcessDefinition, Transition, transition

OPEN_STATUSES = frozenset(
    {
        Status.received,
        Status.with_quality,
        Status.with_sales,
        Status.approved,
        Status.reopened,
        Status.waiting_on_customer,
    }
)


class EventKind(StrEnum):
    """Outbox events: each is handled once by a flow (``flows/deliver_events.py``)."""

    complaint_logged = "complaint.logged"
    result_returned = "complaint.result_returned"
    sent_back = "complaint.sent_back"
    approved = "complaint.approved"
    reopened = "complaint.reopened"
    triaged = "complaint.triaged"


# Ended by a person (withdrawn, duplicate): events still waiting for them are not acted on.
ENDED_BY_PERSON = frozenset({Status.withdrawn, Status.duplicate})

_t = transition

TRANSITIONS: dict[Action, Transition[Status]] = {
    t.action: t
    for t in (
        _t(
            Action.route_to_quality,
            {Status.received, Status.reopened},
            Status.with_quality,
            Department.quality,
        ),
        _t(Action.close_as_feedback, {Status.received}, Status.closed, None),
        # An inquiry is answered by sales (or the department sales passes it to), then closed.
        _t(Action.route_inquiry, {Status.received}, Status.with_sales, Department.sales),
        _t(Action.answer_inquiry, {Status.with_sales}, Status.closed, None),
        # A complaint made from a mail waits in received for sales' triage (kind, severity,
        # product), or the system's defaults when the triage clock falls due; then it routes.
        _t(Action.triage_mail, {Status.received}, Status.received, KEEP, EventKind.triaged),
        _t(Action.route_untriaged, {Status.received}, Status.received, KEEP, EventKind.triaged),
        _t(
            Action.return_result,
            {Status.with_quality},
            Status.with_sales,
            Department.sales,
            EventKind.result_returned,
        ),
        _t(
            Action.send_back_to_quality,
            {Status.with_sales},
            Status.with_quality,
            Department.quality,
            EventKind.sent_back,
        ),
        _t(
            Action.approve_result,
            {Status.with_sales},
            Status.approved,
            Department.sales,
            EventKind.approved,
        ),
        _t(Action.resolve, {Status.approved}, Status.resolved, Department.sales),
        _t(Action.record_acceptance, {Status.resolved}, Status.closed, None),
        # The system, when the customer's answer to the resolution is overdue (CLOSES_WHEN_DUE).
        _t(Action.close_without_answer, {Status.resolved}, Status.closed, None),
        # From closed only after a closing without the customer's answer, within the window
        # the closing notice promises (``complaint_refusal`` asks the facts).
        _t(
            Action.reopen,
            {Status.resolved, Status.closed},
            Status.reopened,
            Department.quality,
            EventKind.reopened,
        ),
        _t(
            Action.wait_for_customer,
            {Status.with_quality, Status.with_sales},
            Status.waiting_on_customer,
            KEEP,
        ),
        _t(Action.resume_after_customer, {Status.waiting_on_customer}, RESUME, KEEP),
        # Ended by a person, with a reason: nothing more is owed on them.
        _t(Action.withdraw, set(OPEN_STATUSES), Status.withdrawn, None),
        _t(Action.mark_duplicate, set(OPEN_STATUSES), Status.duplicate, None),
    )
}


# The closings after which the customer is invited, once, to rate how it went.
RATING_INVITED_AFTER = frozenset({Action.record_acceptance, Action.close_without_answer})


COMPLAINT_PROCESS = ProcessDefinition(
    name="complaint",
    statuses=Status,
    open_statuses=OPEN_STATUSES,
    transitions=TRANSITIONS,
    waiting=Status.waiting_on_customer,
    resume_default=Status.with_quality,
)


def state_refusal(current: Status, action: Action) -> RuleViolation | None:
    return COMPLAINT_PROCESS.refusal(current, action)


def next_status(current: Status, action: Action) -> Transition[Status]:
    """The transition ``action`` makes from ``current``, or RuleViolation if none."""
    return COMPLAINT_PROCESS.next_status(current, action)


def is_open(status: Status) -> bool:
    """Does the company still owe the customer something on it?"""
    return status in OPEN_STATUSES


def erasure_refusal(status: Status) -> str | None:
    """Why a customer's personal data cannot be erased while they have a complaint in
    ``status``, or None: the company still owes them an answer, or waits for theirs."""
    if is_open(status) or status is Status.resolved:
        return (
            f"it is {status.value.replace('_', ' ')}: the customer is still owed an answer or "
            "asked for one, which needs their contact details; close or withdraw it first"
        )
    return None


def needs_investigation(kind: Kind) -> bool:
    """Only complaints go through quality's assessment; other feedback takes the short path."""
    return kind is Kind.complaint


def needs_an_answer(kind: Kind) -> bool:
    """An inquiry asks something: it is answered on a task, not closed at intake."""
    return kind is Kind.inquiry


def intake_action(kind: Kind) -> Action:
    """Complaints are logged by sales; feedback (praise, suggestions, inquiries) by whoever
    hears it, technical service and quality too."""
    return Action.log_complaint if kind is Kind.complaint else Action.log_feedback


def intake_kinds(role: str) -> list[Kind]:
    """The kinds ``role`` may log: what the intake form offers them."""
    return [kind for kind in Kind if may(role, intake_action(kind))]


# Feedback quality reads (praise, suggestions); inquiries are answered instead.
FEEDBACK_TO_READ = frozenset({Kind.praise, Kind.suggestion, Kind.feedback})


def read_refusal(kind: Kind, already_read: bool) -> RuleViolation | None:
    if kind not in FEEDBACK_TO_READ:
        return RuleViolation(f"a {kind.value} is not feedback to read: it has its own path")
    if already_read:
        return RuleViolation("this feedback has been marked read already")
    return None
