"""Quality's answers to a complaint, one per round: the one query that finds the latest."""

from sqlmodel import Session, col, select

from models.resolution import Resolution


def latest_resolution(
    session: Session, complaint_id: int, *, approved_only: bool = False
) -> Resolution | None:
    """The newest round's resolution; with ``approved_only``, the newest sales approved
    (what the customer was told)."""
    query = select(Resolution).where(Resolution.complaint_id == complaint_id)
    if approved_only:
        query = query.where(col(Resolution.approved_at).is_not(None))
    return session.exec(query.order_by(col(Resolution.revision).desc())).first()
