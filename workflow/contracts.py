"""The contract ledger: every accepted contract or order, each version of its terms (the first
review's, then one per accepted change), the deliveries against it and its performance."""

from sqlmodel import Session, select

from models.base import id_of
from models.enums import HistoryAction, ReviewKind
from models.review import Contract, ContractVersion, Review
from workflow.clock import utcnow
from workflow.history import record_history
from workflow.references import CONTRACT_PREFIX, take_reference
from workflow.rules import Actor


def enter_in_ledger(
    session: Session, review: Review, conditions: list[str], actor: Actor
) -> Contract:
    """The accepted review's terms as the contract's first version, or, for a change, as
    its contract's next version. In the caller's transaction (the acceptance's)."""
    now = utcnow()
    if review.kind is ReviewKind.change:
        contract = session.get(Contract, review.contract_id)
        assert contract is not None, f"{review.reference} changes a contract not in the ledger"
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
    return contract


def current_terms(session: Session, contract: Contract) -> ContractVersion:
    """The contract's terms now: its latest version's."""
    return session.exec(
        select(ContractVersion).where(
            ContractVersion.contract_id == contract.id,
            ContractVersion.version == contract.version,
        )
    ).one()
