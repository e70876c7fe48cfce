from datetime import UTC, date, datetime, time
from typing import Annotated

from fastapi import APIRouter, Header, Query
from fastapi.responses import Response

from api.deps import SessionDep, allowed
from workflow.complaints import InvalidInput
from workflow.csv_export import csv_text
from workflow.reports import GroupBy, ReportRow, deadline_report
from workflow.rules import Action
from workflow.transitions import Actor

router = APIRouter(prefix="/reports", tags=["managers"])


def _as_csv(rows: list[ReportRow]) -> Response:
    text = csv_text(list(ReportRow.model_fields), (row.model_dump() for row in rows))
    return Response(text, media_type="text/csv; charset=utf-8")


@router.get(
    "/deadlines",
    summary="Deadline performance",
    description="For complaints received from `from` (inclusive) to `to` (exclusive), grouped "
    "by department, severity, product or customer: share of steps done on time; median and "
    "90th percentile (nearest rank) business hours to acknowledge, to the first assessment "
    "and to the resolution notice; reopened share; open complaints by age in days; open "
    "tasks. Send `Accept: text/csv` for CSV.",
    responses={200: {"content": {"text/csv": {}}}},
)
def deadlines_report(
    session: SessionDep,
    _: Annotated[Actor, allowed(Action.read_reports)],
    from_: Annotated[date, Query(alias="from", description="First day (UTC)")],
    to: Annotated[date, Query(description="Day after the last (UTC)")],
    group_by: GroupBy = GroupBy.department,
    accept: Annotated[str | None, Header()] = None,
) -> list[ReportRow]:
    if to <= from_:
        raise InvalidInput("to", "`to` must be after `from`", location="query")
    start = datetime.combine(from_, time(), tzinfo=UTC)
    end = datetime.combine(to, time(), tzinfo=UTC)
    rows = deadline_report(session, start=start, end=end, group_by=group_by)
    if accept and "text/csv" in accept:
        return _as_csv(rows)  # type: ignore[return-value]
    return rows
