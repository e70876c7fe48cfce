"""Recurrence detection: which earlier complaints look like the same problem, and whether a
product's defect keeps coming back often enough to tell the quality managers.

Both functions work inside the caller's transaction (the caller holds the complaint's lock
and commits once) and are idempotent: a second run finds its links and its alert there.
"""

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from models.base import id_of
from models.complaint import Complaint
from models.enums import HistoryAction, LinkReason
from models.quality import ComplaintLink, DefectCode, Product, RecurrenceAlert
from workflow import notices
from workflow.clock import utcnow
from workflow.history import record_history
from workflow.recurrence_rule import current_rule
from workflow.similarity import normalised, similar_texts

SAME_LOT_SCORE = 1.0
SAME_DEFECT_SCORE = 0.8
DETECTOR = "recurrence-detection"
# Scoring is Python work per candidate: the whole 90-day window of 100,000 complaints took
# about a second per intake, the newest 2,000 of it about 40 ms (bench/similarity.py).
MAX_TEXT_CANDIDATES = 2_000


def _earlier(complaint: Complaint) -> Any:
    """Complaints received before this one (by receipt, then by id for the same instant)."""
    return (col(Complaint.received_at) < complaint.received_at) | (
        (col(Complaint.received_at) == complaint.received_at)
        & (col(Complaint.id) < id_of(complaint))
    )


def _same_product(a: Complaint, b: Complaint) -> bool:
    if a.product_id is not None and b.product_id is not None:
        return a.product_id == b.product_id
    return normalised(a.product) == normalised(b.product) != ""


def same_lot_query(complaint: Complaint, lot: str) -> Any:
    """The earlier complaints of the lot, read through ``ix_complaint_lot_key`` (the same
    expression: trimmed, lower case), not by reading every complaint."""
    return select(Complaint).where(
        _earlier(complaint), func.lower(func.trim(col(Complaint.lot_number))) == lot
    )


def _same_lot(session: Session, complaint: Complaint) -> dict[int, tuple[LinkReason, float]]:
    lot = (complaint.lot_number or "").strip().lower()
    if not lot:
        return {}
    rows = session.exec(same_lot_query(complaint, lot)).all()
    return {
        id_of(c): (LinkReason.same_product_lot, SAME_LOT_SCORE)
        for c in rows
        if _same_product(complaint, c)
    }


def _same_defect(
    session: Session, complaint: Complaint, since: datetime
) -> dict[int, tuple[LinkReason, float]]:
    if complaint.product_id is None or complaint.defect_code_id is None:
        return {}
    ids = session.exec(
        select(Complaint.id).where(
            _earlier(complaint),
            col(Complaint.received_at) >= since,
            Complaint.product_id == complaint.product_id,
            Complaint.defect_code_id == complaint.defect_code_id,
        )
    ).all()
    return {i: (LinkReason.same_product_defect, SAME_DEFECT_SCORE) for i in ids if i is not None}


def _similar_text(
    session: Session, complaint: Complaint, since: datetime
) -> dict[int, tuple[LinkReason, float]]:
    candidates = session.exec(
        select(Complaint.id, Complaint.description)
        .where(_earlier(complaint), col(Complaint.received_at) >= since)
        .order_by(col(Complaint.received_at).desc())
        .limit(MAX_TEXT_CANDIDATES)
    ).all()
    found = similar_texts(complaint.description, ((i, d) for i, d in candidates if i is not None))
    return {i: (LinkReason.similar_text, score) for i, score in found}


def _best_reasons(session: Session, complaint: Complaint) -> dict[int, tuple[LinkReason, float]]:
    """Per earlier complaint, the strongest reason it looks like the same problem."""
    since = complaint.received_at - timedelta(days=current_rule(session).window_days)
    best: dict[int, tuple[LinkReason, float]] = {}
    for found in (
        _similar_text(session, complaint, since),
        _same_defect(session, complaint, since),
        _same_lot(session, complaint),
    ):
        for other, (reason, score) in found.items():
            if other not in best or score > best[other][1]:
                best[other] = (reason, score)
    return best


def _linked_ids(session: Session, complaint_id: int) -> set[int]:
    links = session.exec(
        select(ComplaintLink).where(
            (col(ComplaintLink.complaint_id) == complaint_id)
            | (col(ComplaintLink.related_id) == complaint_id)
        )
    ).all()
    return {
        link.related_id if link.complaint_id == complaint_id else link.complaint_id
        for link in links
    }


def find_related(session: Session, complaint: Complaint) -> list[ComplaintLink]:
    """Link the earlier complaints that look like the same problem (same product and lot,
    same product and defect code within the rule's window, similar description); the new
    links, also written to the complaint's history. Links already there are left as they are."""
    known = _linked_ids(session, id_of(complaint))
    found = {i: r for i, r in _best_reasons(session, complaint).items() if i not in known}
    if not found:
        return []
    now = utcnow()
    links = [
        ComplaintLink(
            complaint_id=id_of(complaint),
            related_id=other,
            reason=reason,
            score=score,
            found_at=now,
        )
        for other, (reason, score) in sorted(found.items(), key=lambda item: -item[1][1])
    ]
    session.add_all(links)
    session.flush()
    references = dict(
        session.exec(
            select(Complaint.id, Complaint.reference).where(col(Complaint.id).in_(found))
        ).all()
    )
    record_history(
        session,
        case_id=id_of(complaint),
        actor=DETECTOR,
        action=HistoryAction.related_found,
        changes={
            "related": [
                {
                    "reference": references[link.related_id],
                    "reason": link.reason,
                    "score": link.score,
                }
                for link in links
            ]
        },
    )
    return links


def _cluster(session: Session, complaint: Complaint, window_days: int) -> list[Complaint]:
    since = complaint.received_at - timedelta(days=window_days)
    return list(
        session.exec(
            select(Complaint)
            .where(
                Complaint.product_id == complaint.product_id,
                Complaint.defect_code_id == complaint.defect_code_id,
                col(Complaint.received_at) >= since,
                col(Complaint.received_at) <= complaint.received_at,
            )
            .order_by(col(Complaint.received_at), col(Complaint.id))
        ).all()
    )


def _already_alerted(session: Session, complaint: Complaint, first_seen: datetime) -> bool:
    """A cluster that shares a complaint with one alerted before is that cluster grown: no
    second alert. Only after a whole window without the problem does a new alert go out."""
    latest = session.exec(
        select(RecurrenceAlert)
        .where(
            RecurrenceAlert.product_id == complaint.product_id,
            RecurrenceAlert.defect_code_id == complaint.defect_code_id,
        )
        .order_by(col(RecurrenceAlert.last_seen).desc())
    ).first()
    return latest is not None and latest.last_seen >= first_seen


def check_recurrence(session: Session, complaint: Complaint) -> RecurrenceAlert | None:
    """Raise the cluster's one alert when this complaint's product and defect code meet the
    rule: a row, a notice to the quality managers and a ``recurrence_alert`` history entry."""
    if complaint.product_id is None or complaint.defect_code_id is None:
        return None
    # Serialise the checks of one product, so two assessments never both raise the alert.
    product = session.exec(
        select(Product).where(Product.id == complaint.product_id).with_for_update()
    ).one()
    rule = current_rule(session)
    cluster = _cluster(session, complaint, rule.window_days)
    if len(cluster) < rule.threshold:
        return None
    first_seen, last_seen = cluster[0].received_at, cluster[-1].received_at
    if _already_alerted(session, complaint, first_seen):
        return None
    defect = session.get(DefectCode, complaint.defect_code_id)
    assert defect is not None
    references = [c.reference for c in cluster]
    alert = RecurrenceAlert(
        cluster_key=f"{product.id}:{defect.id}:{references[0]}",
        product_id=id_of(product),
        defect_code_id=id_of(defect),
        references=references,
        first_seen=first_seen,
        last_seen=last_seen,
        raised_at=utcnow(),
        details={"threshold": rule.threshold, "window_days": rule.window_days},
    )
    session.add(alert)
    session.flush()
    _tell(session, complaint, alert, product, defect)
    return alert


def _tell(
    session: Session,
    complaint: Complaint,
    alert: RecurrenceAlert,
    product: Product,
    defect: DefectCode,
) -> None:
    cluster = {
        "cluster_product": f"{product.part_number} {product.name}",
        "cluster_defect": f"{defect.code} {defect.label}",
        "cluster_count": len(alert.references),
        "cluster_references": alert.references,
        "first_seen": alert.first_seen,
        "last_seen": alert.last_seen,
        **alert.details,
    }
    notices.alert_quality_managers_of_recurrence(
        session, complaint, cluster, key=f"recurrence:{alert.cluster_key}"
    )
    record_history(
        session,
        case_id=id_of(complaint),
        actor=DETECTOR,
        action=HistoryAction.recurrence_alert,
        changes={
            "cluster_key": alert.cluster_key,
            "product": cluster["cluster_product"],
            "defect_code": defect.code,
            "references": alert.references,
            "threshold": alert.details["threshold"],
            "window_days": alert.details["window_days"],
        },
        reason=f"{len(alert.references)} complaints on one product and defect code "
        f"within {alert.details['window_days']} days",
    )


def detect(session: Session, complaint: Complaint) -> None:
    """Both checks, as intake's routing and quality's first assessment run them."""
    find_related(session, complaint)
    check_recurrence(session, complaint)
