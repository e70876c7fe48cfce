"""A customer's file and the changes sales make to it (contact details, language, time zone).

A customer has no history of their own: each change is written to the history of every one
of their complaints, where an auditor reads the complaint file. The old and new contact
details are personal values (``customer_details``), so an erasure clears them there too.
"""

from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, col, func, select

from models.base import id_of
from models.complaint import Complaint
from models.customer import Customer, CustomerUpdate
from models.enums import HistoryAction
from workflow.errors import InvalidInput, NotFound, RuleViolation
from workflow.history import record_history
from workflow.locking import lock_complaint_by_id
from workflow.rules import Action, Actor, require_permission

CONTACT_FIELDS = ("name", "company", "email", "phone", "address")
SETTING_FIELDS = ("language", "time_zone")


@dataclass(frozen=True)
class CustomerChange:
    customer: Customer
    changed: list[str]
    complaints: list[str]


def get_customer(session: Session, customer_id: int) -> Customer:
    customer = session.get(Customer, customer_id)
    if customer is None:
        raise NotFound(f"no customer with id {customer_id}")
    return customer


def customer_complaints(session: Session, customer_id: int) -> list[Complaint]:
    query = select(Complaint).where(Complaint.customer_id == customer_id)
    return list(session.exec(query.order_by(col(Complaint.received_at).desc())))


def other_complaints(
    session: Session, customer_id: int, *, besides: int, limit: int = 10
) -> tuple[list[Complaint], int]:
    """The customer's latest complaints other than ``besides``, and how many there are."""
    others = select(Complaint).where(Complaint.customer_id == customer_id, Complaint.id != besides)
    total = session.exec(select(func.count()).select_from(others.subquery())).one()
    latest = others.order_by(col(Complaint.received_at).desc()).limit(limit)
    return list(session.exec(latest)), total


def update_customer(
    session: Session, *, customer_id: int, update: CustomerUpdate, actor: Actor
) -> CustomerChange:
    require_permission(actor.role, Action.edit_customer)
    customer = lock_customer(session, customer_id)
    wanted = _wanted_values(update)
    changed = {f: v for f, v in wanted.items() if getattr(customer, f) != v}
    if not changed:
        return CustomerChange(customer, [], [])
    _check_reachable(customer, changed)
    if changed.get("email"):
        _refuse_address_of_another(session, customer_id, changed["email"])
    before = {f: getattr(customer, f) for f in changed}
    for field, value in changed.items():
        setattr(customer, field, value)
    session.add(customer)
    complaints = [c.reference for c in customer_complaints(session, customer_id)]
    _record_on_each_complaint(session, customer_id, before, changed, update.reason, actor)
    session.commit()
    return CustomerChange(customer, sorted(changed), complaints)


def lock_customer(session: Session, customer_id: int) -> Customer:
    """The customer's row, locked; 404 if none, 409 once their personal data is erased."""
    customer = session.exec(
        select(Customer).where(Customer.id == customer_id).with_for_update()
    ).first()
    if customer is None:
        raise NotFound(f"no customer with id {customer_id}")
    if customer.erased_at is not None:
        raise RuleViolation(
            f"customer {customer_id}'s personal data was already erased on "
            f"{customer.erased_at:%Y-%m-%d}"
        )
    return customer


def _wanted_values(update: CustomerUpdate) -> dict[str, Any]:
    """The fields the request names; an empty optional text clears the field."""
    given = update.model_fields_set - {"reason"}
    values = {f: getattr(update, f) for f in given}
    return {f: (v.strip() or None) if isinstance(v, str) else v for f, v in values.items()}


def _check_reachable(customer: Customer, changed: dict[str, Any]) -> None:
    for field in ("name", "language", "time_zone"):
        if field in changed and changed[field] is None:
            raise InvalidInput(field, f"the customer's {field.replace('_', ' ')} cannot be empty")
    email = changed.get("email", customer.email)
    phone = changed.get("phone", customer.phone)
    if not email and not phone:
        raise InvalidInput("email", "keep the customer's e-mail address or phone number")


def _refuse_address_of_another(session: Session, customer_id: int, email: str) -> None:
    other = session.exec(
        select(Customer).where(
            func.lower(Customer.email) == email.lower(), Customer.id != customer_id
        )
    ).first()
    if other is not None:
        raise RuleViolation(
            f"customer {other.id} ({other.name}) has the address {other.email} already: "
            "mail intake would not know whose mail it is; change that customer first"
        )


def _record_on_each_complaint(
    session: Session,
    customer_id: int,
    before: dict[str, Any],
    after: dict[str, Any],
    reason: str,
    actor: Actor,
) -> None:
    contact = [f for f in after if f in CONTACT_FIELDS]
    changes: dict[str, Any] = {"customer_id": customer_id}
    if contact:
        changes["customer_details"] = {
            f: {"from": before[f], "to": after[f]} for f in sorted(contact)
        }
    for field in (f for f in SETTING_FIELDS if f in after):
        changes[field] = {"from": before[field], "to": after[field]}
    for complaint in customer_complaints(session, customer_id):
        lock_complaint_by_id(session, id_of(complaint))
        record_history(
            session,
            case_id=id_of(complaint),
            actor=actor.name,
            action=HistoryAction.customer_changed,
            changes=changes,
            reason=reason,
        )
