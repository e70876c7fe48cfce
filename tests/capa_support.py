"""Factories for the quality-loop tests: a production user, a complaint quality has worked,
actions opened and completed through the API, product and defect codes set directly."""

import hashlib
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import select

from models.attachment import Attachment
from models.complaint import Complaint
from models.enums import Department, Role
from models.quality import DefectCode, Product
from models.user import User, UserCreate
from tests.support import Api, drain_outbox
from workflow.clock import utcnow
from workflow.db import write_session
from workflow.users import create_user

BERLIN = ZoneInfo("Europe/Berlin")
PRODUCTION_PASSWORD = "line-supervisor-2026"


def berlin(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=BERLIN)


def production_user(base_url: str, username: str = "petra") -> Api:
    with write_session() as session:
        create_user(
            session,
            user_create=UserCreate(
                username=username,
                full_name="Petra Production",
                email=f"{username}@example.com",
                role=Role.production,
                department=Department.production,
                password=PRODUCTION_PASSWORD,
            ),
        )
    return Api(base_url, username, password=PRODUCTION_PASSWORD)


def routed_complaint(sales: Api, **overrides: Any) -> str:
    reference = sales.log_complaint(**overrides)["reference"]
    drain_outbox()
    return reference


def open_action(quality: Api, reference: str, **overrides: Any) -> dict:
    body = {
        "kind": "corrective",
        "description": "Reject supplier batch S-4411; tighten seal inspection.",
        "owner_department": "production",
        "owner": "petra",
        "business_days": 2,
        **overrides,
    }
    answer = quality.post(f"/complaints/{reference}/actions", json=body)
    assert answer.status_code == 201, answer.text
    return answer.json()


def complete_action(owner: Api, action: dict, evidence: str = "Batch returned.") -> dict:
    answer = owner.post(
        f"/tasks/{action['task_id']}/complete", json={"kind": "action_done", "evidence": evidence}
    )
    assert answer.status_code == 200, answer.text
    return answer.json()


def add_attachment(reference: str) -> int:
    data = b"%PDF-1.4 inspection report"
    with write_session() as session:
        complaint = session.exec(select(Complaint).where(Complaint.reference == reference)).one()
        sales = session.exec(select(User).where(User.username == "sales")).one()
        attachment = Attachment(
            case_id=complaint.id or 0,
            uploaded_by_id=sales.id or 0,
            uploaded_at=utcnow(),
            filename="inspection.pdf",
            content_type="application/pdf",
            size_bytes=len(data),
            sha256=hashlib.sha256(data).hexdigest(),
            data=data,
        )
        session.add(attachment)
        session.commit()
        return attachment.id or 0


def set_codes(references: list[str], part_number: str, defect: str) -> None:
    """The product and defect code quality would have recorded (another part of the issue)."""
    now = utcnow()
    with write_session() as session:
        product = session.exec(select(Product).where(Product.part_number == part_number)).first()
        if product is None:
            product = Product(
                part_number=part_number,
                name=part_number,
                family="pumps",
                created_at=now,
                updated_at=now,
            )
            session.add(product)
        code = session.exec(select(DefectCode).where(DefectCode.code == defect)).first()
        if code is None:
            code = DefectCode(code=defect, family="leak", label=defect, created_at=now)
            session.add(code)
        session.flush()
        for reference in references:
            complaint = session.exec(
                select(Complaint).where(Complaint.reference == reference)
            ).one()
            complaint.product_id = product.id
            complaint.defect_code_id = code.id
            session.add(complaint)
        session.commit()
