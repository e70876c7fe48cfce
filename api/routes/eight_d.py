from typing import Annotated

from fastapi import APIRouter

from api.deps import SessionDep, allowed
from models.eight_d import EightDReport
from workflow.eight_d import eight_d_report
from workflow.rules import Action
from workflow.transitions import Actor

router = APIRouter(prefix="/complaints", tags=["complaints"])


@router.get(
    "/{reference}/8d",
    summary="The complaint as an 8D report",
    description="The record arranged as the 8D report customers' quality engineers ask for: "
    "D0 symptom and emergency response, D1 team (the people who worked on it), D2 problem "
    "description (the customer's words and quality's assessment with its defect code), D3 "
    "containment, D4 root cause and cause code, D5 chosen corrective actions, D6 implemented "
    "and verified (actions with evidence, effectiveness checks), D7 preventive actions, D8 "
    "closure. Sections not reached yet are empty.",
    responses={404: {"description": "No complaint with this reference"}},
)
def read_eight_d(
    reference: str, session: SessionDep, _: Annotated[Actor, allowed(Action.read_complaints)]
) -> EightDReport:
    return eight_d_report(session, reference)
