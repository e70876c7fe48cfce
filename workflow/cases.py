"""A case of any customer process, as the engine sees it: a complaint or a contract review.

The engine's tables point at the case (``case_id``); what a person reads as its name is the
complaint's or the review's reference, and what the engine locks before it changes anything
of a case is the complaint's or the review's row.
"""

from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Select, func
from sqlmodel import Session, col, select

from models.complaint import Complaint
from models.review import Review
from workflow.errors import NotFound

CaseRecord = Complaint | Review
Query = TypeVar("Query", bound=Select[Any])


def case_reference() -> ColumnElement[str]:
    """The case's reference, in a query joined with ``with_case_records``."""
    return func.coalesce(Complaint.reference, Review.reference)


def with_case_records(query: Query, case_id: Any) -> Query:
    """``query`` joined (outer) with the complaint or review whose id is ``case_id``."""
    return query.outerjoin(Complaint, col(Complaint.id) == case_id).outerjoin(
        Review, col(Review.id) == case_id
    )


def lock_review_by_id(session: Session, review_id: int) -> Review:
    review = session.exec(select(Review).where(Review.id == review_id).with_for_update()).first()
    if review is None:
        raise NotFound(f"no contract review with id {review_id}")
    return review


def lock_review(session: Session, reference: str) -> Review:
    found = session.exec(select(Review).where(Review.reference == reference).with_for_update())
    review = found.first()
    if review is None:
        raise NotFound(f"no contract review {reference}")
    return review


def case_record(session: Session, case_id: int) -> CaseRecord:
    """The complaint or the review, read (not locked)."""
    record = session.get(Complaint, case_id) or session.get(Review, case_id)
    if record is None:
        raise NotFound(f"no case with id {case_id}")
    return record


def lock_case_by_id(session: Session, case_id: int) -> CaseRecord:
    """The complaint or the review, locked: every change of a case starts here. A complaint
    (most cases, and the notices' and the sweep's hot path) takes one query."""
    found = select(Complaint).where(Complaint.id == case_id).with_for_update()
    complaint = session.exec(found).first()
    return complaint if complaint is not None else lock_review_by_id(session, case_id)
