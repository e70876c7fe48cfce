from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Path
from pydantic import BaseModel

from api.deps import SessionDep, WriteSessionDep, allowed
from models.customer import CustomerPublic, CustomerUpdate
from models.enums import Kind, Status
from models.personal import ErasureDone, ErasureRequest
from workflow.customers import customer_complaints, get_customer, update_customer
from workflow.db import clear_write_ahead_log
from workflow.erasure import erase_customer
from workflow.rules import Action
from workflow.transitions import Actor

router = APIRouter(prefix="/customers", tags=["customers"])
CustomerId = Annotated[int, Path(ge=1, le=2**62, description="The customer's id.")]


class CustomerComplaint(BaseModel):
    reference: str
    kind: Kind
    status: Status
    product: str
    received_at: datetime


class CustomerFile(BaseModel):
    customer: CustomerPublic
    complaints: list[CustomerComplaint]


class CustomerChanged(CustomerFile):
    changed: list[str]


def _file(session: SessionDep, customer_id: int) -> CustomerFile:
    customer = get_customer(session, customer_id)
    complaints = [
        CustomerComplaint.model_validate(c, from_attributes=True)
        for c in customer_complaints(session, customer_id)
    ]
    return CustomerFile(
        customer=CustomerPublic.model_validate(customer, from_attributes=True),
        complaints=complaints,
    )


@router.get(
    "/{customer_id}",
    summary="A customer's details and complaints",
    description="Every staff member reads it: the contact details, language and time zone, "
    "and the customer's complaints and feedback, newest first.",
    responses={404: {"description": "No customer with this id"}},
)
def read_customer(
    customer_id: CustomerId,
    session: SessionDep,
    _: Annotated[Actor, allowed(Action.read_complaints)],
) -> CustomerFile:
    return _file(session, customer_id)


@router.patch(
    "/{customer_id}",
    summary="Change a customer's contact details, language or time zone",
    description="Only the fields given change; an empty text clears an optional one (the "
    "customer keeps an e-mail address or a phone number). Each change is written, with the "
    "reason, to the history of every complaint of the customer; notices queued from then on "
    "use the new address, language and time zone.",
    responses={
        403: {"description": "Only sales and admins change customers"},
        404: {"description": "No customer with this id"},
        409: {"description": "Another customer has this e-mail address, or the data was erased"},
        422: {"description": "An invalid field, no reason, or no way left to reach them"},
    },
)
def change_customer(
    customer_id: CustomerId,
    body: CustomerUpdate,
    session: WriteSessionDep,
    actor: Annotated[Actor, allowed(Action.edit_customer)],
) -> CustomerChanged:
    change = update_customer(session, customer_id=customer_id, update=body, actor=actor)
    return CustomerChanged(**_file(session, customer_id).model_dump(), changed=change.changed)


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
    customer_id: CustomerId,
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
