"""Managers see what is late; the health route tells what is down."""

from datetime import timedelta

import httpx

from tests.support import drain_outbox
from workflow.clock import set_clock, utcnow


def test_overdue_lists_late_steps_most_late_first_with_filters(as_user):
    sales, manager = as_user("sales"), as_user("manager")
    early = sales.log_complaint(severity="critical", product="Valve V-1")["reference"]
    later = sales.log_complaint(severity="major", product="Valve V-2")["reference"]
    drain_outbox()
    quality = as_user("quality")
    task = quality.open_task(early, "quality_assessment")
    quality.post(f"/tasks/{task['id']}/claim")

    real_now = utcnow()
    set_clock(lambda: real_now + timedelta(days=60))
    board = manager.get("/overdue")
    assert board.status_code == 200, board.text
    items = board.json()
    steps = {(i["reference"], i["step"]) for i in items}
    assert steps == {
        (early, "first_assessment"),
        (early, "containment"),
        (early, "quality_result"),
        (early, "customer_reply"),
        (later, "first_assessment"),
        (later, "quality_result"),
        (later, "customer_reply"),
    }
    hours = [i["late_hours"] for i in items]
    assert hours == sorted(hours, reverse=True)
    assert items[0]["late"].endswith("h")
    (containment,) = [i for i in items if i["step"] == "containment"]
    assert containment["assignee"] == "quality"  # the claim made quality's clocks its own
    assert containment["department"] == "quality"

    critical = manager.get("/overdue", params={"severity": "critical"}).json()
    assert {i["reference"] for i in critical} == {early}
    mine = manager.get("/overdue", params={"assignee": "quality"}).json()
    assert {i["step"] for i in mine} == {"first_assessment", "containment", "quality_result"}
    sales_steps = manager.get("/overdue", params={"department": "sales"}).json()
    assert {i["step"] for i in sales_steps} == {"customer_reply"}
    assert manager.get("/overdue", params={"escalation_level": 3}).json() == []

    overdue = manager.get("/complaints", params={"overdue": "true"}).json()["items"]
    assert {c["reference"] for c in overdue} == {early, later}
    assert manager.get("/complaints", params={"overdue": "false"}).json()["items"] == []


def test_nothing_is_overdue_before_its_due_date(as_user):
    as_user("sales").log_complaint()
    drain_outbox()
    assert as_user("manager").get("/overdue").json() == []


def test_health_reports_database_and_prefect_up(base_url):
    answer = httpx.get(f"{base_url}/api/v1/health")
    assert answer.status_code == 200
    assert answer.json() == {"status": "ok", "database": "up", "prefect": "up"}


def test_health_reports_prefect_down_with_503(base_url, monkeypatch):
    from tests.support import free_port
    from workflow.config import get_settings

    monkeypatch.setenv("CW_PREFECT_API_URL", f"http://127.0.0.1:{free_port()}/api")
    get_settings.cache_clear()
    answer = httpx.get(f"{base_url}/api/v1/health")
    assert answer.status_code == 503
    assert answer.json() == {"status": "degraded", "database": "up", "prefect": "down"}
