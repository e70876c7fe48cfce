"""Related complaints as quality sees them: the list both ways, and quality's decision on a
link (confirm, dismiss) or a link of its own between two complaints."""

from sqlmodel import Session, col, select

from models.base import id_of
from models.complaint import Complaint
from models.enums import HistoryAction, LinkReason, LinkStatus
from models.quality import ComplaintLink
from models.recurrence import LinkReview, RelatedPublic
from workflow.clock import utcnow
from workflow.complaints import get_complaint
from workflow.errors import InvalidInput, NotFound
from workflow.history import record_history
from workflow.locking import lock_complaint_by_id
from workflow.rules import Action, require_permission
from workflow.transitions import Actor

DECISIONS = {
    LinkStatus.confirmed: HistoryAction.related_confirmed,
    LinkStatus.dismissed: HistoryAction.related_dismissed,
}


def _links_of(session: Session, complaint_id: int) -> list[ComplaintLink]:
    return list(
        session.exec(
            select(ComplaintLink)
            .where(
                (col(ComplaintLink.complaint_id) == complaint_id)
                | (col(ComplaintLink.related_id) == complaint_id)
            )
            .order_by(col(ComplaintLink.score).desc(), col(ComplaintLink.id))
        ).all()
    )


def _other_id(link: ComplaintLink, complaint_id: int) -> int:
    return link.related_id if link.complaint_id == complaint_id else link.complaint_id


def related_of(session: Session, complaint: Complaint) -> list[RelatedPublic]:
    """Every complaint linked to this one, newer or older, strongest link first."""
    complaint_id = id_of(complaint)
    links = _links_of(session, complaint_id)
    others = {
        id_of(c): c
        for c in session.exec(
            select(Complaint).where(
                col(Complaint.id).in_([_other_id(x, complaint_id) for x in links])
            )
        ).all()
    }
    related = []
    for link in links:
        other = others[_other_id(link, complaint_id)]
        related.append(
            RelatedPublic(
                reference=other.reference,
                status=other.status,
                product=other.product,
                received_at=other.received_at,
                reason=link.reason,
                score=link.score,
                link_status=link.status,
                found_at=link.found_at,
                decided_by=link.decided_by,
            )
        )
    return related


def _newer_first(a: Complaint, b: Complaint) -> tuple[Complaint, Complaint]:
    return (a, b) if (a.received_at, id_of(a)) > (b.received_at, id_of(b)) else (b, a)


def _lock_pair(session: Session, reference: str, other: str) -> tuple[Complaint, Complaint]:
    """Both complaints, locked in id order (as every writer locks two) so none deadlock."""
    first, second = get_complaint(session, reference), get_complaint(session, other)
    for locked in sorted((id_of(first), id_of(second))):
        lock_complaint_by_id(session, locked)
    return first, second


def _link_between(session: Session, one: Complaint, two: Complaint) -> ComplaintLink | None:
    newer, older = _newer_first(one, two)
    return session.exec(
        select(ComplaintLink).where(
            ComplaintLink.complaint_id == newer.id, ComplaintLink.related_id == older.id
        )
    ).first()


def _hand_link(one: Complaint, two: Complaint) -> ComplaintLink:
    newer, older = _newer_first(one, two)
    return ComplaintLink(
        complaint_id=id_of(newer),
        related_id=id_of(older),
        reason=LinkReason.by_hand,
        score=1.0,
        found_at=utcnow(),
    )


def review_related(
    session: Session, *, reference: str, other: str, review: LinkReview, actor: Actor
) -> RelatedPublic:
    """Quality confirms or dismisses the link between two complaints; confirming two that
    are not linked links them by hand. In the history of both, with the reason."""
    require_permission(actor.role, Action.review_related)
    if review.status not in DECISIONS:
        raise InvalidInput("status", "a link is confirmed or dismissed")
    if reference == other:
        raise InvalidInput("other", "a complaint cannot be related to itself", location="path")
    complaint, related = _lock_pair(session, reference, other)
    link, action = _link_between(session, complaint, related), DECISIONS[review.status]
    if link is None:
        if review.status is LinkStatus.dismissed:
            raise NotFound(f"{reference} and {other} are not linked")
        link, action = _hand_link(complaint, related), HistoryAction.related_linked
    link.status = review.status
    link.decided_by = actor.name
    link.decided_at = utcnow()
    session.add(link)
    for one, two in ((complaint, related), (related, complaint)):
        record_history(
            session,
            case_id=id_of(one),
            actor=actor.name,
            action=action,
            changes={"related": two.reference, "reason": link.reason, "link_status": link.status},
            reason=review.reason,
        )
    session.commit()
    return next(r for r in related_of(session, complaint) if r.reference == related.reference)
