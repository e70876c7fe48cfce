"""Read side of the quality loop: a complaint's actions and its latest effectiveness check, as
the complaint file, the action list and the pages show them."""

from sqlmodel import Session, col, select

from models.base import id_of
from models.capa import ActionList, CapaActionPublic, EffectivenessCheckPublic
from models.complaint import Complaint
from models.enums import ActionStatus
from models.quality import CapaAction, EffectivenessCheck
from workflow.capa import capa_facts
from workflow.clock import utcnow
from workflow.complaints import get_complaint
from workflow.effectiveness import latest_check
from workflow.rules import Actor, available_capa_actions
from workflow.users import usernames


def actions_of(session: Session, complaint_id: int) -> list[CapaAction]:
    return list(
        session.exec(
            select(CapaAction)
            .where(CapaAction.complaint_id == complaint_id)
            .order_by(col(CapaAction.round), col(CapaAction.id))
        )
    )


def actions_public(
    session: Session, complaint_id: int, actor: Actor | None = None
) -> list[CapaActionPublic]:
    actions = actions_of(session, complaint_id)
    names = usernames(session, {a.owner_id for a in actions})
    now = utcnow()
    return [
        CapaActionPublic.model_validate(
            a,
            from_attributes=True,
            update={
                "owner": names.get(a.owner_id or -1),
                "overdue": a.status is ActionStatus.open and a.due_at < now,
                "available_actions": sorted(available_capa_actions(capa_facts(a), actor))
                if actor
                else [],
            },
        )
        for a in actions
    ]


def check_public(check: EffectivenessCheck | None) -> EffectivenessCheckPublic | None:
    if check is None:
        return None
    return EffectivenessCheckPublic.model_validate(check, from_attributes=True)


def latest_check_public(session: Session, complaint_id: int) -> EffectivenessCheckPublic | None:
    return check_public(latest_check(session, complaint_id))


def action_list(session: Session, reference: str, actor: Actor) -> ActionList:
    complaint: Complaint = get_complaint(session, reference)
    return ActionList(
        reference=complaint.reference,
        actions=actions_public(session, id_of(complaint), actor),
        effectiveness_check=latest_check_public(session, id_of(complaint)),
        quality_record_complete_at=complaint.quality_record_complete_at,
    )
