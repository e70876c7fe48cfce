"""Managers see what is late; the health route tells what is down."""

from datetime import timedelta

import httpx

from tests.support import drain_outbox
from workflow.clock import set_clock, utcnow


def test_overdue_lists_late_tasks_and_complaints_most_late_first(as_user):
    sales, manager = as_user("sales"), as_user("manager")
    late = sales.log_complaint(severity="critical", product="Valve V-1")["reference"]
    later = sales.log_complaint(severity="major", product="Valve V-2")["reference"]
    drain_outbox()
    quality = as_user("quality")
    task = quality.open_task(late, "quality_assessment")
    quality.post(f"/tasks/{task['id']}/claim")

    real_now = utcnow()
    set_clock(lambda: real_now + timedelta(days=60))
    board = manager.get("/overdue")
    assert board.status_code == 200, board.text
    items = board.json()
    assert [(i["item"], i["reference"]) for i in items] == [
        ("task", late),
        ("complaint", late),
        ("task", later),
        ("complaint", later),
    ]
    assert items[0]["assignee"] == "quality"
    assert items[0]["department"] == "quality"
    assert items[0]["late_seconds"] > items[1]["late_seconds"] > 0
    assert items[0]["late"].endswith("h")

    overdue = manager.get("/complaints", params={"overdue": "true"}).json()["items"]
    assert {c["reference"] for c in overdue} == {late, later}
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
