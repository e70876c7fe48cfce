"""Use cases on complaints: log one, record the customer's answer, read the record."""

import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, func, select

from models.base import id_of
from models.case import CaseFile
from models.complaint import (
    AcknowledgementRecord,
    Complaint,
    ComplaintCreate,
    ComplaintCreated,
    CustomerResponse,
)
from models.customer import Customer, CustomerCreate
from models.enums import HistoryAction, ProcessKind
from models.history import HistoryEntry
from workflow import calls, deadlines, idempotency, notices
from workflow.attachments import NewAttachment, add_attachments
from workflow.clock import utcnow
from workflow.closing import after_closing, closing_facts
from workflow.customer_answers import resume_after_answer
from workflow.effectiveness import complete_record_if_nothing_to_correct
from workflow.errors import InvalidInput, NotFound
from workflow.facts import facts_of
from workflow.history import record_history
from workflow.outbox import emit_event
from workflow.products import product_for_intake
from workflow.references import next_reference, provisional_reference
from workflow.rules import (
    CUSTOMER_CONTACT,
    QUALITY_LOOP_STEPS,
    Action,
    Actor,
    EventKind,
    Status,
    Step,
    intake_action,
    needs_investigation,
    require_complaint_action,
    require_permission,
)
from workflow.transitions import apply_transition, lock_complaint


@dataclass(frozen=True)
class IntakeResult:
    """The answer to a POST: ``replayed`` when an earlier request with the same
    Idempotency-Key made the complaint (the body then shows the complaint as it is now)."""

    body: dict[str, Any]
    replayed: bool


def _stored_answer(
    session: Session, *, user_id: int, key: str, request_hash: str
) -> IntakeResult | None:
    reference = idempotency.stored_reference(
        session, user_id=user_id, key=key, body_hash=request_hash
    )
    if reference is None:
        return None
    return IntakeResult(body=_created(get_complaint(session, reference)), replayed=True)


def _created(complaint: Complaint) -> dict[str, Any]:
    return ComplaintCreated.model_validate(complaint, from_attributes=True).model_dump(mode="json")


def customer_by_email(session: Session, email: str) -> Customer | None:
    """The customer already on file with this address (case does not matter), oldest first."""
    return session.exec(
        select(Customer)
        .where(func.lower(Customer.email) == email.lower())
        .order_by(col(Customer.id))
        .limit(1)
    ).first()


def customer_for(
    session: Session, customer_id: int | None, new_customer: CustomerCreate | None
) -> Customer:
    """The existing customer named, the one on file with the same e-mail address, or a new
    one: the same customer logged twice is one customer."""
    if customer_id is not None:
        customer = session.get(Customer, customer_id)
        if customer is None:
            raise InvalidInput("customer_id", f"no customer with id {customer_id}")
        return customer
    assert new_customer is not None
    if new_customer.email and (known := customer_by_email(session, new_customer.email)):
        return known
    customer = Customer.model_validate(new_customer, update={"created_at": utcnow()})
    session.add(customer)
    session.flush()
    return customer


def _new_complaint(session: Session, data: ComplaintCreate, actor: Actor) -> Complaint:
    now = utcnow()
    received_at = data.received_at or now
    customer = customer_for(session, data.customer_id, data.customer)
    product, product_id = product_for_intake(session, data.product_id, data.product)
    case = CaseFile(process=ProcessKind.complaint, created_at=now)
    session.add(case)
    session.flush()
    complaint = Complaint.model_validate(
        data.model_dump(exclude={"customer", "customer_id", "received_at"}),
        update={
            "id": case.id,
            "product": product,
            "product_id": product_id,
            "reference": provisional_reference(),  # the real one is taken last: `_number`
            "customer_id": customer.id,
            "received_at": received_at,
            "received_by_id": actor.user_id,
            "status": Status.received,
            "current_department": CUSTOMER_CONTACT,
            "status_token": secrets.token_urlsafe(32),
            "created_at": now,
            "updated_at": now,
        },
    )
    session.add(complaint)
    session.flush()
    _start_intake_clocks(session, complaint, actor)
    return complaint


def _start_intake_clocks(session: Session, complaint: Complaint, actor: Actor) -> None:
    """The acknowledgement and the reply to the customer run from receipt."""
    for step in (Step.acknowledgement, Step.customer_reply):
        deadlines.start_clock(
            session,
            complaint,
            step,
            start=complaint.received_at,
            department=CUSTOMER_CONTACT,
            owner_id=actor.user_id,
            new_complaint=True,
        )
    reply = deadlines.planned_due(session, complaint, Step.customer_reply, complaint.received_at)
    complaint.reply_due_at = reply
    complaint.due_at = (
        deadlines.planned_due(session, complaint, Step.quality_result, complaint.received_at)
        if needs_investigation(complaint.kind)
        else reply
    )
    session.add(complaint)


def _number(session: Session, complaint: Complaint, logged: HistoryEntry) -> None:
    """Give the complaint its reference as the last step before the commit. Taking it locks
    the year's counter row until the commit (references have no gaps), so concurrent intakes
    on PostgreSQL queue on that row for the commit only, not for the whole intake."""
    complaint.reference = next_reference(session, complaint.kind, complaint.received_at.year)
    logged.changes["reference"] = complaint.reference


def log_complaint(
    session: Session,
    *,
    data: ComplaintCreate,
    actor: Actor,
    idempotency_key: str | None,
    attachments: Sequence[NewAttachment] = (),
    before_commit: Callable[[Session, Complaint], None] | None = None,
) -> IntakeResult:
    """Record a complaint with its attachments, history and outbox event in one commit;
    ``before_commit`` adds the caller's own rows to that commit (the mail it came from)."""
    require_permission(actor.role, intake_action(data.kind))
    assert actor.user_id is not None
    request_hash = idempotency.request_hash(data)
    if idempotency_key:
        stored = _stored_answer(
            session, user_id=actor.user_id, key=idempotency_key, request_hash=request_hash
        )
        if stored:
            return stored
    complaint = _new_complaint(session, data, actor)
    changes = complaint.model_dump(
        mode="json", exclude={"id", "created_at", "updated_at", "version", "status_token"}
    )
    if attachments:
        add_attachments(session, complaint, attachments, actor)
        changes["attachments"] = [a.filename for a in attachments]
    logged = record_history(
        session,
        case_id=id_of(complaint),
        actor=actor.name,
        action=HistoryAction.log_complaint,
        to_status=Status.received,
        changes=changes,
        first=True,
    )
    emit_event(session, case_id=id_of(complaint), kind=EventKind.complaint_logged)
    if before_commit is not None:
        before_commit(session, complaint)
    _number(session, complaint, logged)
    body = _created(complaint)
    if idempotency_key:
        idempotency.remember(
            session,
            user_id=actor.user_id,
            key=idempotency_key,
            body_hash=request_hash,
            response=body,
        )
    try:
        session.commit()
    except IntegrityError:
        # A concurrent request with the same key committed first (PostgreSQL): answer as it did.
        session.rollback()
        if not idempotency_key:
            raise
        stored = _stored_answer(
            session, user_id=actor.user_id, key=idempotency_key, request_hash=request_hash
        )
        if stored is None:
            raise
        return stored
    return IntakeResult(body=body, replayed=False)


def record_customer_response(
    session: Session, *, reference: str, response: CustomerResponse, actor: Actor
) -> Complaint:
    """Accepted closes the complaint; not accepted reopens it to quality, also after a closing
    for lack of an answer while the rules allow it (``closing_facts``)."""
    complaint = lock_complaint(session, reference)
    if response.accepted:
        apply_transition(
            session,
            complaint,
            action=Action.record_acceptance,
            actor=actor,
            changes={"customer_accepted": True, "due_at": None},
            reason=response.comment,
            expected_version=response.version,
            customer_wrote_reason=True,
        )
        # The quality loop's actions and checks run on after the customer's answer.
        deadlines.stop_clocks(session, id_of(complaint), set(Step) - QUALITY_LOOP_STEPS)
        complete_record_if_nothing_to_correct(session, complaint, actor.name)
        after_closing(session, complaint, Action.record_acceptance)
    else:
        require_complaint_action(Action.reopen, closing_facts(session, complaint), actor)
        reopened_after_closing = {"closed_at": None} if complaint.status is Status.closed else {}
        apply_transition(
            session,
            complaint,
            action=Action.reopen,
            actor=actor,
            changes={"customer_accepted": False, **reopened_after_closing},
            reason=response.comment,
            expected_version=response.version,
            customer_wrote_reason=True,
        )
        deadlines.stop_clocks(session, id_of(complaint), {Step.customer_acceptance})
    session.commit()
    return complaint


def wait_for_customer(
    session: Session, *, reference: str, reason: str, actor: Actor, version: int | None
) -> Complaint:
    """Stop every clock of the complaint while the company waits on the customer, and ask the
    customer (by mail, in their language) for what is needed: ``reason``."""
    complaint = lock_complaint(session, reference)
    apply_transition(
        session,
        complaint,
        action=Action.wait_for_customer,
        actor=actor,
        reason=reason,
        expected_version=version,
    )
    deadlines.pause_clocks(session, id_of(complaint))
    notices.ask_customer(
        session, complaint, reason, key=f"question-{id_of(complaint)}-{complaint.version}"
    )
    session.commit()
    return complaint


def customer_answered(
    session: Session,
    *,
    reference: str,
    note: str,
    actor: Actor,
    version: int | None,
    customer_wrote_note: bool = False,
) -> Complaint:
    """Restart the clocks (``customer_answers.resume_after_answer``)."""
    complaint = lock_complaint(session, reference)
    resume_after_answer(
        session,
        complaint,
        note=note,
        actor=actor,
        customer_wrote_note=customer_wrote_note,
        version=version,
    )
    session.commit()
    return complaint


def record_acknowledgement(
    session: Session, *, reference: str, record: AcknowledgementRecord, actor: Actor
) -> Complaint:
    """Sales acknowledged the customer themselves (by phone, fax or in person): meets the
    acknowledgement clock as a mailed acknowledgement does."""
    complaint = lock_complaint(session, reference)
    require_complaint_action(Action.record_acknowledgement, facts_of(complaint), actor)
    now = utcnow()
    calls.meet_acknowledgement(session, complaint, now)
    # The call task of the acknowledgement, if sales was asked to phone it, is done by this.
    done = calls.close_acknowledgement_calls(
        session, complaint, actor, now, {"recorded_as": record.channel.value}
    )
    record_history(
        session,
        case_id=id_of(complaint),
        actor=actor.name,
        action=HistoryAction.record_acknowledgement,
        changes={
            "channel": record.channel,
            "acknowledged_at": now,
            "call_tasks_done": [t.id for t in done],
        },
        reason=record.note,
    )
    session.commit()
    return complaint


def get_complaint(session: Session, reference: str) -> Complaint:
    complaint = session.exec(select(Complaint).where(Complaint.reference == reference)).first()
    if complaint is None:
        raise NotFound(f"no complaint {reference}")
    return complaint


def get_complaint_by_status_token(session: Session, token: str) -> Complaint:
    """The one complaint a customer's status link opens; NotFound for any other token."""
    complaint = (
        session.exec(select(Complaint).where(Complaint.status_token == token)).first()
        if 20 <= len(token) <= 64
        else None
    )
    if complaint is None:
        raise NotFound("no complaint for this link")
    return complaint
