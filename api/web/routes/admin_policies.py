"""The admin area's deadline policies: the table of policies in force, one policy's form (the
same ``change_policy`` as ``PUT /api/v1/policies``) and the history of its changes."""

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import Query, Request, status
from fastapi.responses import RedirectResponse, Response

from api.deps import SessionDep, WriteSessionDep
from api.web.forms import FieldErrors, choice, text_fields, validate
from api.web.pages import flash, render
from api.web.routes import page_router
from api.web.session import page_for
from models.deadline import DeadlinePolicyRow, PolicyBase, PolicyChange, PolicyPublic
from models.enums import Kind, Severity, Step
from workflow.deadlines import overrides
from workflow.errors import NotFound
from workflow.policies import change_policy, list_policies, policy_history
from workflow.rules import DEFAULT_POLICIES, Action, Actor, PolicyKey, may

router = page_router()
PolicyAdmin = Annotated[Actor, page_for(Action.manage_policies)]
PolicyReader = Annotated[Actor, page_for(Action.read_policies)]
SHORTEST_REASON = 3
NUMBERS = ("hours", "reminder_fraction", "escalation_interval_hours")


def duration(policy: PolicyBase | None) -> str:
    """The time allowed with its unit, as people say it."""
    if policy is None:
        return "the general policy"
    unit = "business hours" if policy.business_time else "hours around the clock"
    return f"{policy.hours:g} {unit}"


def governs(policy: PolicyBase) -> str:
    kind = policy.kind.value if policy.kind else "any kind"
    severity = policy.severity.value if policy.severity else "any severity"
    return f"{policy.step.value.replace('_', ' ')}: {kind}, {severity}"


def edit_link(policy: PolicyBase) -> str:
    query = {"step": policy.step.value, "kind": policy.kind, "severity": policy.severity}
    return "/admin/policies/edit?" + urlencode({k: v for k, v in query.items() if v})


def _key(policy: PolicyBase) -> PolicyKey:
    return (policy.step, policy.kind, policy.severity)


WORDS = {"duration": duration, "governs": governs, "edit_link": edit_link, "key": _key}


@dataclass(frozen=True)
class PolicyChangeRow:
    by: str
    at: datetime
    before: str
    after: str
    reason: str


def changes_of(rows: list[DeadlinePolicyRow], key: PolicyKey) -> list[PolicyChangeRow]:
    """One policy's changes, oldest first, each with what it replaced."""
    before: PolicyBase | None = None
    default = DEFAULT_POLICIES.get(key)
    if default is not None:
        before = PolicyBase(step=key[0], kind=key[1], severity=key[2], **asdict(default))
    changes = []
    for row in (r for r in rows if _key(r) == key):
        changes.append(
            PolicyChangeRow(
                row.changed_by, row.changed_at, duration(before), duration(row), row.reason
            )
        )
        before = row
    return changes


@router.get("/admin/policies")
def policies_page(request: Request, session: SessionDep, actor: PolicyReader) -> Response:
    context = {
        "title": "Deadline policies",
        "may_change": may(actor.role, Action.manage_policies),
        "policies": list_policies(session),
        "changed": overrides(session),
        **WORDS,
    }
    return render(request, "admin_policies.html", context)


def _find(session: SessionDep, key: PolicyKey) -> PolicyPublic:
    for policy in list_policies(session):
        if _key(policy) == key:
            return policy
    raise NotFound("no deadline policy governs that step, kind and severity")


def _edit_page(
    request: Request,
    session: SessionDep,
    actor: Actor,
    policy: PolicyPublic,
    values: Mapping[str, Any],
    errors: FieldErrors,
    status_code: int = 200,
) -> Response:
    context = {
        "title": f"Deadline policy: {governs(policy)}",
        "may_change": may(actor.role, Action.manage_policies),
        "policy": policy,
        "values": values,
        "errors": errors,
        "changes": changes_of(policy_history(session), _key(policy)),
        **WORDS,
    }
    return render(request, "admin_policy_edit.html", context, status_code=status_code)


@router.get("/admin/policies/edit")
def policy_edit_page(
    request: Request,
    session: SessionDep,
    actor: PolicyReader,
    step: Step,
    kind: Annotated[Kind | None, Query()] = None,
    severity: Annotated[Severity | None, Query()] = None,
) -> Response:
    policy = _find(session, (step, kind, severity))
    values = {name: f"{getattr(policy, name):g}" for name in NUMBERS}
    values["business_time"] = "yes" if policy.business_time else "no"
    return _edit_page(request, session, actor, policy, values, {})


def _number(value: str | None) -> float | str | None:
    """A number, or the text as typed so validation names the field."""
    try:
        return float(value) if value is not None else None
    except ValueError:
        return value


@router.post("/admin/policies/edit")
async def policy_edit(
    request: Request,
    session: WriteSessionDep,
    actor: PolicyAdmin,
    step: Step,
    kind: Annotated[Kind | None, Query()] = None,
    severity: Annotated[Severity | None, Query()] = None,
) -> Response:
    policy = _find(session, (step, kind, severity))
    form = await request.form()
    values = text_fields(form, (*NUMBERS, "reason"))
    data = {name: _number(values[name]) for name in NUMBERS}
    data.update(
        step=step, kind=kind, severity=severity, business_time=choice(form, "business_time")
    )
    change, errors = validate(PolicyChange, {**data, "reason": values["reason"] or ""})
    if not values["reason"] or len(values["reason"]) < SHORTEST_REASON:
        errors["reason"] = "Please say why the policy changes (at least three characters)."
    if errors:
        shown = {**values, "business_time": form.get("business_time")}
        return _edit_page(
            request, session, actor, policy, shown, errors, status.HTTP_422_UNPROCESSABLE_ENTITY
        )
    change_policy(session, change=change, actor=actor)
    flash(request, f"Saved: {duration(change)} from now on, for steps started from now.")
    return RedirectResponse(edit_link(policy), status_code=status.HTTP_303_SEE_OTHER)
