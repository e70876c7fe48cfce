"""What customers said of how their complaints were handled, for the complaints closed in a
period: invitations, responses, response rate, average score, share satisfied (4 or 5) and
share solved, per group, and per month for the dashboard's trend.

Grouped by department, a complaint counts once in every department that had a task on it
(the groups overlap): a department is measured on the complaints it worked on.
"""

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime
from enum import StrEnum

from sqlmodel import Session, col, select

from models.complaint import Complaint
from models.customer import Customer
from models.notification import NoticeKind, Notification
from models.satisfaction import SatisfactionResponse, SatisfactionRow
from models.task import Task

SATISFIED_SCORES = frozenset({4, 5})
NO_DEPARTMENT = "-"


class SatisfactionGroup(StrEnum):
    department = "department"
    product = "product"
    customer = "customer"
    severity = "severity"


def _share(part: float, whole: int, digits: int = 4) -> float | None:
    return round(part / whole, digits) if whole else None


def _invited(session: Session, start: datetime, end: datetime) -> dict[int, Complaint]:
    """The complaints closed in the period whose customer was invited to rate them."""
    query = (
        select(Complaint)
        .where(col(Complaint.closed_at) >= start, col(Complaint.closed_at) < end)
        .where(
            col(Complaint.id).in_(
                select(Notification.case_id).where(
                    Notification.kind == NoticeKind.satisfaction_invitation
                )
            )
        )
    )
    return {c.id: c for c in session.exec(query) if c.id is not None}


def _group_keys(
    session: Session, complaints: dict[int, Complaint], group_by: SatisfactionGroup
) -> dict[int, list[str]]:
    if group_by is SatisfactionGroup.department:
        keys: dict[int, set[str]] = defaultdict(set)
        rows = session.exec(
            select(Task.case_id, Task.department).where(col(Task.case_id).in_(list(complaints)))
        )
        for complaint_id, department in rows:
            keys[complaint_id].add(str(department))
        return {i: sorted(keys[i]) or [NO_DEPARTMENT] for i in complaints}
    if group_by is SatisfactionGroup.customer:
        ids = {c.customer_id for c in complaints.values()}
        names = {
            c.id: c.name for c in session.exec(select(Customer).where(col(Customer.id).in_(ids)))
        }
        return {i: [names.get(c.customer_id, "?")] for i, c in complaints.items()}
    if group_by is SatisfactionGroup.product:
        return {i: [c.product] for i, c in complaints.items()}
    return {i: [c.severity.value] for i, c in complaints.items()}


def _row(group: str, invitations: int, ratings: list[SatisfactionResponse]) -> SatisfactionRow:
    answered = len(ratings)
    return SatisfactionRow(
        group=group,
        invitations=invitations,
        responses=answered,
        response_rate=_share(answered, invitations),
        average_score=_share(sum(r.score for r in ratings), answered, 2),
        satisfied_share=_share(sum(r.score in SATISFIED_SCORES for r in ratings), answered),
        solved_share=_share(sum(r.solved for r in ratings), answered),
    )


def _ratings(session: Session, complaint_ids: Iterable[int]) -> dict[int, SatisfactionResponse]:
    rows = session.exec(
        select(SatisfactionResponse).where(
            col(SatisfactionResponse.complaint_id).in_(list(complaint_ids))
        )
    )
    return {r.complaint_id: r for r in rows}


def _tally(
    keys: dict[int, list[str]], ratings: dict[int, SatisfactionResponse]
) -> list[SatisfactionRow]:
    invited: dict[str, int] = defaultdict(int)
    answered: dict[str, list[SatisfactionResponse]] = defaultdict(list)
    for complaint_id, groups in keys.items():
        for group in groups:
            invited[group] += 1
            if complaint_id in ratings:
                answered[group].append(ratings[complaint_id])
    return [_row(group, invited[group], answered[group]) for group in sorted(invited)]


def satisfaction_report(
    session: Session, *, start: datetime, end: datetime, group_by: SatisfactionGroup
) -> list[SatisfactionRow]:
    complaints = _invited(session, start, end)
    return _tally(_group_keys(session, complaints, group_by), _ratings(session, complaints))


def monthly_satisfaction(
    session: Session, *, start: datetime, end: datetime
) -> list[SatisfactionRow]:
    """One row per month of closing (``YYYY-MM``, UTC) in the period: the dashboard's trend."""
    complaints = _invited(session, start, end)
    months = {i: [f"{c.closed_at:%Y-%m}"] for i, c in complaints.items()}
    return _tally(months, _ratings(session, complaints))
