from typing import Annotated

from fastapi import APIRouter

from api.deps import SessionDep, WriteSessionDep, allowed
from models.personal import ErasureDone, ErasureRequest
from workflow.db import clear_write_ahead_log
from workflow.erasure import erase_customer
from workflow.rules import Action
from workflow.transitions import Actor

router = APIRouter(prefix="/customers", tags=["customers"])


@router.post(
    "/{customer_id}/erase",
    summary="Erase a customer's personal data on their request",
    description="Removes the customer's name, company, address, phone, e-mail address and "
    "what they wrote (descriptions, mails, comments), everywhere they were kept: the customer "
    "record, the history's personal values, notices' recipients and texts, mails, quality's "
    "texts. The complaints stay with their dates, products, codes and decisions, so registers "
    "and figures do not change, and the history chain still verifies: its entries refer to "
    "personal values instead of sealing them. Each complaint's history records the erasure "
    "with the reason. The customer's status page link stops working. On SQLite, replaced "
    "values are overwritten in the file (`secure_delete`) and the write-ahead log is emptied.",
    responses={
        403: {"description": "Only an admin erases personal data"},
        404: {"description": "No customer with this id"},
        409: {
            "description": "Already erased, or a complaint of the customer is still open or "
            "waits for the customer's answer"
        },
        422: {"description": "No reason, or one under 10 characters"},
    },
)
def erase(
    customer_id: int,
    body: ErasureRequest,
    session: WriteSessionDep,
    actor: Annotated[Actor, allowed(Action.erase_personal_data)],
    sign_in_reader: SessionDep,
) -> ErasureDone:
    done = erase_customer(session, customer_id=customer_id, reason=body.reason, actor=actor)
    # The session that read the signed-in user holds a snapshot from before the erasure,
    # which would keep the old frames in the write-ahead log: end it first.
    sign_in_reader.rollback()
    return ErasureDone(
        customer_id=done.customer_id,
        erased_at=done.erased_at,
        complaints=done.complaints,
        values_erased=done.values_erased,
        texts_cleaned=done.texts_cleaned,
        entries_before_erasure_support=done.entries_before_erasure_support,
        write_ahead_log_cleared=clear_write_ahead_log(),
    )
