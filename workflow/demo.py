"""Demo complaints for `make run` (development only), logged through the normal intake."""

from sqlmodel import Session, select

from models.complaint import Complaint, ComplaintCreate
from models.customer import CustomerCreate
from models.user import User
from workflow.complaints import log_complaint
from workflow.config import get_settings
from workflow.rules import Channel, Kind, Remedy, Severity
from workflow.transitions import actor_of_user

DEMO_COMPLAINTS = [
    ComplaintCreate(
        kind=Kind.complaint,
        channel=Channel.phone,
        product="Pump P-200",
        lot_number="L-2026-114",
        order_reference="PO-7781",
        quantity_affected=12,
        description="Seal leaks after two hours of operation.",
        remedy_sought=Remedy.replacement,
        severity=Severity.major,
        customer=CustomerCreate(
            name="Jane Miller", company="Acme Foods", email="jane@acme.example", phone="+49 30 1234"
        ),
    ),
    ComplaintCreate(
        kind=Kind.complaint,
        channel=Channel.email,
        product="Valve V-10",
        serial_number="SN-5531",
        quantity_affected=1,
        description="Valve body cracked on delivery; line is stopped.",
        remedy_sought=Remedy.replacement,
        severity=Severity.critical,
        customer=CustomerCreate(
            name="Omar Haddad", company="Nordic Dairy", email="omar@nordic-dairy.example"
        ),
    ),
    ComplaintCreate(
        kind=Kind.praise,
        channel=Channel.web,
        product="Service",
        description="Your technician was quick and friendly.",
        customer=CustomerCreate(name="Lena Schultz", email="lena@example.org"),
    ),
]


def seed_demo_complaints(session: Session) -> list[str]:
    """Log the demo complaints once, as the demo sales user; their references."""
    if get_settings().environment == "production":
        return []
    if session.exec(select(Complaint.id).limit(1)).first() is not None:
        return []
    sales = session.exec(select(User).where(User.username == "sales")).one()
    references = []
    for data in DEMO_COMPLAINTS:
        result = log_complaint(session, data=data, actor=actor_of_user(sales), idempotency_key=None)
        references.append(result.body["reference"])
    return references
