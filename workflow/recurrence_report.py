"""Recurrence in figures: the clusters of complaints on one product and defect code, and the
Pareto of defect codes (counts sorted, cumulative share)."""

from collections import defaultdict
from datetime import datetime, timedelta

from sqlmodel import Session, SQLModel, col, select

from models.complaint import Complaint
from models.quality import DefectCode, Product, RecurrenceAlert
from models.recurrence import ClusterPublic
from workflow.clock import utcnow
from workflow.recurrence_rule import current_rule


class ParetoBar(SQLModel):
    code: str
    label: str
    count: int
    cumulative_share: float


def _coded_since(session: Session, since: datetime, *, with_product: bool) -> list[Complaint]:
    conditions = [col(Complaint.received_at) >= since, col(Complaint.defect_code_id).is_not(None)]
    if with_product:
        conditions.append(col(Complaint.product_id).is_not(None))
    return list(
        session.exec(
            select(Complaint)
            .where(*conditions)
            .order_by(col(Complaint.received_at), col(Complaint.id))
        ).all()
    )


def _alerted(alerts: list[RecurrenceAlert], first_seen: datetime) -> bool:
    return any(alert.last_seen >= first_seen for alert in alerts)


def recurrence_clusters(session: Session, *, days: int) -> list[ClusterPublic]:
    """Every product and defect code with two complaints or more received in the last
    ``days`` days, the largest first."""
    groups: dict[tuple[int, int], list[Complaint]] = defaultdict(list)
    for complaint in _coded_since(session, utcnow() - timedelta(days=days), with_product=True):
        assert complaint.product_id is not None
        assert complaint.defect_code_id is not None
        groups[(complaint.product_id, complaint.defect_code_id)].append(complaint)
    threshold = current_rule(session).threshold
    clusters = []
    for (product_id, defect_id), members in groups.items():
        if len(members) < 2:
            continue
        product, defect = session.get(Product, product_id), session.get(DefectCode, defect_id)
        assert product is not None
        assert defect is not None
        alerts = list(
            session.exec(
                select(RecurrenceAlert).where(
                    RecurrenceAlert.product_id == product_id,
                    RecurrenceAlert.defect_code_id == defect_id,
                )
            ).all()
        )
        clusters.append(
            ClusterPublic(
                product_id=product_id,
                product=f"{product.part_number} {product.name}",
                defect_code_id=defect_id,
                defect_code=defect.code,
                count=len(members),
                references=[c.reference for c in members],
                first_seen=members[0].received_at,
                last_seen=members[-1].received_at,
                meets_rule=len(members) >= threshold,
                alerted=_alerted(alerts, members[0].received_at),
            )
        )
    return sorted(clusters, key=lambda c: (-c.count, c.product, c.defect_code))


def defect_pareto(session: Session, *, since: datetime) -> list[ParetoBar]:
    """Complaints per defect code received since ``since``, most first, with the running
    share of all coded complaints (the Pareto chart's line)."""
    counts: dict[int, int] = defaultdict(int)
    for complaint in _coded_since(session, since, with_product=False):
        assert complaint.defect_code_id is not None
        counts[complaint.defect_code_id] += 1
    codes = {
        c.id: c
        for c in session.exec(select(DefectCode).where(col(DefectCode.id).in_(counts))).all()
    }
    total, running, bars = sum(counts.values()), 0, []
    for defect_id, count in sorted(counts.items(), key=lambda item: (-item[1], item[0])):
        running += count
        code = codes[defect_id]
        bars.append(
            ParetoBar(
                code=code.code,
                label=code.label,
                count=count,
                cumulative_share=round(running / total, 3),
            )
        )
    return bars
