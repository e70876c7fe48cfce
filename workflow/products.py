"""Products: the catalogue quality and admins keep, its CSV import, and the look-ups intake
and quality use to point a complaint at a product."""

from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, func, or_, select

from models.base import id_of
from models.catalogue import ProductCreate, ProductPublic, ProductUpdate
from models.enums import HistoryAction
from models.quality import Product
from models.views import Page
from workflow.clock import utcnow
from workflow.errors import InvalidInput, NotFound, RuleViolation
from workflow.master_log import apply_changes, log_change
from workflow.rules import Action, Actor, require_permission

ENTITY = "product"


def list_products(
    session: Session,
    *,
    text: str | None,
    family: str | None,
    active: bool | None,
    limit: int,
    offset: int,
) -> Page[ProductPublic]:
    query = select(Product)
    if text:
        query = query.where(
            or_(
                col(Product.part_number).icontains(text, autoescape=True),
                col(Product.name).icontains(text, autoescape=True),
            )
        )
    if family:
        query = query.where(func.lower(Product.family) == family.strip().lower())
    if active is not None:
        query = query.where(Product.active == active)
    rows = session.exec(
        query.order_by(col(Product.part_number), col(Product.id)).offset(offset).limit(limit + 1)
    ).all()
    items = [ProductPublic.model_validate(p, from_attributes=True) for p in rows[:limit]]
    return Page(items=items, limit=limit, offset=offset, has_more=len(rows) > limit)


def get_product(session: Session, product_id: int) -> Product:
    product = session.get(Product, product_id)
    if product is None:
        raise NotFound(f"no product {product_id}")
    return product


def product_by_part_number(session: Session, part_number: str) -> Product | None:
    return session.exec(
        select(Product).where(func.lower(Product.part_number) == part_number.strip().lower())
    ).first()


def matching_product(session: Session, text: str) -> Product | None:
    """The one active product whose part number or name is ``text`` (case and surrounding
    blanks aside); None when none or several match, so nothing is guessed."""
    wanted = text.strip().lower()
    if not wanted:
        return None
    found = session.exec(
        select(Product)
        .where(
            Product.active == True,  # noqa: E712
            or_(func.lower(Product.part_number) == wanted, func.lower(Product.name) == wanted),
        )
        .limit(2)
    ).all()
    return found[0] if len(found) == 1 else None


def add_product(session: Session, data: ProductCreate) -> Product:
    now = utcnow()
    product = Product.model_validate(data, update={"created_at": now, "updated_at": now})
    session.add(product)
    session.flush()
    return product


def create_product(session: Session, *, data: ProductCreate, actor: Actor) -> Product:
    require_permission(actor.role, Action.manage_products)
    if product_by_part_number(session, data.part_number) is not None:
        raise RuleViolation(f"a product with part number {data.part_number} exists already")
    try:
        product = add_product(session, data)
    except IntegrityError as exc:  # a concurrent request created it first
        session.rollback()
        raise RuleViolation(f"a product with part number {data.part_number} exists") from exc
    log_change(
        session,
        actor=actor,
        entity=ENTITY,
        entity_id=id_of(product),
        action=HistoryAction.product_created,
        changes=data.model_dump(mode="json"),
    )
    session.commit()
    return product


def apply_product_changes(product: Product, wanted: dict[str, Any]) -> dict[str, Any]:
    """Set the fields that differ (and the time of the change); the changes for the log."""
    changes = apply_changes(product, wanted)
    if changes:
        product.updated_at = utcnow()
    return changes


def update_product(
    session: Session, *, product_id: int, update: ProductUpdate, actor: Actor
) -> Product:
    """Rename, move to another family, deactivate or reactivate; the part number stays."""
    require_permission(actor.role, Action.manage_products)
    product = session.exec(
        select(Product).where(Product.id == product_id).with_for_update()
    ).first()
    if product is None:
        raise NotFound(f"no product {product_id}")
    changes = apply_product_changes(
        product, update.model_dump(exclude_unset=True, exclude={"reason"})
    )
    if not changes:
        return product
    session.add(product)
    log_change(
        session,
        actor=actor,
        entity=ENTITY,
        entity_id=product_id,
        action=HistoryAction.product_changed,
        changes={"part_number": product.part_number, **changes},
        reason=update.reason,
    )
    session.commit()
    return product


def product_for_intake(
    session: Session, product_id: int | None, text: str | None
) -> tuple[str, int | None]:
    """The text a new complaint keeps as ``product`` and the catalogue product it points at:
    the one named by id (its name when no text is given), or the one the text names exactly,
    or none (unmapped, for quality to map)."""
    if product_id is not None:
        product = session.get(Product, product_id)
        if product is None:
            raise InvalidInput("product_id", f"no product {product_id}")
        if not product.active:
            raise InvalidInput("product_id", f"product {product.part_number} is no longer sold")
        return (text or "").strip() or product.name, product_id
    assert text is not None
    match = matching_product(session, text)
    return text, match.id if match else None


def active_products(session: Session, limit: int = 2_000) -> list[Product]:
    """The products that may be chosen, by part number (for a page's select)."""
    query = select(Product).where(Product.active == True)  # noqa: E712
    return list(session.exec(query.order_by(col(Product.part_number)).limit(limit)))
