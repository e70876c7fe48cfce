"""Quality points a complaint at the catalogue product its free text meant."""

from sqlmodel import Session

from models.base import id_of
from models.catalogue import ProductMapping
from models.complaint import Complaint
from models.enums import HistoryAction
from models.quality import Product
from workflow.errors import InvalidInput
from workflow.facts import facts_of
from workflow.history import record_history
from workflow.rules import Action, Actor, require_complaint_action
from workflow.transitions import lock_complaint, touch


def _product_ref(product: Product | None) -> dict | None:
    if product is None:
        return None
    return {"id": product.id, "part_number": product.part_number, "name": product.name}


def map_product(
    session: Session, *, reference: str, mapping: ProductMapping, actor: Actor
) -> Complaint:
    """Point the complaint at the product (any state: the quality record outlives the
    answer); its free text stays as received. History ``product_mapped`` with old and new."""
    complaint = lock_complaint(session, reference)
    require_complaint_action(Action.map_product, facts_of(complaint), actor)
    product = session.get(Product, mapping.product_id)
    if product is None:
        raise InvalidInput("product_id", f"no product {mapping.product_id}")
    if not product.active:
        raise InvalidInput("product_id", f"product {product.part_number} is no longer sold")
    if complaint.product_id == product.id:
        return complaint
    old = session.get(Product, complaint.product_id) if complaint.product_id else None
    touch(session, complaint, product_id=product.id)
    record_history(
        session,
        case_id=id_of(complaint),
        actor=actor.name,
        action=HistoryAction.product_mapped,
        changes={
            "product": complaint.product,
            "old": _product_ref(old),
            "new": _product_ref(product),
        },
        reason=mapping.reason,
    )
    session.commit()
    return complaint
