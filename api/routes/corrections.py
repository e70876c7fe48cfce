from typing import Annotated

from fastapi import APIRouter

from api.deps import WriteSessionDep, allowed
from models.correction import ComplaintCorrection, DuplicateMark, Withdrawal
from models.views import ComplaintRecord
from workflow.corrections import correct_complaint, mark_duplicate, withdraw
from workflow.queries import complaint_record
from workflow.rules import Action
from workflow.transitions import Actor

router = APIRouter(prefix="/complaints", tags=["complaints"])


@router.patch(
    "/{reference}",
    summary="Correct fields of a complaint",
    description="Sales or quality correct what was logged wrong (a typo in a lot number, the "
    "wrong product): only the fields given change. `version` (the one you read) and `reason` "
    "are required; the history keeps the old and the new value, who and why. The customer's "
    "description, the kind and the severity are not corrected here: the description is kept "
    "as received, and quality decides the severity at its assessment.",
    responses={
        403: {"description": "Only sales and quality correct complaints"},
        404: {"description": "No complaint with this reference"},
        409: {
            "description": "The complaint changed since you read it (stale version), or it "
            "was withdrawn or closed as a duplicate"
        },
        422: {"description": "No field given, an unknown field, or an invalid value"},
    },
)
def correct(
    reference: str,
    body: ComplaintCorrection,
    session: WriteSessionDep,
    actor: Annotated[Actor, allowed(Action.correct_complaint)],
) -> ComplaintRecord:
    correct_complaint(session, reference=reference, correction=body, actor=actor)
    return complaint_record(session, reference, actor)


@router.post(
    "/{reference}/withdraw",
    summary="Withdraw a complaint logged by mistake",
    description="Ends an open complaint with a reason: its open tasks are cancelled and its "
    "clocks stop. Nothing is deleted; the record stays, marked withdrawn.",
    responses={
        403: {"description": "Only sales and quality withdraw complaints"},
        404: {"description": "No complaint with this reference"},
        409: {"description": "Not open any more (answered, closed, withdrawn), or stale version"},
        422: {"description": "No reason given"},
    },
)
def withdraw_complaint(
    reference: str,
    body: Withdrawal,
    session: WriteSessionDep,
    actor: Annotated[Actor, allowed(Action.withdraw)],
) -> ComplaintRecord:
    withdraw(session, reference=reference, withdrawal=body, actor=actor)
    return complaint_record(session, reference, actor)


@router.post(
    "/{reference}/duplicate",
    summary="Close a complaint as a duplicate of another",
    description="For a complaint logged twice: this one ends (open tasks cancelled, clocks "
    "stopped) and points at `original`, which stays and lists it among its `duplicates`; "
    "both histories say so, with the reason.",
    responses={
        403: {"description": "Only sales and quality mark duplicates"},
        404: {"description": "No complaint with this reference"},
        409: {"description": "Not open any more, or stale version"},
        422: {
            "description": "No such original, the original is itself a duplicate, or the "
            "complaint named itself"
        },
    },
)
def duplicate(
    reference: str,
    body: DuplicateMark,
    session: WriteSessionDep,
    actor: Annotated[Actor, allowed(Action.mark_duplicate)],
) -> ComplaintRecord:
    mark_duplicate(session, reference=reference, mark=body, actor=actor)
    return complaint_record(session, reference, actor)
