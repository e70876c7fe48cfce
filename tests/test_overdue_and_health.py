"""Managers see what is late; the health routes tell what is down."""

import re
from datetime import UTC, datetime, timedelta

import httpx

from models.heartbeat import RelayHeartbeat
from tests.support import drain_outbox, free_port
from workflow import db
from workflow.clock import set_clock, utcnow
from workflow.config import get_settings
from workflow.db import write_session
from workflow.heartbeat import record_beat


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


PARTS = ("database", "prefect", "smtp", "relay")


def health_of(base_url: str, route: str = "") -> httpx.Response:
    return httpx.get(f"{base_url}/api/v1/health{route}", timeout=30)


def beat_at(moment: datetime) -> None:
    with write_session() as session:
        session.add(RelayHeartbeat(relay_id="test-relay", started_at=moment, beat_at=moment))
        session.commit()


def test_health_reports_every_part_up_each_with_a_reason(base_url):
    record_beat("test-relay", datetime.now(UTC))
    answer = health_of(base_url)
    assert answer.status_code == 200
    body = answer.json()
    assert body["status"] == "ok"
    assert {part: body[part]["status"] for part in PARTS} == dict.fromkeys(PARTS, "up")
    assert re.fullmatch(r"last heartbeat [0-2] s ago", body["relay"]["reason"])
    assert health_of(base_url, "/live").json() == {"status": "ok", "reason": "the API answers"}
    ready = health_of(base_url, "/ready").json()
    assert ready == {"status": "ok", "reason": "the database answers"}


def test_with_prefect_and_the_mail_server_down_the_api_is_live_ready_and_degraded(
    base_url, monkeypatch
):
    record_beat("test-relay", datetime.now(UTC))
    monkeypatch.setenv("CW_PREFECT_API_URL", f"http://127.0.0.1:{free_port()}/api")
    monkeypatch.setenv("CW_SMTP_PORT", str(free_port()))
    get_settings.cache_clear()
    assert health_of(base_url, "/live").status_code == 200
    assert health_of(base_url, "/ready").status_code == 200
    answer = health_of(base_url)
    assert answer.status_code == 200
    body = answer.json()
    assert body.pop("relay")["status"] == "up"
    assert body == {
        "status": "degraded",
        "database": {"status": "up", "reason": "answers queries"},
        "prefect": {"status": "down", "reason": "unreachable"},
        "smtp": {"status": "down", "reason": "refuses connections"},
    }


def test_with_the_database_unreachable_ready_and_health_answer_503_naming_nothing_internal(
    base_url, monkeypatch
):
    port = free_port()
    secret = "health-check-password-42"
    monkeypatch.setenv(
        "CW_DATABASE_URL", f"postgresql+psycopg2://health_user:{secret}@127.0.0.1:{port}/nowhere"
    )
    get_settings.cache_clear()
    db.reset_engines()
    assert health_of(base_url, "/live").status_code == 200
    ready = health_of(base_url, "/ready")
    assert ready.status_code == 503
    assert ready.json() == {"status": "down", "reason": "database unreachable, or refusing queries"}
    answer = health_of(base_url)
    assert answer.status_code == 503
    body = answer.json()
    assert body["status"] == "down"
    assert body["database"] == {"status": "down", "reason": "unreachable, or refusing queries"}
    assert body["relay"]["status"] == "down"
    for text in (ready.text, answer.text):
        assert secret not in text
        assert "health_user" not in text
        assert str(port) not in text


def test_a_relay_whose_heartbeat_is_stale_is_reported_down_and_up_again_when_it_beats(
    base_url, monkeypatch
):
    monkeypatch.setenv("CW_RELAY_HEARTBEAT_SECONDS", "5")
    get_settings.cache_clear()
    assert health_of(base_url).json()["relay"] == {
        "status": "down",
        "reason": "no heartbeat recorded",
    }
    beat_at(datetime.now(UTC) - timedelta(seconds=60))
    answer = health_of(base_url)
    assert answer.status_code == 200  # intake works without the relay: degraded, not down
    assert answer.json()["status"] == "degraded"
    relay = answer.json()["relay"]
    assert relay["status"] == "down"
    assert re.fullmatch(r"last heartbeat 6[0-2] s ago \(more than 15 s\)", relay["reason"])
    record_beat("test-relay", datetime.now(UTC))
    assert health_of(base_url).json()["relay"]["status"] == "up"
