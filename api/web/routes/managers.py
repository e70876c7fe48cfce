"""Managers: the overdue board (refreshing itself) and the dashboard."""

from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import Depends, Query, Request
from fastapi.responses import Response
from pydantic import BeforeValidator
from sqlmodel import Session, select

from api.deps import SessionDep
from api.web.charts import (
    count_chart,
    on_time_chart,
    pareto_chart,
    satisfaction_chart,
    weekly_chart,
)
from api.web.pages import render
from api.web.routes import page_router
from api.web.session import page_for
from models.user import User
from workflow.calendar import company_calendar
from workflow.clock import utcnow
from workflow.dashboard import dashboard
from workflow.queries import OverdueFilter, overdue_items
from workflow.review_figures import review_figures
from workflow.rules import Action, Department, EscalationLevel, Kind, Severity, Status
from workflow.transitions import Actor

router = page_router()
BOARD_SIZE = 100
REGISTER_CHOICES = {"kinds": list(Kind), "statuses": list(Status)}
REFRESH_SECONDS = 15
FILTER_FORM_ID = "overdue-filters"  # htmx names the element behind a request in HX-Trigger
ESCALATION_WORDS = {
    EscalationLevel.none: "not yet escalated",
    EscalationLevel.assignee: "assignee reminded",
    EscalationLevel.head_of_department: "head of department",
    EscalationLevel.quality_manager: "quality manager",
    EscalationLevel.general_manager: "general manager",
}


def _blank_is_none(value: object) -> object:
    """A filter left at "All" arrives as an empty value: no filter, not a 422."""
    return None if value == "" else value


Blankable = BeforeValidator(_blank_is_none)


@dataclass(frozen=True)
class BoardFilters:
    department: Annotated[Department | None, Blankable] = None
    severity: Annotated[Severity | None, Blankable] = None
    escalation_level: Annotated[EscalationLevel | None, Blankable] = None
    assignee: Annotated[str, Query(max_length=64)] = ""

    def query(self) -> str:
        """The filters set, as a query string (empty ones left out): the board's address."""
        return urlencode(
            {
                name: getattr(value, "value", value)
                for name, value in (
                    ("department", self.department),
                    ("severity", self.severity),
                    ("escalation_level", self.escalation_level),
                    ("assignee", self.assignee),
                )
                if value not in (None, "")
            }
        )

    def for_query(self, session: Session) -> OverdueFilter:
        assignee_id = None
        if self.assignee:
            user = session.exec(select(User).where(User.username == self.assignee)).first()
            assignee_id = user.id if user and user.id else -1
        return OverdueFilter(
            department=self.department,
            severity=self.severity,
            escalation_level=None if self.escalation_level is None else int(self.escalation_level),
            assignee_id=assignee_id,
        )


Filters = Annotated[BoardFilters, Depends()]


def _board(session: Session, filters: BoardFilters) -> dict[str, Any]:
    """What the board's rows need: the same items as GET /api/v1/overdue, and when."""
    now = utcnow()
    query = filters.query()
    return {
        "items": overdue_items(session, filters.for_query(session), limit=BOARD_SIZE),
        "rows_url": "/overdue/rows" + (f"?{query}" if query else ""),
        "levels": ESCALATION_WORDS,
        "refresh_seconds": REFRESH_SECONDS,
        "updated_at": now,
        "updated_clock": now.astimezone(company_calendar().zone).strftime("%H:%M:%S"),
        "board_size": BOARD_SIZE,
    }


@router.get("/overdue")
def overdue_board(
    request: Request,
    session: SessionDep,
    _: Annotated[Actor, page_for(Action.read_overdue)],
    filters: Filters,
) -> Response:
    return render(
        request,
        "overdue.html",
        {
            "title": "Overdue",
            "filters": filters,
            "filter_form_id": FILTER_FORM_ID,
            "departments": list(Department),
            "severities": list(Severity),
            **_board(session, filters),
        },
    )


@router.get("/overdue/rows")
def overdue_rows(
    request: Request,
    session: SessionDep,
    _: Annotated[Actor, page_for(Action.read_overdue)],
    filters: Filters,
) -> Response:
    """The board's table body alone: htmx swaps it in every few seconds and on a filter change."""
    response = render(request, "_overdue_rows.html", _board(session, filters))
    if request.headers.get("hx-trigger") == FILTER_FORM_ID:
        # The address bar shows the board with these filters, not this fragment's address.
        query = filters.query()
        response.headers["HX-Push-Url"] = "/overdue" + (f"?{query}" if query else "")
    return response


@router.get("/dashboard")
def dashboard_page(
    request: Request, session: SessionDep, _: Annotated[Actor, page_for(Action.read_reports)]
) -> Response:
    figures = dashboard(session)
    charts = [
        weekly_chart("weekly", "Received and closed per week", figures.weeks),
        on_time_chart("on-time", "Steps done on time, last 90 days", figures.on_time),
        count_chart("age", "Open complaints by age", figures.open_by_age),
        count_chart(
            "products", "Top products complained about, last 90 days", figures.top_products
        ),
        count_chart("defects", "Top defect codes, last 90 days", figures.top_defect_codes),
        count_chart("causes", "Top cause codes, last 90 days", figures.top_cause_codes),
        pareto_chart("pareto", "Defect codes, last 90 days (Pareto)", figures.defect_pareto),
        satisfaction_chart(
            "satisfaction", "Customer satisfaction per month closed", figures.satisfaction
        ),
    ]
    context = {
        "title": "Dashboard",
        "d": figures,
        "charts": charts,
        "reviews": review_figures(session, figures.generated_at),
    }
    return render(request, "dashboard.html", {**context, **REGISTER_CHOICES})
