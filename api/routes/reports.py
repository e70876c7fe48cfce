import re
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated

from fastapi import APIRouter, Header, Query
from fastapi.responses import Response
from pydantic import BeforeValidator

from api.deps import SessionDep, allowed
from models.recurrence import ClusterPublic
from models.satisfaction import SatisfactionRow
from workflow.clock import utcnow
from workflow.csv_export import csv_text
from workflow.errors import InvalidInput
from workflow.recurrence_report import recurrence_clusters
from workflow.reports import GroupBy, ReportRow, deadline_report
from workflow.rules import Action
from workflow.satisfaction_report import SatisfactionGroup, satisfaction_report
from workflow.transitions import Actor

router = APIRouter(prefix="/reports", tags=["managers"])
DEFAULT_PERIOD_DAYS = 90
ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


def _iso_day_only(value: object) -> object:
    """A day as YYYY-MM-DD, nothing else: pydantic would read `0` as 1970-01-01."""
    if isinstance(value, str) and not ISO_DAY.fullmatch(value):
        raise ValueError("a day is written YYYY-MM-DD")
    return value


Day = Annotated[date, BeforeValidator(_iso_day_only)]


def period(from_: date | None, to: date | None) -> tuple[datetime, datetime]:
    """The report's days as UTC moments: `to` exclusive, by default the last 90 days."""
    to = to or utcnow().date() + timedelta(days=1)
    from_ = from_ or to - timedelta(days=DEFAULT_PERIOD_DAYS)
    if to <= from_:
        raise InvalidInput("to", "`to` must be after `from`", location="query")
    return datetime.combine(from_, time(), tzinfo=UTC), datetime.combine(to, time(), tzinfo=UTC)


def _as_csv(rows: list[ReportRow]) -> Response:
    text = csv_text(list(ReportRow.model_fields), (row.model_dump() for row in rows))
    return Response(text, media_type="text/csv; charset=utf-8")


@router.get(
    "/deadlines",
    summary="Deadline performance",
    description="For complaints received from `from` (inclusive) to `to` (exclusive; `to` "
    "must be after `from`; without them, the last 90 days), grouped "
    "by department, severity, product or customer: share of steps done on time; median and "
    "90th percentile (nearest rank) business hours to acknowledge, to the first assessment "
    "and to the resolution notice; reopened share; open complaints by age in days; open "
    "tasks; complaints whose quality record is complete. Send `Accept: text/csv` for CSV.",
    responses={200: {"content": {"text/csv": {}}}},
)
def deadlines_report(
    session: SessionDep,
    _: Annotated[Actor, allowed(Action.read_reports)],
    from_: Annotated[
        Day | None,
        Query(alias="from", description="First day (UTC); default: 90 days before `to`"),
    ] = None,
    to: Annotated[
        Day | None, Query(description="Day after the last (UTC); default: tomorrow")
    ] = None,
    group_by: GroupBy = GroupBy.department,
    accept: Annotated[str | None, Header()] = None,
) -> list[ReportRow]:
    start, end = period(from_, to)
    rows = deadline_report(session, start=start, end=end, group_by=group_by)
    if accept and "text/csv" in accept:
        return _as_csv(rows)  # type: ignore[return-value]
    return rows


@router.get(
    "/recurrence",
    summary="Recurrence clusters",
    description="Each product and defect code with two complaints or more received in the "
    "last `days` days (default 90): the count, the references, first and last seen, whether "
    "the count meets the recurrence rule and whether an alert was raised. Largest first.",
)
def recurrence_report(
    session: SessionDep,
    _: Annotated[Actor, allowed(Action.read_quality_reports)],
    days: Annotated[int, Query(ge=1, le=3_650, description="The period, in days")] = 90,
) -> list[ClusterPublic]:
    return recurrence_clusters(session, days=days)


@router.get(
    "/satisfaction",
    summary="Customer satisfaction",
    description="For complaints closed from `from` (inclusive) to `to` (exclusive; `to` must "
    "be after `from`; without them, the last 90 days) whose customer was invited to rate "
    "them, grouped by department "
    "(every department that had a task on the complaint), product, customer or severity: "
    "invitations, responses, response rate, average score (1 to 5), share satisfied (4 or 5) "
    "and share solved.",
)
def satisfaction(
    session: SessionDep,
    _: Annotated[Actor, allowed(Action.read_reports)],
    from_: Annotated[
        Day | None,
        Query(alias="from", description="First day (UTC); default: 90 days before `to`"),
    ] = None,
    to: Annotated[
        Day | None, Query(description="Day after the last (UTC); default: tomorrow")
    ] = None,
    group_by: SatisfactionGroup = SatisfactionGroup.department,
) -> list[SatisfactionRow]:
    start, end = period(from_, to)
    return satisfaction_report(session, start=start, end=end, group_by=group_by)
