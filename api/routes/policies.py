from typing import Annotated

from fastapi import APIRouter

from api.deps import CurrentActor, SessionDep, WriteSessionDep, allowed
from models.deadline import DeadlinePolicyRow, PolicyChange, PolicyPublic
from workflow.policies import change_policy, list_policies, policy_history
from workflow.rules import Action
from workflow.transitions import Actor

router = APIRouter(prefix="/policies", tags=["deadlines"])


@router.get(
    "",
    summary="Deadline policies in force",
    description="For each step (and kind and severity where they differ): the time allowed, "
    "whether it counts business hours, when the reminder goes and the wait between "
    "escalation levels. The most specific policy applies.",
)
def policies(session: SessionDep, _: CurrentActor) -> list[PolicyPublic]:
    return list_policies(session)


@router.put(
    "",
    summary="Change a deadline policy",
    description="Admins only. Applies to steps started from now on, never to running ones; "
    "the change and its reason are kept (`GET /policies/history`).",
    responses={403: {"description": "Not an admin"}},
)
def set_policy(
    change: PolicyChange,
    session: WriteSessionDep,
    actor: Annotated[Actor, allowed(Action.manage_policies)],
) -> DeadlinePolicyRow:
    return change_policy(session, change=change, actor=actor)


@router.get(
    "/history",
    summary="Every policy change",
    description="Each override with who made it, when, why, and when it was superseded.",
)
def history(
    session: SessionDep, _: Annotated[Actor, allowed(Action.read_reports)]
) -> list[DeadlinePolicyRow]:
    return policy_history(session)
