"""Corrective and preventive actions and their effectiveness checks, as rules: which
departments own actions, what may be done on an action in which state, when a round's
corrective actions call for a check, and what a verdict does."""

from dataclasses import dataclass

from models.enums import ActionKind, ActionStatus, Department, Verdict
from workflow.errors import RuleViolation
from workflow.rules.permissions import Action, Actor, permission_refusal
from workflow.rules.tasks import TASK_DEFINITIONS

# The departments whose people work tasks; management owns no action.
ACTION_DEPARTMENTS = (
    Department.quality,
    Department.technical,
    Department.production,
    Department.procurement,
    Department.sales,
)
# The clocks of the quality loop's work, which runs on after the customer's answer.
QUALITY_LOOP_STEPS = frozenset(
    d.main_step for d in TASK_DEFINITIONS.values() if d.outlives_complaint
)
# What is done on an action itself (its completion is asked of its task).
ON_AN_ACTION = (Action.cancel_action,)


@dataclass(frozen=True)
class CapaFacts:
    id: int
    kind: ActionKind
    status: ActionStatus


@dataclass(frozen=True)
class RoundFacts:
    """The actions of one corrective-action round, and whether its check exists already."""

    kinds_and_statuses: tuple[tuple[ActionKind, ActionStatus], ...]
    check_scheduled: bool


def action_department_refusal(department: Department) -> str | None:
    if department in ACTION_DEPARTMENTS:
        return None
    names = ", ".join(d.value for d in ACTION_DEPARTMENTS)
    return f"actions are owned by {names}"


def capa_refusal(action: Action, capa: CapaFacts, actor: Actor) -> Exception | None:
    refusal = permission_refusal(actor.role, action)
    if refusal is not None:
        return refusal
    if capa.status is not ActionStatus.open:
        return RuleViolation(
            f"action {capa.id} is {capa.status.value}: only an open one can change"
        )
    return None


def available_capa_actions(capa: CapaFacts, actor: Actor) -> frozenset[Action]:
    return frozenset(a for a in ON_AN_ACTION if capa_refusal(a, capa, actor) is None)


def require_capa_action(action: Action, capa: CapaFacts, actor: Actor) -> None:
    refusal = capa_refusal(action, capa, actor)
    if refusal is not None:
        raise refusal


def corrective_round_closed(round_: RoundFacts) -> bool:
    """The round's check is due to be scheduled: no corrective action of it is open, at least
    one is done, and no check is scheduled for it yet."""
    corrective = [s for k, s in round_.kinds_and_statuses if k is ActionKind.corrective]
    return (
        not round_.check_scheduled
        and ActionStatus.open not in corrective
        and ActionStatus.done in corrective
    )


def opening_refusal(kind: ActionKind, check_pending: bool, round_: int) -> RuleViolation | None:
    """A round whose check is scheduled or open takes no new corrective action: the check
    judges the round as it was closed; "not effective" opens the next round for new ones."""
    if kind is ActionKind.corrective and check_pending:
        return RuleViolation(
            f"the corrective actions of round {round_} await their effectiveness check: "
            "record the check first (not effective starts a new round of corrective actions)"
        )
    return None


def completes_quality_record(verdict: Verdict) -> bool:
    return verdict is Verdict.effective


def nothing_to_correct(valid: bool | None, investigate: bool | None, corrective: int) -> bool:
    """A closed complaint needs no effectiveness check when quality found it not valid or not
    worth investigating (or it was feedback, with no result at all) and opened no corrective
    action: its quality record is complete when it closes."""
    return corrective == 0 and (valid is not True or investigate is not True)
