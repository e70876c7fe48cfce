"""The contract ledger: every accepted contract or order, each version of its terms (the first
review's, then one per accepted change), the deliveries against it and its performance."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from babel import Locale
from babel.dates import format_date
from babel.numbers import format_decimal, format_percent
from sqlalchemy import func
from sqlmodel import Session, col, or_, select

from models.base import id_of
from models.complaint import Complaint
from models.contract_views import (
    ContractCancellation,
    ContractChangeReview,
    ContractFigures,
    ContractFile,
    ContractProgressReport,
    ContractSummary,
    ContractTerms,
    DeliveryCreate,
    DeliveryPublic,
    LinkedComplaint,
)
from models.customer import Customer, CustomerPublic
from models.enums import ContractStatus, HistoryAction, ReviewKind
from models.notification import Notification
from models.review import Contract, ContractComplaint, ContractVersion, Delivery, Review
from models.views import Page
from workflow import review_notices
from workflow.calendar import company_calendar
from workflow.cases import lock_review_by_id
from workflow.clock import utcnow
from workflow.errors import InvalidInput, NotFound, RuleViolation
from workflow.history import record_history
from workflow.languages import babel_locale
from workflow.notices import customer_of
from workflow.references import CONTRACT_PREFIX, take_reference
from workflow.rules import Action, Actor, require_permission
from workflow.rules.review import (
    REVIEW_PROCESS,
    ContractFacts,
    available_contract_actions,
    completes_contract,
    contract_refusal,
    delivery_refusal,
    status_under_new_terms,
)
from workflow.transitions import person_id
from workflow.users import usernames


def enter_in_ledger(
    session: Session, review: Review, conditions: list[str], actor: Actor
) -> Contract:
    """The accepted review's terms as the contract's first version, or, for a change, as
    its contract's next version. In the caller's transaction (the acceptance's)."""
    now = utcnow()
    ledger_case: int | None = None  # a change's contract's, locked; a new contract's is this
    if review.kind is ReviewKind.change:
        assert review.contract_id is not None, f"{review.reference} changes no contract"
        contract, ledger_case = lock_contract(session, review.contract_id)
        contract.version += 1
    else:
        contract = Contract(
            reference=take_reference(session, CONTRACT_PREFIX, now.year),
            customer_id=review.customer_id,
            order_reference=review.order_reference,
            created_at=now,
        )
    session.add(contract)
    session.flush()
    session.add(
        ContractVersion(
            contract_id=id_of(contract),
            version=contract.version,
            review_id=id_of(review),
            title=review.title,
            value=review.value,
            currency=review.currency,
            quantity=review.quantity,
            requested_delivery=review.requested_delivery,
            requirements=review.requirements,
            conditions=conditions,
            accepted_at=now,
        )
    )
    record_history(
        session,
        case_id=id_of(review),
        actor=actor.name,
        action=HistoryAction.contract_entered,
        changes={
            "contract": contract.reference,
            "version": contract.version,
            "conditions": conditions,
        },
    )
    if ledger_case is not None:
        _settle_status(session, contract, ledger_case, actor)
    return contract


def _settle_status(session: Session, contract: Contract, case_id: int, actor: Actor) -> None:
    """After a change, the status its new terms give the contract (history on its ledger case)."""
    facts = contract_facts(session, contract)
    status = status_under_new_terms(facts)
    if status is contract.status:
        return
    quantity = "no fixed quantity" if facts.quantity is None else str(facts.quantity)
    _set_status(
        session,
        contract,
        status,
        case_id=case_id,
        actor=actor,
        reason=f"version {contract.version} contracts {quantity}; {facts.delivered} delivered",
    )


def current_terms(session: Session, contract: Contract) -> ContractVersion:
    """The contract's terms now: its latest version's."""
    return session.exec(
        select(ContractVersion).where(
            ContractVersion.contract_id == contract.id,
            ContractVersion.version == contract.version,
        )
    ).one()


def business_today() -> date:
    return company_calendar().local_date(utcnow())


# Reading the ledger.


def get_contract(session: Session, contract_id: int) -> Contract:
    contract = session.get(Contract, contract_id)
    if contract is None:
        raise NotFound(f"no contract with id {contract_id}")
    return contract


def ledger_case_id(session: Session, contract: Contract) -> int:
    """The case the contract's ledger entries belong to: its first version's review."""
    return session.exec(
        select(ContractVersion.review_id).where(
            ContractVersion.contract_id == contract.id, ContractVersion.version == 1
        )
    ).one()


def lock_contract(session: Session, contract_id: int) -> tuple[Contract, int]:
    """The contract and its ledger case id, locked as every change of the ledger here takes
    them: the case's review first, then the contract."""
    case_id = ledger_case_id(session, get_contract(session, contract_id))
    lock_review_by_id(session, case_id)
    contract = session.exec(
        select(Contract).where(Contract.id == contract_id).with_for_update()
    ).one()
    return contract, case_id


def deliveries_by_contract(session: Session, contract_ids: list[int]) -> dict[int, list[Delivery]]:
    """Each contract's deliveries, oldest first."""
    found: dict[int, list[Delivery]] = {i: [] for i in contract_ids}
    if not contract_ids:
        return found
    rows = session.exec(
        select(Delivery)
        .where(col(Delivery.contract_id).in_(contract_ids))
        .order_by(col(Delivery.delivered_on), col(Delivery.id))
    )
    for delivery in rows:
        found[delivery.contract_id].append(delivery)
    return found


def contract_figures(deliveries: Sequence[Delivery], quantity: int | None) -> ContractFigures:
    """How the contract is performed, from its deliveries and its contracted quantity."""
    delivered = sum(d.quantity for d in deliveries)
    on_time = sum(1 for d in deliveries if d.on_time)
    return ContractFigures(
        contracted_quantity=quantity,
        delivered_quantity=delivered,
        delivered_share=delivered / quantity if quantity else None,
        deliveries=len(deliveries),
        on_time_deliveries=on_time,
        late_deliveries=len(deliveries) - on_time,
        on_time_share=on_time / len(deliveries) if deliveries else None,
    )


def change_in_review(session: Session, contract_id: int) -> str | None:
    """The reference of the contract's change still in review, if any."""
    return session.exec(
        select(Review.reference).where(
            Review.contract_id == contract_id,
            Review.kind == ReviewKind.change,
            col(Review.status).in_(REVIEW_PROCESS.open_statuses),
        )
    ).first()


def contract_facts(session: Session, contract: Contract) -> ContractFacts:
    terms = current_terms(session, contract)
    deliveries = deliveries_by_contract(session, [id_of(contract)])[id_of(contract)]
    return _facts(session, contract, terms.quantity, deliveries)


def _facts(
    session: Session, contract: Contract, quantity: int | None, deliveries: Sequence[Delivery]
) -> ContractFacts:
    """The rules' facts of the contract, from its current quantity and its deliveries."""
    return ContractFacts(
        reference=contract.reference,
        status=contract.status,
        quantity=quantity,
        delivered=sum(d.quantity for d in deliveries),
        change_in_review=change_in_review(session, id_of(contract)),
    )


@dataclass(frozen=True)
class ContractFilter:
    status: ContractStatus | None = None
    customer_id: int | None = None
    text: str | None = None  # in the reference, the order reference or the current title


def _customer_name(customer: Customer) -> str:
    return customer.company or customer.name


def _terms(version: ContractVersion, review_reference: str) -> ContractTerms:
    return ContractTerms.model_validate(
        version, from_attributes=True, update={"review_reference": review_reference}
    )


def _summary(
    contract: Contract, terms: ContractTerms, customer: Customer, deliveries: list[Delivery]
) -> ContractSummary:
    return ContractSummary.model_validate(
        contract,
        from_attributes=True,
        update={
            "customer_name": _customer_name(customer),
            "terms": terms,
            "figures": contract_figures(deliveries, terms.quantity),
        },
    )


def list_contracts(
    session: Session, filters: ContractFilter, *, limit: int, offset: int
) -> Page[ContractSummary]:
    """The ledger, newest first, each contract with its current terms and its figures."""
    query = (
        select(Contract, ContractVersion, Review.reference, Customer)
        .join(
            ContractVersion,
            (col(ContractVersion.contract_id) == Contract.id)
            & (col(ContractVersion.version) == Contract.version),
        )
        .join(Review, col(Review.id) == ContractVersion.review_id)
        .join(Customer, col(Customer.id) == Contract.customer_id)
    )
    if filters.status is not None:
        query = query.where(Contract.status == filters.status)
    if filters.customer_id is not None:
        query = query.where(Contract.customer_id == filters.customer_id)
    if filters.text:
        # The text is searched for as it is: % and _ in it are not wildcards.
        columns = (Contract.reference, Contract.order_reference, ContractVersion.title)
        query = query.where(
            or_(*(col(c).icontains(filters.text, autoescape=True) for c in columns))
        )
    rows = session.exec(
        query.order_by(col(Contract.created_at).desc(), col(Contract.id).desc())
        .offset(offset)
        .limit(limit + 1)
    ).all()
    deliveries = deliveries_by_contract(session, [id_of(c) for c, _, _, _ in rows[:limit]])
    items = [
        _summary(contract, _terms(version, review), customer, deliveries[id_of(contract)])
        for contract, version, review, customer in rows[:limit]
    ]
    return Page(items=items, limit=limit, offset=offset, has_more=len(rows) > limit)


def contract_versions(session: Session, contract: Contract) -> list[ContractTerms]:
    rows = session.exec(
        select(ContractVersion, Review.reference)
        .join(Review, col(Review.id) == ContractVersion.review_id)
        .where(ContractVersion.contract_id == contract.id)
        .order_by(col(ContractVersion.version))
    )
    return [_terms(version, reference) for version, reference in rows]


def _deliveries_public(session: Session, deliveries: list[Delivery]) -> list[DeliveryPublic]:
    names = usernames(session, {d.recorded_by_id for d in deliveries})
    return [
        DeliveryPublic.model_validate(
            d, from_attributes=True, update={"recorded_by": names.get(d.recorded_by_id, "?")}
        )
        for d in deliveries
    ]


def linked_complaints(session: Session, contract: Contract) -> list[LinkedComplaint]:
    rows = session.exec(
        select(Complaint, ContractComplaint.linked_at)
        .join(ContractComplaint, col(ContractComplaint.complaint_id) == Complaint.id)
        .where(ContractComplaint.contract_id == contract.id)
        .order_by(col(Complaint.received_at), col(Complaint.id))
    )
    return [
        LinkedComplaint.model_validate(c, from_attributes=True, update={"linked_at": linked_at})
        for c, linked_at in rows
    ]


def change_reviews(session: Session, contract: Contract) -> list[ContractChangeReview]:
    rows = session.exec(
        select(Review)
        .where(Review.contract_id == contract.id, Review.kind == ReviewKind.change)
        .order_by(col(Review.created_at), col(Review.id))
    )
    return [ContractChangeReview.model_validate(r, from_attributes=True) for r in rows]


def contract_file(session: Session, contract_id: int, actor: Actor) -> ContractFile:
    """The contract's whole file, and what ``actor`` may do on it now (asked of the rules)."""
    contract = get_contract(session, contract_id)
    customer = customer_of(session, contract)
    versions = contract_versions(session, contract)
    deliveries = deliveries_by_contract(session, [contract_id])[contract_id]
    summary = _summary(contract, versions[-1], customer, deliveries)
    facts = _facts(session, contract, summary.terms.quantity, deliveries)
    return ContractFile(
        **summary.model_dump(),
        customer=CustomerPublic.model_validate(customer, from_attributes=True),
        versions=versions,
        deliveries=_deliveries_public(session, deliveries),
        complaints=linked_complaints(session, contract),
        changes=change_reviews(session, contract),
        change_in_review=facts.change_in_review,
        available_actions=[a.value for a in available_contract_actions(facts, actor)],
    )


# Changing the ledger: each step under the ledger case's lock, with its history, in one commit.


def _refuse(refusal: Exception | None) -> None:
    if refusal is not None:
        raise refusal


def record_delivery(
    session: Session, contract_id: int, data: DeliveryCreate, actor: Actor
) -> Contract:
    """A delivery against the contract; the one that delivers the whole contracted quantity
    completes it."""
    require_permission(actor.role, Action.record_delivery)
    contract, case_id = lock_contract(session, contract_id)
    facts = contract_facts(session, contract)
    _refuse(contract_refusal(Action.record_delivery, facts, actor))
    _refuse(delivery_refusal(facts, data.quantity, data.delivered_on, business_today()))
    due_on = data.due_on or current_terms(session, contract).requested_delivery
    delivery = Delivery(
        contract_id=contract_id,
        delivered_on=data.delivered_on,
        quantity=data.quantity,
        due_on=due_on,
        on_time=due_on is None or data.delivered_on <= due_on,
        note=data.note.strip(),
        recorded_by_id=person_id(actor),
        recorded_at=utcnow(),
    )
    session.add(delivery)
    session.flush()
    record_history(
        session,
        case_id=case_id,
        actor=actor.name,
        action=HistoryAction.record_delivery,
        changes={"contract": contract.reference, **delivery.model_dump(exclude={"recorded_at"})},
    )
    if completes_contract(facts, data.quantity):
        delivered = facts.delivered + data.quantity
        _set_status(
            session,
            contract,
            ContractStatus.completed,
            case_id=case_id,
            actor=actor,
            reason=f"{delivered} of the contracted {facts.quantity} delivered",
        )
    session.commit()
    return contract


def cancel_contract(
    session: Session, contract_id: int, data: ContractCancellation, actor: Actor
) -> Contract:
    """Sales cancel an active contract, with the reason; nothing more is delivered against it."""
    require_permission(actor.role, Action.change_contract)
    contract, case_id = lock_contract(session, contract_id)
    _refuse(contract_refusal(Action.change_contract, contract_facts(session, contract), actor))
    reason = data.reason.strip()
    if not reason:
        raise InvalidInput("reason", "say why the contract is cancelled")
    _set_status(
        session, contract, ContractStatus.cancelled, case_id=case_id, actor=actor, reason=reason
    )
    session.commit()
    return contract


def report_progress(
    session: Session, contract_id: int, data: ContractProgressReport, actor: Actor
) -> Notification:
    """Sales tell the customer how the contract's deliveries stand, in the customer's language:
    one notice per report (a retry of its sending never mails it twice). A customer without
    an e-mail address is refused: sales phone them."""
    require_permission(actor.role, Action.report_contract_progress)
    contract, case_id = lock_contract(session, contract_id)
    terms = current_terms(session, contract)
    deliveries = deliveries_by_contract(session, [contract_id])[contract_id]
    facts = _facts(session, contract, terms.quantity, deliveries)
    _refuse(contract_refusal(Action.report_contract_progress, facts, actor))
    customer = customer_of(session, contract)
    address = _mail_address(customer, contract)
    figures = contract_figures(deliveries, terms.quantity)
    changes = {"contract": contract.reference, **_reported(figures), "recipient": address}
    entry = record_history(
        session,
        case_id=case_id,
        actor=actor.name,
        action=HistoryAction.progress_reported,
        changes={**changes, "note": data.note},
    )
    context = progress_context(contract, terms, customer, deliveries, data.note, figures)
    ledger_case = session.get(Review, case_id)  # locked by lock_contract
    assert ledger_case is not None, f"{contract.reference} has no ledger case"
    # The entry's position on the ledger case makes each report a notice of its own.
    key = f"contract-progress-{contract_id}-{entry.seq}"
    [notice] = review_notices.tell_contract_progress(session, ledger_case, context, key)
    session.commit()
    return notice


def _mail_address(customer: Customer, contract: Contract) -> str:
    if not customer.email:
        raise RuleViolation(
            f"{_customer_name(customer)} has no e-mail address: tell them how {contract.reference} "
            "stands by phone"
        )
    return customer.email


def _reported(figures: ContractFigures) -> dict[str, int | None]:
    """The figures a progress report told the customer, as its history entry keeps them."""
    return {
        "delivered": figures.delivered_quantity,
        "contracted": figures.contracted_quantity,
        "deliveries": figures.deliveries,
        "late_deliveries": figures.late_deliveries,
    }


def progress_context(
    contract: Contract,
    terms: ContractVersion,
    customer: Customer,
    deliveries: Sequence[Delivery],
    note: str,
    figures: ContractFigures | None = None,
) -> dict[str, Any]:
    """The progress notice's words, its numbers, shares and days written as the customer
    reads them (``1.500``, ``25 %``, ``1. März 2027`` for a German customer); ``figures``:
    the deliveries' figures when the caller has them already."""
    locale = babel_locale(customer.language)
    figures = figures or contract_figures(deliveries, terms.quantity)
    return {
        "reference": contract.reference,
        "order_reference": contract.order_reference,
        "title": terms.title,
        "customer_name": customer.name,
        "completed": contract.status is ContractStatus.completed,
        "contracted_quantity": _number(figures.contracted_quantity, locale),
        "delivered_quantity": _number(figures.delivered_quantity, locale),
        "delivered_share": _share(figures.delivered_share, locale),
        "delivery_count": _number(figures.deliveries, locale),
        "on_time_deliveries": _number(figures.on_time_deliveries, locale),
        "on_time_share": _share(figures.on_time_share, locale),
        "requested_delivery": _day(terms.requested_delivery, locale),
        "deliveries": [
            {
                "delivered_on": _day(d.delivered_on, locale),
                "quantity": _number(d.quantity, locale),
                "on_time": d.on_time,
            }
            for d in deliveries
        ],
        "note": note,
    }


def _number(value: int | None, locale: Locale) -> str | None:
    return None if value is None else format_decimal(value, locale=locale)


def _share(value: float | None, locale: Locale) -> str | None:
    return None if value is None else format_percent(value, locale=locale)


def _day(value: date | None, locale: Locale) -> str | None:
    return None if value is None else format_date(value, "long", locale=locale)


def _set_status(
    session: Session,
    contract: Contract,
    status: ContractStatus,
    *,
    case_id: int,
    actor: Actor,
    reason: str,
) -> None:
    before = contract.status
    contract.status = status
    session.add(contract)
    record_history(
        session,
        case_id=case_id,
        actor=actor.name,
        action=HistoryAction.change_contract,
        changes={"contract": contract.reference, "status": status, "status_before": before},
        reason=reason,
    )


# Complaints about a contract's goods.


def _reference_key(text: str | None) -> str:
    return (text or "").strip().lower()


def contract_named(session: Session, customer_id: int, reference: str | None) -> Contract | None:
    """The customer's contract a complaint's order reference names, as typed (trimmed, any
    case): by the ledger's reference before the customer's order number; the newest first."""
    key = _reference_key(reference)
    if not key:
        return None
    candidates = session.exec(
        select(Contract).where(
            Contract.customer_id == customer_id,
            or_(
                func.lower(func.trim(Contract.order_reference)) == key,
                func.lower(Contract.reference) == key,
            ),
        )
    ).all()
    ranked = sorted(
        candidates, key=lambda c: (_reference_key(c.reference) == key, id_of(c)), reverse=True
    )
    return ranked[0] if ranked else None


def link_complaint_to_contract(
    session: Session, complaint: Complaint, actor_name: str
) -> Contract | None:
    """Link the complaint to the contract its order reference names, once (a second call
    finds the link made). The caller holds the complaint's lock."""
    if session.get(ContractComplaint, complaint.id) is not None:
        return None
    contract = contract_named(session, complaint.customer_id, complaint.order_reference)
    if contract is None:
        return None
    session.add(
        ContractComplaint(
            complaint_id=id_of(complaint), contract_id=id_of(contract), linked_at=utcnow()
        )
    )
    record_history(
        session,
        case_id=id_of(complaint),
        actor=actor_name,
        action=HistoryAction.complaint_linked_to_contract,
        changes={"contract": contract.reference, "order_reference": complaint.order_reference},
    )
    return contract


def contract_reference_of_complaint(session: Session, complaint_id: int) -> str | None:
    return session.exec(
        select(Contract.reference)
        .join(ContractComplaint, col(ContractComplaint.contract_id) == Contract.id)
        .where(ContractComplaint.complaint_id == complaint_id)
    ).first()
