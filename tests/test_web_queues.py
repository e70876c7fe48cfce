"""The task queues as one table over real HTTP: sorting by every column, each filter and its
count checked against the complaints each test logs, the buttons a row offers as the rules say,
the self-refreshing table, and the queue read in one SQL statement however long it is."""

import html
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import event
from sqlmodel import select

from models.task import OPEN_TASK_INDEX_STATUSES, OPEN_TASK_PREDICATE
from models.user import User, UserCreate
from tests.support import Api, drain_outbox, freeze_at, quality_result
from tests.test_web_pages import Browser
from workflow import queue_view
from workflow.db import get_engine, is_sqlite, read_session, write_session
from workflow.queue_view import QueueFilter, queue_counts, queue_rows
from workflow.rules import OPEN_TASK_STATUSES, Actor, Department, Role
from workflow.users import create_user

MONDAY = datetime(2026, 11, 16, 9, 0, tzinfo=UTC)
WEDNESDAY = MONDAY + timedelta(days=2)
QUINN_PASSWORD = "quality-engineer-2026"
ACME = {"name": "Jane Miller", "company": "Acme", "email": "jane@acme.example"}
BERG = {"name": "Bo Berg", "company": "Berg AB", "email": "bo@berg.example"}
CHEN = {"name": "Cleo Chen", "company": "Chen GmbH", "email": "cleo@chen.example"}


@pytest.fixture
def signed_in(base_url):
    clients: list[Browser] = []

    def open_as(username: str, password: str = "demo") -> Browser:  # noqa: S107
        client = Browser(base_url)
        clients.append(client)
        assert client.sign_in(username, password).status_code == 303
        return client

    yield open_as
    for client in clients:
        client.client.close()


def queue_table(page: str) -> list[dict[str, str]]:
    """The table's rows, each as {column: text}; the empty row as {"": its words}."""
    body = re.search(r"<tbody>(.*?)</tbody>", page, re.S)
    assert body, page[:2000]
    rows = []
    for row in re.findall(r"<tr>(.*?)</tr>", body.group(1), re.S):
        cells = re.findall(r'<td(?: data-label="([^"]*)")?[^>]*>(.*?)</td>', row, re.S)
        rows.append({label: _text(cell) for label, cell in cells})
    return rows


def _text(fragment: str) -> str:
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", fragment))).strip()


def references(page: str) -> list[str]:
    return [row["Complaint"] for row in queue_table(page) if "Complaint" in row]


def option_counts(page: str, select_id: str) -> dict[str, int]:
    """A filter's choices as {value: count}, read from "Critical (2)"-style option texts."""
    found = re.search(rf'<select id="{select_id}"[^>]*>(.*?)</select>', page, re.S)
    assert found, select_id
    options = re.findall(r'<option value="([^"]*)"[^>]*>[^<]*\((\d+)\)</option>', found.group(1))
    return {value: int(count) for value, count in options}


def second_quality_engineer() -> None:
    with write_session() as session:
        create_user(
            session,
            user_create=UserCreate(
                username="quinn",
                full_name="Quinn Quality",
                email="quinn@example.com",
                role=Role.quality,
                department=Department.quality,
                password=QUINN_PASSWORD,
            ),
        )


def four_complaints(base_url: str) -> dict[str, str]:
    """Monday: a critical pump (Acme) and a major valve (Berg); Wednesday: a minor filter
    (Acme) and a major pump (Chen). Quality claims the critical one, Quinn the Chen pump; the
    filter's assessment is done, so it waits on sales' review."""
    sales = Api(base_url, "sales")
    freeze_at(MONDAY)
    logged = {
        "critical": sales.log_complaint(severity="critical", product="Pump P-200", customer=ACME),
        "valve": sales.log_complaint(severity="major", product="Valve V-10", customer=BERG),
    }
    freeze_at(WEDNESDAY)
    logged["filter"] = sales.log_complaint(severity="minor", product="Filter F-3", customer=ACME)
    logged["chen"] = sales.log_complaint(severity="major", product="Pump P-300", customer=CHEN)
    drain_outbox()
    refs = {key: complaint["reference"] for key, complaint in logged.items()}
    quality = Api(base_url, "quality")
    second_quality_engineer()
    quinn = Api(base_url, "quinn", password=QUINN_PASSWORD)
    for who, key in ((quality, "critical"), (quinn, "chen"), (quality, "filter")):
        task = who.open_task(refs[key], "quality_assessment")
        assert who.post(f"/tasks/{task['id']}/claim").status_code == 200
    task = quality.open_task(refs["filter"], "quality_assessment")
    done = quality.post(f"/tasks/{task['id']}/complete", json=quality_result())
    assert done.status_code == 200, done.text
    drain_outbox()  # the sales review of the filter
    freeze_at(WEDNESDAY + timedelta(hours=1))
    return refs


def api_tasks(base_url: str, username: str) -> list[dict]:
    tasks = Api(base_url, username).get("/tasks", params={"limit": 100}).json()["items"]
    return sorted(tasks, key=lambda t: (t["due_at"], t["id"]))


def test_a_department_queue_sorts_by_every_column(settings, base_url, signed_in):
    refs = four_complaints(base_url)
    quality = signed_in("quality")

    def order(query: str) -> list[str]:
        page = quality.client.get(f"/queue?{query}")
        assert page.status_code == 200, page.text
        return references(page.text)

    by_due = [t["complaint_reference"] for t in api_tasks(base_url, "quality")]
    assert order("") == by_due  # least time left first, as the API lists them
    assert set(by_due) == {refs["critical"], refs["valve"], refs["chen"]}
    assert order("sort=time_left&dir=desc") == by_due[::-1]
    assert order("sort=reference&dir=asc") == sorted(by_due)
    assert order("sort=reference&dir=desc") == sorted(by_due, reverse=True)
    # Bo Berg, Cleo Chen, Jane Miller; products Pump P-200, Pump P-300, Valve V-10.
    assert order("sort=customer") == [refs["valve"], refs["chen"], refs["critical"]]
    assert order("sort=product") == [refs["critical"], refs["chen"], refs["valve"]]
    assert order("sort=product&dir=desc") == [refs["valve"], refs["chen"], refs["critical"]]
    # Most severe first; the two majors by time left.
    majors = [r for r in by_due if r != refs["critical"]]
    assert order("sort=severity") == [refs["critical"], *majors]
    assert order("sort=severity&dir=desc")[-1] == refs["critical"]
    assert order("sort=age")[0] == refs["chen"]  # received on Wednesday: the youngest
    assert order("sort=age&dir=desc")[-1] == refs["chen"]
    # Nobody yet, then quality, then quinn.
    assert order("sort=assignee") == [refs["valve"], refs["critical"], refs["chen"]]
    assert order("sort=assignee&dir=desc") == [refs["chen"], refs["critical"], refs["valve"]]

    page = quality.client.get("/queue?sort=customer&dir=asc&severity=major").text
    sorted_header = re.findall(r'<th scope="col" aria-sort="([a-z]+)"><a href="([^"]+)">', page)
    assert sorted_header == [("ascending", "/queue?severity=major&amp;sort=customer&amp;dir=desc")]
    assert 'href="/queue?severity=major&amp;sort=product&amp;dir=asc">Product' in page
    assert 'name="sort" value="customer"' in page  # a filter changed keeps the sort


def test_each_filter_and_its_count_match_the_logged_complaints(settings, base_url, signed_in):
    refs = four_complaints(base_url)
    quality = signed_in("quality")

    def rows(query: str) -> list[str]:
        page = quality.client.get(f"/queue?{query}")
        assert page.status_code == 200, page.text
        return sorted(references(page.text))

    everything = rows("")
    assert everything == sorted([refs["critical"], refs["valve"], refs["chen"]])
    # The form sends every field, "any" as an empty value: that is no filter.
    assert rows("severity=&status=&kind=&assigned=&q=") == everything
    assert rows("severity=critical") == [refs["critical"]]
    assert rows("severity=minor") == []  # the filter's task is sales' now
    assert rows("status=with_quality") == everything
    assert rows("status=with_sales") == []
    assert rows("kind=quality_assessment") == everything
    assert rows("kind=sales_review") == []
    assert rows("assigned=mine") == [refs["critical"]]
    assert rows("assigned=unassigned") == [refs["valve"]]
    assert rows("q=berg") == [refs["valve"]]  # the customer's company
    assert rows("q=PUMP") == sorted([refs["critical"], refs["chen"]])  # the product, any case
    assert rows("q=cleo") == [refs["chen"]]  # the customer's name
    assert rows("q=100%25") == []  # % is a character, not a wildcard
    assert rows("severity=major&assigned=unassigned") == [refs["valve"]]
    late = sorted(t["complaint_reference"] for t in api_tasks(base_url, "quality") if t["overdue"])
    assert late
    assert late != everything
    assert rows("overdue=true") == late
    assert "No task matches." in quality.client.get("/queue?kind=sales_review").text

    page = quality.client.get("/queue?severity=critical").text  # counts cover the whole queue
    assert option_counts(page, "severity") == {"": 3, "critical": 1, "major": 2, "minor": 0}
    assert option_counts(page, "status") == {"": 3, "with_quality": 3}
    assert option_counts(page, "kind")["quality_assessment"] == 3
    assert option_counts(page, "kind")["sales_review"] == 0
    assert option_counts(page, "assigned") == {"": 3, "mine": 1, "unassigned": 1}
    assert f"Overdue only ({len(late)})" in page

    bad_values = ("sort=due", "dir=up", "severity=purple", "assigned=everyone", "q=%00")
    for bad in (*bad_values, "q=" + "x" * 101):
        answer = quality.client.get(f"/queue?{bad}")
        assert answer.status_code == 422, bad
    technical = signed_in("technical")
    assert technical.client.get("/queue?department=quality").status_code == 403
    assert references(technical.client.get("/queue").text) == []


def test_the_managers_queue_spans_departments_and_offers_what_the_rules_allow(
    settings, base_url, signed_in
):
    refs = four_complaints(base_url)
    manager = signed_in("manager")
    page = manager.client.get("/queue").text
    assert "<h1>Tasks of every department</h1>" in page
    assert "All queue" not in page
    assert sorted(references(page)) == sorted(refs.values())
    table = {row["Complaint"]: row for row in queue_table(page)}
    assert table[refs["filter"]]["Task"] == "sales review (sales)"
    assert table[refs["filter"]]["Status"] == "with sales"
    assert table[refs["critical"]]["Severity"] == "critical"
    assert table[refs["valve"]]["Customer"] == "Bo Berg"
    assert table[refs["chen"]]["Assignee"] == "quinn"
    assert table[refs["valve"]]["Assignee"] == "nobody yet"
    assert 'class="badge badge-critical">critical</span>' in page  # colour and word
    assert "Claim</button>" not in page  # managers oversee; the rules give them no claim
    assert "Claim a task" not in page
    assert page.count(">Open</a>") == 4

    def rows(query: str) -> list[str]:
        return references(manager.client.get(f"/queue?{query}").text)

    assert rows("status=with_sales") == [refs["filter"]]
    assert rows("kind=sales_review") == [refs["filter"]]
    assert rows("department=sales") == [refs["filter"]]
    assert option_counts(page, "status") == {"": 4, "with_quality": 3, "with_sales": 1}
    assert manager.client.get("/queue?department=sales").text.count("<h1>Sales queue</h1>") == 1

    # Quality's rows: Claim exactly where the rules' available actions hold claim_task.
    quality = signed_in("quality")
    quality_api = Api(base_url, "quality")
    claims = {}
    for row in queue_table(quality.client.get("/queue").text):
        task = quality_api.open_task(row["Complaint"], "quality_assessment")
        assert ("Claim" in row["Action"]) == ("claim_task" in task["available_actions"]), row
        assert "Open" in row["Action"]
        claims[row["Complaint"]] = "Claim" in row["Action"]
    # Only the valve's is nobody's yet; the others are quality's own and quinn's.
    assert claims == {refs["valve"]: True, refs["critical"]: False, refs["chen"]: False}


def test_the_table_refreshes_itself_with_its_filters_and_sort(settings, base_url, signed_in):
    refs = four_complaints(base_url)
    quality = signed_in("quality")
    page = quality.client.get("/queue", params={"severity": "major", "sort": "customer"}).text
    form = re.search(r'<form id="queue-filters"[^>]*>', page)
    assert form is not None
    for attribute in (
        'hx-get="/queue/rows"',
        'hx-trigger="change"',
        'hx-target="#queue-table"',
        'hx-push-url="true"',
    ):
        assert attribute in form.group(0), attribute
    polling = (
        '<div id="queue-table" class="queue-wrap" '
        'hx-get="/queue/rows?severity=major&amp;sort=customer&amp;dir=asc" hx-trigger="every 15s"'
    )
    assert polling in page

    # What htmx fetches every 15 s: the table alone, polling again with the same address.
    polled = quality.client.get(
        "/queue/rows?severity=major&sort=customer&dir=asc",
        headers={"HX-Request": "true", "HX-Trigger": "queue-table"},
    )
    fragment = polled.text.strip()
    assert fragment.startswith('<div id="queue-table"')
    assert fragment.endswith("</div>")
    assert "<html" not in fragment
    assert "<form id" not in fragment
    assert polling in fragment
    assert references(fragment) == [refs["valve"], refs["chen"]]
    assert "HX-Push-Url" not in polled.headers

    # A complaint routed since: the next refresh shows it, in its sorted place.
    new = Api(base_url, "sales").log_complaint(severity="major", customer=BERG)["reference"]
    drain_outbox()
    later = quality.client.get("/queue/rows?severity=major&sort=customer&dir=asc").text
    assert references(later)[:2] == sorted([refs["valve"], new])
    assert references(later)[2] == refs["chen"]

    changed = quality.client.get(
        "/queue/rows?severity=critical&status=&kind=&assigned=&q=&sort=time_left&dir=asc",
        headers={"HX-Request": "true", "HX-Trigger": "queue-filters"},
    )
    assert changed.headers["HX-Push-Url"] == "/queue?severity=critical"
    assert references(changed.text) == [refs["critical"]]


def test_a_queue_of_fifty_is_read_in_one_statement(settings, base_url):
    sales = Api(base_url, "sales")
    for number in range(50):
        sales.log_complaint(product=f"Pump P-{number:03d}")
    drain_outbox(max_rounds=60)
    statements: list[str] = []

    def count(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        statements.append(statement)

    engine = get_engine()
    with read_session() as session:
        user = session.exec(select(User).where(User.username == "quality")).one()
        actor = Actor(name="quality", role=Role.quality, user_id=user.id, department="quality")
        event.listen(engine, "before_cursor_execute", count)
        try:
            rows, more = queue_rows(
                session, QueueFilter(department=Department.quality), actor, limit=100
            )
            rows_statements = len(statements)
            counts = queue_counts(session, Department.quality, actor)
        finally:
            event.remove(engine, "before_cursor_execute", count)
    assert (len(rows), more) == (50, False)
    assert all(r.customer == "Jane Miller" and r.clock is not None for r in rows)
    assert counts.total == 50
    assert rows_statements == 1, statements  # tasks, complaints, customers, users, clocks: joined
    assert len(statements) == 2, statements  # and the counts, grouped in one more


def test_the_queue_query_reads_its_first_page_off_the_open_tasks_index_and_the_rest_by_key(
    settings, base_url
):
    engine = get_engine()
    if not is_sqlite(str(engine.url)):
        pytest.skip("PostgreSQL rightly scans tables this small; the plan is checked on SQLite")
    Api(base_url, "sales").log_complaint()
    drain_outbox()
    executed: list[tuple[str, tuple[Any, ...]]] = []

    def keep(
        _conn: object, _cursor: object, statement: str, parameters: tuple[Any, ...], *_: object
    ) -> None:
        executed.append((statement, parameters))

    actor = Actor(name="quality", role=Role.quality, user_id=1, department="quality")
    with read_session() as session:
        event.listen(engine, "before_cursor_execute", keep)
        try:
            queue_rows(session, QueueFilter(department=Department.quality), actor, limit=100)
        finally:
            event.remove(engine, "before_cursor_execute", keep)
    (statement, parameters), *_ = [e for e in executed if "FROM task" in e[0]]
    with engine.connect() as connection:  # the plan of the statement as it was sent
        plan = [
            row[-1]
            for row in connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters)
        ]
    assert plan[0].startswith("SEARCH task USING INDEX ix_task_open_department_due_at"), plan
    for read in (
        "SEARCH complaint USING INTEGER PRIMARY KEY (rowid=?)",
        "SEARCH customer USING INTEGER PRIMARY KEY (rowid=?)",
        "SEARCH user USING INTEGER PRIMARY KEY (rowid=?)",
        "SEARCH deadline USING INDEX uq_deadline_task_step (task_id=? AND step=?)",
    ):
        assert any(p.startswith(read) for p in plan), (read, plan)
    assert not any(p.startswith("SCAN") for p in plan), plan  # no table read whole
    assert not any("TEMP B-TREE" in p for p in plan), plan  # and nothing sorted: a page is read


def test_the_open_tasks_indexes_name_the_statuses_the_rules_call_open():
    assert tuple(sorted(s.value for s in OPEN_TASK_STATUSES)) == OPEN_TASK_INDEX_STATUSES
    assert all(status in OPEN_TASK_PREDICATE.text for status in OPEN_TASK_INDEX_STATUSES)


def test_a_long_queues_counts_are_those_of_a_view_a_few_seconds_old(
    settings, base_url, monkeypatch
):
    monkeypatch.setattr(queue_view, "COUNTED_EVERY_VIEW_UP_TO", 0)  # two tasks count as long
    monkeypatch.setattr(queue_view, "_kept_groups", {})
    sales = Api(base_url, "sales")
    sales.log_complaint()
    drain_outbox()
    with read_session() as session:
        quality = session.exec(select(User).where(User.username == "quality")).one()
    actor = Actor(name="quality", role=Role.quality, user_id=quality.id, department="quality")

    def counted() -> queue_view.QueueCounts:
        with read_session() as session:
            return queue_counts(session, Department.quality, actor)

    first = counted()
    assert (first.total, first.counted_at) == (1, None)
    sales.log_complaint()
    drain_outbox()
    kept = counted()
    assert kept.total == 1  # the first view's count
    assert kept.counted_at is not None  # and it says so
    monkeypatch.setattr(queue_view, "COUNTS_KEPT_SECONDS", 0.0)
    monkeypatch.setattr(queue_view, "_recounting", {Department.quality})  # another view counts
    assert counted().total == 1  # meanwhile this one shows what was kept
    monkeypatch.setattr(queue_view, "_recounting", set())
    again = counted()
    assert (again.total, again.counted_at) == (2, None)
    assert again.assigned["unassigned"] == 2
    assert sum(again.severity.values()) == 2
