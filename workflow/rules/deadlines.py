"""Due-date policy and the escalation ladder, as data."""

from dataclasses import dataclass

from models.enums import Department, EscalationLevel, Kind, Role, Severity, Step
from workflow.rules.permissions import Action


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
    (Step.subtask, None, None): _days(3),
    (Step.sales_review, None, None): _days(1),
    (Step.customer_reply, Kind.complaint, Severity.critical): _days(3),
    (Step.customer_reply, Kind.complaint, Severity.major): _days(10),
    (Step.customer_reply, Kind.complaint, Severity.minor): _days(20),
    (Step.customer_reply, None, None): _days(5),
    # An action's own due date is given when it is opened; this is the default.
    (Step.capa_action, None, None): _days(10),
    # From the last corrective action of a round to its effectiveness check (calendar days).
    (Step.effectiveness_wait, None, None): DeadlinePolicy(hours=60 * 24, business_time=False),
    (Step.effectiveness_check, None, None): _days(5),
    # From the resolution notice to closing it by itself when the customer stays silent.
    (Step.customer_acceptance, None, None): _days(10),
    (Step.inquiry_answer, None, None): _days(2),
    # Sales' triage of a mail complaint; untouched when due, it routes with the defaults.
    (Step.mail_triage, None, None): DeadlinePolicy(hours=4),
    # A notice we cannot mail: sales phones it to the customer.
    (Step.customer_call, None, None): _days(1),
    # Contract and order review: each department's answer, sales' decision once they have
    # answered, the general manager's approval of a special contract.
    (Step.department_review, None, None): _days(3),
    (Step.review_decision, None, None): _days(2),
    (Step.review_approval, None, None): _days(3),
}

# Clocks that are not ours to keep: when one falls due the system makes this transition
# (nobody is reminded or escalated to).
CLOSES_WHEN_DUE: dict[Step, Action] = {Step.customer_acceptance: Action.close_without_answer}
# A mail complaint nobody triaged in time routes with the mail intake's defaults.
ROUTES_WHEN_DUE: dict[Step, Action] = {Step.mail_triage: Action.route_untriaged}
SYSTEM_ACTS_WHEN_DUE = frozenset(CLOSES_WHEN_DUE) | frozenset(ROUTES_WHEN_DUE)


def match_policy(
    policies: dict[PolicyKey, DeadlinePolicy],
    step: Step,
    kind: Kind | None,
    severity: Severity | None,
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


@dataclass(frozen=True)
class Audience:
    """Who is told: the clock's owner (or its department's mailbox while nobody owns it), or
    the active users of a role, in the clock's department or in a given one."""

    owner: bool = False
    role: Role | None = None
    department: Department | None = None
    clock_department: bool = False


REMINDER_AUDIENCE = Audience(owner=True)
ESCALATION_LADDER: dict[EscalationLevel, Audience] = {
    EscalationLevel.assignee: Audience(owner=True),
    EscalationLevel.head_of_department: Audience(role=Role.manager, clock_department=True),
    EscalationLevel.quality_manager: Audience(role=Role.manager, department=Department.quality),
    EscalationLevel.general_manager: Audience(role=Role.general_manager),
}
TOP_LEVEL = max(ESCALATION_LADDER)
