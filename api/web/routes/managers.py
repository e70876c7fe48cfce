"""Managers: the overdue board (refreshing itself) and the dashboard."""

from typing import Annotated

from fastapi import Query, Request
from fastapi.responses import Response
from sqlmodel import select

from api.deps import SessionDep
from api.web.charts import count_chart, on_time_chart, weekly_chart
from api.web.pages import render
from api.web.routes import page_router
from api.web.session import page_for
from models.user import User
from workflow.clock import utcnow
from workflow.dashboard import dashboard
from workflow.queries import OverdueFilter, overdue_items
from workflow.rules import Action, Department, EscalationLevel, Severity
from workflow.transitions import Actor

router = page_router()
BOARD_SIZE = 100
REFRESH_SECONDS = 15
ESCALATION_WORDS = {
    EscalationLevel.none: "not yet escalated",
    EscalationLevel.assignee: "assignee reminded",
    EscalationLevel.head_of_department: "head of department",
    EscalationLevel.quality_manager: "quality manager",
    EscalationLevel.general_manager: "general manager",
}


@router.get("/overdue")
def overdue_board(
    request: Request,
    session: SessionDep,
    _: Annotated[Actor, page_for(Action.read_overdue)],
    department: Department | None = None,
    severity: Severity | None = None,
    escalation_level: Annotated[int | None, Query(ge=0, le=4)] = None,
    assignee: Annotated[str, Query(max_length=64)] = "",
) -> Response:
    assignee_id = None
    if assignee:
        user = session.exec(select(User).where(User.username == assignee)).first()
        assignee_id = user.id if user and user.id else -1
    filters = OverdueFilter(
        department=department,
        severity=severity,
        escalation_level=escalation_level,
        assignee_id=assignee_id,
    )
    return render(
        request,
        "overdue.html",
        {
            "title": "Overdue",
            "items": overdue_items(session, filters, limit=BOARD_SIZE),
            "filters": {
                "department": department.value if department else "",
                "severity": severity.value if severity else "",
                "escalation_level": "" if escalation_level is None else str(escalation_level),
                "assignee": assignee,
            },
            "query": request.url.query,
            "departments": list(Department),
            "severities": list(Severity),
            "levels": ESCALATION_WORDS,
            "refresh_seconds": REFRESH_SECONDS,
            "updated_at": utcnow(),
            "board_size": BOARD_SIZE,
        },
    )


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
        count_chart("causes", "Top root causes found, last 90 days", figures.top_root_causes),
    ]
    return render(request, "dashboard.html", {"title": "Dashboard", "d": figures, "charts": charts})
