"""A complaint's row lock: taken before anything of the complaint changes, so its history
entries (``record_history``) and its status never race."""

from typing import Any

from sqlmodel import Session, col, select

from models.complaint import Complaint
from workflow.errors import NotFound


def _locked(session: Session, condition: Any, what: str) -> Complaint:
    complaint = session.exec(select(Complaint).where(condition).with_for_update()).first()
    if complaint is None:
        raise NotFound(f"no complaint {what}")
    return complaint


def lock_complaint(session: Session, reference: str) -> Complaint:
    return _locked(session, col(Complaint.reference) == reference, reference)


def lock_complaint_by_id(session: Session, complaint_id: int) -> Complaint:
    return _locked(session, col(Complaint.id) == complaint_id, f"with id {complaint_id}")
