"""The task queues as one table: a department's, "mine", and every department's for managers.
Sorted and filtered on the server, the filters in the address; the table refreshes itself like
the overdue board (htmx fetches GET /queue/rows every few seconds)."""

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import Depends, Query, Request
from fastapi.responses import Response
from sqlmodel import Session

from api.deps import SessionDep
from api.web.pages import render
from api.web.routes import page_router
from api.web.routes.managers import Blankable
from api.web.session import page_for
from workflow.calendar import company_calendar
from workflow.clock import utcnow
from workflow.queue_view import (
    COUNTS_KEPT_SECONDS,
    Assigned,
    Direction,
    QueueFilter,
    QueueSort,
    queue_counts,
    queue_rows,
)
from workflow.review_view import review_tasks_to_answer
from workflow.rules import (
    Action,
    Actor,
    Department,
    Severity,
    Status,
    TaskKind,
    may,
    queue_scope,
)

router = page_router()
QUEUE_SIZE = 100
REFRESH_SECONDS = 15
FILTER_FORM_ID = "queue-filters"  # htmx names the element behind a request in HX-Trigger
QueueActor = Annotated[Actor, page_for(Action.read_task_queue)]
COLUMNS = (
    (QueueSort.severity, "Severity"),
    (QueueSort.reference, "Complaint"),
    (QueueSort.customer, "Customer"),
    (QueueSort.product, "Product"),
    (QueueSort.task, "Task"),
    (QueueSort.status, "Status"),
    (QueueSort.age, "Age"),
    (QueueSort.time_left, "Time left"),
    (QueueSort.assignee, "Assignee"),
)


@dataclass(frozen=True)
class QueueParams:
    """The queue's address: every filter and the sort, a blank value meaning "any"."""

    department: Annotated[Department | None, Blankable] = None
    severity: Annotated[Severity | None, Blankable] = None
    status: Annotated[Status | None, Blankable] = None
    kind: Annotated[TaskKind | None, Blankable] = None
    overdue: Annotated[bool | None, Blankable] = None
    assigned: Annotated[Assigned | None, Blankable] = None
    q: Annotated[str, Query(max_length=100)] = ""
    sort: QueueSort = QueueSort.time_left
    dir: Direction = Direction.asc

    def query(self, **changes: Any) -> str:
        """The parameters set, as a query string (empty and default ones left out)."""
        values = replace(self, **changes)
        pairs = {
            name: getattr(value, "value", value)
            for name, value in vars(values).items()
            if value not in (None, "", False)
        }
        if values.sort is QueueSort.time_left and values.dir is Direction.asc:
            pairs.pop("sort"), pairs.pop("dir")
        if "overdue" in pairs:
            pairs["overdue"] = "true"
        return urlencode(pairs)

    def for_query(self, actor: Actor) -> QueueFilter:
        return QueueFilter(
            department=queue_scope(actor, self.department),
            severity=self.severity,
            status=self.status,
            kind=self.kind,
            overdue=bool(self.overdue),
            assigned=self.assigned,
            text=self.q.strip(),
            sort=self.sort,
            direction=self.dir,
        )


Params = Annotated[QueueParams, Depends()]


def _address(path: str, query: str) -> str:
    return path + (f"?{query}" if query else "")


def _headers(params: QueueParams) -> list[dict[str, Any]]:
    """Each column's sort link: the other direction when it is the sorted one."""
    headers = []
    for sort, title in COLUMNS:
        current = params.sort is sort
        flipped = Direction.desc if current and params.dir is Direction.asc else Direction.asc
        headers.append(
            {
                "title": title,
                "href": _address("/queue", params.query(sort=sort, dir=flipped)),
                "aria_sort": ("ascending" if params.dir is Direction.asc else "descending")
                if current
                else None,
            }
        )
    return headers


def _table(session: Session, actor: Actor, params: QueueParams) -> dict[str, Any]:
    """What the table needs: rows, sort links, and the address it refreshes from."""
    now = utcnow()
    rows, has_more = queue_rows(session, params.for_query(actor), actor, limit=QUEUE_SIZE)
    return {
        "rows": rows,
        "has_more": has_more,
        "headers": _headers(params),
        "rows_url": _address("/queue/rows", params.query()),
        "spans_departments": queue_scope(actor, params.department) is None,
        "refresh_seconds": REFRESH_SECONDS,
        "updated_at": now,
        "updated_clock": _clock(now),
    }


def _clock(moment: datetime) -> str:
    return moment.astimezone(company_calendar().zone).strftime("%H:%M:%S")


def _title(department: Department | None) -> str:
    return f"{department.value.capitalize()} queue" if department else "Tasks of every department"


@router.get("/queue")
def queue_page(
    request: Request, session: SessionDep, actor: QueueActor, params: Params
) -> Response:
    department = queue_scope(actor, params.department)
    counts = queue_counts(session, department, actor)
    return render(
        request,
        "queue.html",
        {
            "title": _title(department),
            "params": params,
            "filter_form_id": FILTER_FORM_ID,
            "counts": counts,
            "counts_clock": _clock(counts.counted_at) if counts.counted_at else None,
            "counts_kept_seconds": int(COUNTS_KEPT_SECONDS),
            "departments": list(Department),
            "severities": list(Severity),
            "statuses": list(Status),
            "kinds": list(TaskKind),
            "may_choose_department": may(actor.role, Action.read_any_queue),
            "may_claim": may(actor.role, Action.claim_task),
            **_table(session, actor, params),
            "review_tasks": review_tasks_to_answer(session, department, limit=QUEUE_SIZE),
            "review_tasks_span": department is None,
        },
    )


@router.get("/queue/rows")
def queue_table(
    request: Request, session: SessionDep, actor: QueueActor, params: Params
) -> Response:
    """The table alone: htmx swaps it in every few seconds and when a filter changes."""
    response = render(request, "_queue_table.html", _table(session, actor, params))
    if request.headers.get("hx-trigger") == FILTER_FORM_ID:
        # The address bar shows the queue with these filters, not this fragment's address.
        response.headers["HX-Push-Url"] = _address("/queue", params.query())
    return response
