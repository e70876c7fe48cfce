"""The complaint workflow's rules: states, transitions, who may act, and due-date policy.

Pure data and functions: no I/O, no FastAPI, no Prefect. The service layer
(``workflow.complaints``, ``workflow.tasks``, ``workflow.routing``) is the only code that
applies these rules to records; routes and flows call the services.
"""

from dataclasses import dataclass
from enum import IntEnum, StrEnum


class Kind(StrEnum):
    complaint = "complaint"
    feedback = "feedback"
    inquiry = "inquiry"
    praise = "praise"
    suggestion = "suggestion"


class Channel(StrEnum):
    phone = "phone"
    fax = "fax"
    email = "email"
    visit = "visit"
    web = "web"
    portal = "portal"


class Remedy(StrEnum):
    replace = "replace"
    repair = "repair"
    refund = "refund"
    credit = "credit"
    explanation = "explanation"
    other = "other"


class Severity(StrEnum):
    critical = "critical"
    major = "major"
    minor = "minor"


class Status(StrEnum):
    received = "received"
    with_quality = "with_quality"
    with_sales = "with_sales"
    resolved = "resolved"
    closed = "closed"
    reopened = "reopened"
    waiting_on_customer = "waiting_on_customer"


OPEN_STATUSES = frozenset(
    {
        Status.received,
        Status.with_quality,
        Status.with_sales,
        Status.reopened,
        Status.waiting_on_customer,
    }
)


class Department(StrEnum):
    sales = "sales"
    quality = "quality"
    technical = "technical"
    production = "production"
    procurement = "procurement"
    management = "management"


class Role(StrEnum):
    sales = "sales"
    quality = "quality"
    technical = "technical"
    production = "production"
    procurement = "procurement"
    manager = "manager"
    general_manager = "general_manager"
    admin = "admin"


class TaskKind(StrEnum):
    quality_assessment = "quality_assessment"
    sales_review = "sales_review"
    subtask = "subtask"


class TaskStatus(StrEnum):
    open = "open"
    claimed = "claimed"
    done = "done"
    cancelled = "cancelled"


OPEN_TASK_STATUSES = frozenset({TaskStatus.open, TaskStatus.claimed})


class Action(StrEnum):
    """Everything a person or the system may do to a complaint or its tasks."""

    log_complaint = "log_complaint"
    read_complaints = "read_complaints"
    route_to_quality = "route_to_quality"
    close_as_feedback = "close_as_feedback"
    claim_task = "claim_task"
    return_result = "return_result"
    approve_result = "approve_result"
    send_back_to_quality = "send_back_to_quality"
    resolve = "resolve"
    record_acceptance = "record_acceptance"
    reopen = "reopen"
    wait_for_customer = "wait_for_customer"
    resume_after_customer = "resume_after_customer"
    read_overdue = "read_overdue"
    read_reports = "read_reports"
    manage_policies = "manage_policies"
    release_notices = "release_notices"
    verify_history = "verify_history"
    manage_users = "manage_users"
    retry_events = "retry_events"


class EventKind(StrEnum):
    """Outbox events: each is handled once by a flow (``flows/deliver_events.py``)."""

    complaint_logged = "complaint.logged"
    result_returned = "complaint.result_returned"
    sent_back = "complaint.sent_back"
    approved = "complaint.approved"
    reopened = "complaint.reopened"


SYSTEM = "system"  # actor role of the flows
CUSTOMER = "customer"  # actor role of a customer answering on their status page

STAFF_ROLES = frozenset(Role)
DEPARTMENT_WORKERS = frozenset(
    {Role.sales, Role.quality, Role.technical, Role.production, Role.procurement}
)
OVERSEERS = frozenset({Role.manager, Role.general_manager, Role.admin})

PERMISSIONS: dict[Action, frozenset[str]] = {
    Action.log_complaint: frozenset({Role.sales, Role.admin}),
    Action.read_complaints: STAFF_ROLES,
    Action.claim_task: DEPARTMENT_WORKERS,
    Action.return_result: frozenset({Role.quality}),
    Action.approve_result: frozenset({Role.sales}),
    Action.send_back_to_quality: frozenset({Role.sales}),
    Action.record_acceptance: frozenset({Role.sales, CUSTOMER}),
    Action.reopen: frozenset({Role.sales, CUSTOMER}),
    Action.wait_for_customer: frozenset({Role.sales, Role.quality}),
    Action.resume_after_customer: frozenset({Role.sales, Role.quality}),
    Action.read_overdue: OVERSEERS,
    Action.read_reports: OVERSEERS,
    Action.manage_policies: frozenset({Role.admin}),
    Action.release_notices: frozenset({Role.admin}),
    Action.verify_history: frozenset({Role.admin}),
    Action.manage_users: frozenset({Role.admin}),
    Action.retry_events: frozenset({Role.admin}),
    Action.route_to_quality: frozenset({SYSTEM}),
    Action.close_as_feedback: frozenset({SYSTEM}),
    Action.resolve: frozenset({SYSTEM}),
}


KEEP = "keep"  # a transition that leaves the department (or the status) as it was
RESUME = "resume"  # target of the transition back to the status before a wait


@dataclass(frozen=True)
class Transition:
    action: Action
    sources: frozenset[Status]
    target: Status | str
    department: Department | str | None


TRANSITIONS: dict[Action, Transition] = {
    t.action: t
    for t in (
        Transition(
            Action.route_to_quality,
            frozenset({Status.received, Status.reopened}),
            Status.with_quality,
            Department.quality,
        ),
        Transition(Action.close_as_feedback, frozenset({Status.received}), Status.closed, None),
        Transition(
            Action.return_result,
            frozenset({Status.with_quality}),
            Status.with_sales,
            Department.sales,
        ),
        Transition(
            Action.send_back_to_quality,
            frozenset({Status.with_sales}),
            Status.with_quality,
            Department.quality,
        ),
        Transition(
            Action.resolve, frozenset({Status.with_sales}), Status.resolved, Department.sales
        ),
        Transition(Action.record_acceptance, frozenset({Status.resolved}), Status.closed, None),
        Transition(
            Action.reopen, frozenset({Status.resolved}), Status.reopened, Department.quality
        ),
        Transition(
            Action.wait_for_customer,
            frozenset({Status.with_quality, Status.with_sales}),
            Status.waiting_on_customer,
            KEEP,
        ),
        Transition(
            Action.resume_after_customer, frozenset({Status.waiting_on_customer}), RESUME, KEEP
        ),
    )
}


class RuleViolation(Exception):
    """A rule of the workflow forbids what was asked (maps to 409)."""


class NotAllowed(Exception):
    """The actor's role may not do this (maps to 403)."""


def may(role: str, action: Action) -> bool:
    return role in PERMISSIONS.get(action, frozenset())


def require_permission(role: str, action: Action) -> None:
    if not may(role, action):
        raise NotAllowed(f"role {role!r} may not {action.value.replace('_', ' ')}")


def next_status(current: Status, action: Action) -> Transition:
    """The transition ``action`` makes from ``current``, or RuleViolation if none."""
    transition = TRANSITIONS.get(action)
    if transition is None:
        raise RuleViolation(f"{action.value} is not a state change")
    if current not in transition.sources:
        raise RuleViolation(
            f"cannot {action.value.replace('_', ' ')} a complaint that is {current.value}"
        )
    return transition


def needs_investigation(kind: Kind) -> bool:
    """Only complaints go through quality's assessment; other feedback takes the short path."""
    return kind is Kind.complaint


def may_work_task(role: str, user_department: str | None, task_department: str) -> bool:
    """Department workers act only on their own department's tasks."""
    return role in DEPARTMENT_WORKERS and user_department == task_department


TASK_COMPLETION_ACTION = {
    TaskKind.quality_assessment: Action.return_result,
    TaskKind.sales_review: Action.approve_result,
}


class Step(StrEnum):
    """The clocked steps of a complaint; each runs on a deadline policy."""

    acknowledgement = "acknowledgement"
    first_assessment = "first_assessment"
    containment = "containment"
    quality_result = "quality_result"
    sales_review = "sales_review"
    customer_reply = "customer_reply"


TASK_STEP = {
    TaskKind.quality_assessment: Step.quality_result,
    TaskKind.sales_review: Step.sales_review,
}


class EscalationLevel(IntEnum):
    """Who hears of a breach, one level at a time."""

    none = 0
    assignee = 1
    head_of_department = 2
    quality_manager = 3
    general_manager = 4


@dataclass(frozen=True)
class DeadlinePolicy:
    hours: float
    business_time: bool = True
    reminder_fraction: float = 0.75
    escalation_interval_hours: float = 4.0


PolicyKey = tuple[Step, Kind | None, Severity | None]

BUSINESS_DAY_HOURS = 9


def _days(days: float) -> DeadlinePolicy:
    return DeadlinePolicy(hours=days * BUSINESS_DAY_HOURS)


# The defaults of the domain brief; admins override them per step, kind and severity.
DEFAULT_POLICIES: dict[PolicyKey, DeadlinePolicy] = {
    (Step.acknowledgement, None, None): DeadlinePolicy(hours=1, escalation_interval_hours=1),
    (Step.first_assessment, Kind.complaint, None): _days(1),
    (Step.containment, Kind.complaint, Severity.critical): DeadlinePolicy(
        hours=24, business_time=False, escalation_interval_hours=2
    ),
    (Step.quality_result, Kind.complaint, Severity.critical): _days(2),
    (Step.quality_result, Kind.complaint, Severity.major): _days(9),
    (Step.quality_result, Kind.complaint, Severity.minor): _days(19),
    (Step.sales_review, None, None): _days(1),
    (Step.customer_reply, Kind.complaint, Severity.critical): _days(3),
    (Step.customer_reply, Kind.complaint, Severity.major): _days(10),
    (Step.customer_reply, Kind.complaint, Severity.minor): _days(20),
    (Step.customer_reply, None, None): _days(5),
}


def match_policy(
    policies: dict[PolicyKey, DeadlinePolicy], step: Step, kind: Kind, severity: Severity
) -> DeadlinePolicy | None:
    """The most specific policy for the step: kind and severity, kind, severity, any."""
    for key in (
        (step, kind, severity),
        (step, kind, None),
        (step, None, severity),
        (step, None, None),
    ):
        if key in policies:
            return policies[key]
    return None
