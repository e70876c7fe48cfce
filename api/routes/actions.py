from typing import Annotated

from fastapi import APIRouter, Path

from api.deps import CurrentActor, SessionDep, WriteSessionDep, allowed
from models.base import id_of
from models.capa import ActionCancellation, ActionCreate, ActionList, CapaActionPublic
from workflow.capa import cancel_action, open_action
from workflow.capa_queries import action_list, actions_public
from workflow.rules import Action
from workflow.transitions import Actor

router = APIRouter(tags=["actions"])


def _one(session: SessionDep, complaint_id: int, action_id: int, actor: Actor) -> CapaActionPublic:
    return next(a for a in actions_public(session, complaint_id, actor) if a.id == action_id)


@router.post(
    "/complaints/{reference}/actions",
    status_code=201,
    summary="Open a corrective or preventive action",
    description="Quality opens a containment, corrective or preventive action on a complaint "
    "it has worked on (from `with_quality` on, also after the customer's answer: actions "
    "outlive it). The owner department's queue gets a `capa_action` task on its own clock "
    "(to the end of `due_date`, or `business_days`, or 10 business days), with reminders and "
    "escalation like every step; with `owner`, that person holds it. The department completes "
    "it through `POST /tasks/{id}/complete` with `kind: action_done` and its evidence. When "
    "the last open corrective action of a round is done, its effectiveness check is scheduled.",
    responses={
        403: {"description": "Only quality opens actions"},
        404: {"description": "No complaint with this reference"},
        409: {
            "description": "Not routed to quality yet, or a corrective action while the "
            "round's effectiveness check is pending"
        },
        422: {"description": "Invalid data: owner, department or due date"},
    },
)
def create_action(
    reference: str,
    body: ActionCreate,
    session: WriteSessionDep,
    actor: Annotated[Actor, allowed(Action.open_action)],
) -> CapaActionPublic:
    created = open_action(session, reference=reference, request=body, actor=actor)
    return _one(session, created.complaint_id, id_of(created), actor)


@router.get(
    "/complaints/{reference}/actions",
    summary="A complaint's actions and effectiveness check",
    description="Every action of every round with owner, due date, status and evidence; the "
    "latest round's effectiveness check; when the quality record was complete.",
    responses={404: {"description": "No complaint with this reference"}},
)
def list_actions(
    reference: str,
    session: SessionDep,
    actor: Annotated[Actor, allowed(Action.read_complaints)],
) -> ActionList:
    return action_list(session, reference, actor)


@router.post(
    "/actions/{action_id}/cancel",
    summary="Cancel an action",
    description="Quality withdraws an open action with a reason (kept in the history); its task "
    "leaves the owner's queue and its clock stops. A done or cancelled action cannot be "
    "cancelled.",
    responses={
        403: {"description": "Only quality cancels actions"},
        404: {"description": "No such action"},
        409: {"description": "The action is done or cancelled already"},
        422: {"description": "No reason given"},
    },
)
def cancel(
    action_id: Annotated[int, Path(ge=1, le=2**62, description="The action's id.")],
    body: ActionCancellation,
    session: WriteSessionDep,
    actor: CurrentActor,
) -> CapaActionPublic:
    cancelled = cancel_action(session, action_id=action_id, reason=body.reason, actor=actor)
    return _one(session, cancelled.complaint_id, action_id, actor)
