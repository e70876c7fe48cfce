"""Related complaints and the recurrence rule."""

from typing import Annotated

from fastapi import APIRouter

from api.deps import SessionDep, WriteSessionDep, allowed
from models.recurrence import (
    LinkReview,
    RecurrenceRuleChange,
    RecurrenceRulePublic,
    RecurrenceRuleRow,
    RelatedPublic,
)
from workflow.complaints import get_complaint
from workflow.recurrence_rule import change_rule, rule_history, rule_public
from workflow.related import related_of, review_related
from workflow.rules import Action
from workflow.transitions import Actor

router = APIRouter(tags=["recurrence"])


@router.get(
    "/complaints/{reference}/related",
    summary="Complaints that look like the same problem",
    description="Both ways: earlier complaints this one was linked to, and later ones linked "
    "to it; with the other's reference, status and product, why they were linked (same "
    "product and lot, same product and defect code, similar description, by hand), the "
    "score and whether quality confirmed or dismissed the link.",
    responses={404: {"description": "No complaint with this reference"}},
)
def list_related(
    reference: str, session: SessionDep, _: Annotated[Actor, allowed(Action.read_complaints)]
) -> list[RelatedPublic]:
    return related_of(session, get_complaint(session, reference))


@router.post(
    "/complaints/{reference}/related/{other}",
    summary="Confirm or dismiss a related complaint, or link one by hand",
    description="Quality only. `confirmed` or `dismissed` with a reason, written to the "
    "history of both complaints. Confirming two complaints that are not linked links them "
    "(reason `by_hand`). A complaint cannot be related to itself (422).",
    responses={
        403: {"description": "Only quality reviews related complaints"},
        404: {"description": "No such complaint, or nothing to dismiss"},
    },
)
def decide_related(
    reference: str,
    other: str,
    review: LinkReview,
    session: WriteSessionDep,
    actor: Annotated[Actor, allowed(Action.review_related)],
) -> RelatedPublic:
    return review_related(session, reference=reference, other=other, review=review, actor=actor)


@router.get(
    "/recurrence-rule",
    summary="The recurrence rule in force",
    description="How many complaints on one product and defect code within how many days "
    "raise a recurrence alert to the quality managers (default 3 within 90 days).",
)
def recurrence_rule(
    session: SessionDep, _: Annotated[Actor, allowed(Action.read_quality_reports)]
) -> RecurrenceRulePublic:
    return rule_public(session)


@router.put(
    "/recurrence-rule",
    summary="Change the recurrence rule",
    description="Managers and admins. Applies to checks from now on; the change and its "
    "reason are kept (`GET /recurrence-rule/history`).",
    responses={403: {"description": "Only managers and admins change the rule"}},
)
def set_recurrence_rule(
    change: RecurrenceRuleChange,
    session: WriteSessionDep,
    actor: Annotated[Actor, allowed(Action.manage_recurrence_rule)],
) -> RecurrenceRulePublic:
    return change_rule(session, change=change, actor=actor)


@router.get(
    "/recurrence-rule/history",
    summary="Every change of the recurrence rule",
    description="Each change with who made it, when, why, and when it was superseded.",
)
def recurrence_rule_history(
    session: SessionDep, _: Annotated[Actor, allowed(Action.read_quality_reports)]
) -> list[RecurrenceRuleRow]:
    return rule_history(session)
