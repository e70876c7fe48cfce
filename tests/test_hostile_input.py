"""Hostile input is refused with a 422 a person can read, never a 500 or a slow record:
numbers JSON cannot carry back (1e400, NaN), text no database can store (a lone UTF-16
surrogate), complaints received long ago; and the connection stays usable afterwards."""

import asyncio
import inspect
import json
import re
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi.exceptions import RequestValidationError
from sqlmodel import func, select
from starlette.requests import Request
from starlette.responses import Response

from api.main import app
from api.web.routes import actions as web_actions
from api.web.routes import admin_history as web_admin_history
from api.web.routes import admin_pages as web_admin_pages
from api.web.routes import admin_policies as web_admin_policies
from api.web.routes import auth as web_auth
from api.web.routes import calls as web_calls
from api.web.routes import catalogue as web_catalogue
from api.web.routes import company as web_company
from api.web.routes import complaints as web_complaints
from api.web.routes import corrections as web_corrections
from api.web.routes import customer as web_customer
from api.web.routes import managers as web_managers
from api.web.routes import password_reset as web_password_reset
from api.web.routes import related as web_related
from api.web.routes import tasks as web_tasks
from api.web.routes import users_admin as web_users_admin
from models.complaint import Complaint
from tests.support import Api, complaint_payload

SPEC = app.openapi()


def _operations_with_a_json_body() -> Iterator[tuple[str, str, list[str]]]:
    schemas = SPEC["components"]["schemas"]
    for path, methods in SPEC["paths"].items():
        for method, operation in methods.items():
            content = operation.get("requestBody", {}).get("content", {})
            if "application/json" not in content:
                continue
            body = content["application/json"]["schema"]
            refs = [part["$ref"] for part in body.get("anyOf", [body])]
            fields = {name for ref in refs for name in schemas[ref.rsplit("/", 1)[1]]["properties"]}
            yield method.upper(), path, sorted(fields)


JSON_OPERATIONS = list(_operations_with_a_json_body())
NUMBERS = {
    "1e400": b"1e400",
    "-1e400": b"-1e400",
    "NaN": b"NaN",
    "Infinity": b"Infinity",
    "-Infinity": b"-Infinity",
    "5000 digits": b"1" + b"0" * 5000,
}
TEXTS = {
    "escaped high surrogate": b'"\\ud800"',
    "escaped low surrogate in text": b'"leaks \\uDFFF badly"',
    "high surrogate then a letter": b'"\\ud800\\u0041"',
    "surrogate as UTF-8 bytes": b'"\xed\xa0\x80"',
}


def _path(template: str) -> str:
    path = template.removeprefix("/api/v1").replace("{reference}", "CMP-2026-000001")
    return re.sub(r"\{[^}]+\}", "1", path)


def _raw_object(fields: list[str], value: bytes) -> bytes:
    return b"{" + b", ".join(json.dumps(name).encode() + b": " + value for name in fields) + b"}"


@pytest.fixture
def admin(base_url) -> Iterator[Api]:
    client = Api(base_url, "admin")
    yield client
    client.close()


def _refused(answer: httpx.Response, words: str) -> list[dict[str, Any]]:
    assert answer.status_code == 422, answer.text
    detail = answer.json()["detail"]
    assert any(words in item["msg"] for item in detail), detail
    return detail


@pytest.mark.parametrize(("method", "path", "fields"), JSON_OPERATIONS)
@pytest.mark.parametrize("number", NUMBERS.values(), ids=NUMBERS.keys())
def test_a_number_json_cannot_carry_is_refused_on_every_json_route(
    admin, method, path, fields, number
):
    answer = admin.request(
        method,
        _path(path),
        content=_raw_object(fields, number),
        headers={"Content-Type": "application/json"},
    )
    detail = _refused(answer, "number")
    assert detail[0]["loc"][0] == "body"


@pytest.mark.parametrize(("method", "path", "fields"), JSON_OPERATIONS)
@pytest.mark.parametrize("text", TEXTS.values(), ids=TEXTS.keys())
def test_text_with_a_lone_surrogate_is_refused_on_every_json_route(
    admin, method, path, fields, text
):
    answer = admin.request(
        method,
        _path(path),
        content=_raw_object(fields, text),
        headers={"Content-Type": "application/json"},
    )
    detail = _refused(answer, "Unicode")
    assert detail[0]["loc"] == ["body", fields[0]]


def test_the_field_holding_the_bad_value_is_named_however_deep(admin):
    body = complaint_payload()
    body["customer"]["notification_targets"] = ["mailto://a@example.com", "PLACEHOLDER"]
    raw = json.dumps(body).replace('"PLACEHOLDER"', '"\\udc00"').encode()
    answer = admin.post("/complaints", content=raw, headers={"Content-Type": "application/json"})
    assert _refused(answer, "Unicode")[0]["loc"] == [
        "body",
        "customer",
        "notification_targets",
        1,
    ]
    key = b'{"product": "Pump", "\\ud800": 1}'
    answer = admin.post("/complaints", content=key, headers={"Content-Type": "application/json"})
    assert _refused(answer, "Unicode")[0]["loc"] == ["body"]


def test_a_json_body_without_a_content_type_is_checked_too(admin):
    answer = admin.post("/complaints", content=b'{"quantity_affected": NaN}')
    assert _refused(answer, "number")


def test_the_connection_stays_usable_after_a_refused_body(base_url, admin):
    token = admin.headers["Authorization"]
    with httpx.Client(
        base_url=f"{base_url}/api/v1",
        headers={"Authorization": token},
        limits=httpx.Limits(max_connections=1, max_keepalive_connections=1),
    ) as client:

        def port_of(answer: httpx.Response) -> int:
            return answer.extensions["network_stream"].get_extra_info("client_addr")[1]

        first = client.get("/auth/me")
        used = [port_of(first)]
        for hostile in (b'{"product": 1e400}', b'{"product": "\\ud800"}', b'{"a": NaN}'):
            answer = client.post(
                "/complaints", content=hostile, headers={"Content-Type": "application/json"}
            )
            assert answer.status_code == 422, answer.text
            assert "close" not in answer.headers.get("connection", "")
            used.append(port_of(answer))
            after = client.get("/auth/me")
            assert after.status_code == 200
            used.append(port_of(after))
    assert set(used) == {used[0]}, used  # one connection throughout


def _answer_to_invalid_request(path: str, error: dict[str, Any]) -> Response:
    """The app's own 422 handler, given a request to ``path`` and one validation error."""
    scope = {"type": "http", "method": "POST", "path": path, "headers": [], "query_string": b""}
    request = Request(scope | {"app": app, "router": app.router, "session": {}, "state": {}})
    handler = app.exception_handlers[RequestValidationError]
    answer = handler(request, RequestValidationError([error]))
    assert inspect.iscoroutine(answer)  # the app's handler is async
    return asyncio.run(answer)


@pytest.mark.parametrize(
    "bad_input",
    [float("inf"), float("nan"), "\ud800", {"nested": ["\udfff", float("-inf")]}],
    ids=["inf", "nan", "surrogate", "nested"],
)
def test_the_validation_error_answer_never_echoes_what_cannot_be_encoded(settings, bad_input):
    error = {"type": "value_error", "loc": ("body", "\ud800", 1), "msg": "bad", "input": bad_input}
    answer = _answer_to_invalid_request("/api/v1/complaints", error)
    assert answer.status_code == 422
    assert json.loads(bytes(answer.body))["detail"] == [
        {"type": "value_error", "loc": ["body", "\\ud800", 1], "msg": "bad"}
    ]
    page = _answer_to_invalid_request("/complaints/new", error)
    assert page.status_code == 422
    assert b"<html" in page.body


# --- received_at ------------------------------------------------------------------------------


def _complaints() -> int:
    from workflow.db import read_session

    with read_session() as session:
        return session.exec(select(func.count()).select_from(Complaint)).one()


@pytest.mark.parametrize(
    "received_at",
    ["0001-01-01T00:00:00Z", "1970-01-01T00:00:00+01:00", "366 days ago"],
)
def test_a_complaint_received_more_than_a_year_ago_is_refused_in_words(admin, received_at):
    if received_at == "366 days ago":
        received_at = (datetime.now(UTC) - timedelta(days=366)).isoformat()
    before = _complaints()
    answer = admin.post("/complaints", json=complaint_payload(received_at=received_at))
    (error,) = _refused(answer, "more than 365 days ago")
    assert error["loc"] == ["body", "received_at"]
    assert _complaints() == before


def test_a_complaint_received_within_the_year_is_logged_and_its_record_reads_quickly(admin):
    received_at = datetime.now(UTC) - timedelta(days=364)
    created = admin.post("/complaints", json=complaint_payload(received_at=received_at.isoformat()))
    assert created.status_code == 201, created.text
    started = time.perf_counter()
    record = admin.record(created.json()["reference"])
    assert time.perf_counter() - started < 5  # day by day, a year-1 complaint took 191 s
    assert datetime.fromisoformat(record["received_at"]) == received_at.replace(microsecond=0) or (
        abs(datetime.fromisoformat(record["received_at"]) - received_at) < timedelta(seconds=1)
    )


def test_the_oldest_allowed_receipt_is_a_setting(admin, monkeypatch):
    from workflow.config import get_settings

    monkeypatch.setenv("CW_MAX_RECEIVED_AGE_DAYS", "30")
    get_settings.cache_clear()
    month_ago = (datetime.now(UTC) - timedelta(days=31)).isoformat()
    answer = admin.post("/complaints", json=complaint_payload(received_at=month_ago))
    _refused(answer, "more than 30 days ago; only complaints received within the last 30 days")


# --- the web forms ----------------------------------------------------------------------------

FORM_FIELDS = [
    "kind",
    "channel",
    "product",
    "lot_number",
    "serial_number",
    "order_reference",
    "quantity_affected",
    "description",
    "remedy_sought",
    "severity",
    "customer_id",
    "customer_q",
    "customer_name",
    "customer_company",
    "customer_email",
    "customer_phone",
    "customer_address",
    "idempotency_key",
    "accepted",
    "comment",
    "reason",
    "note",
    "valid",
    "investigate",
    "no_investigation_reason",
    "defect_code",
    "cause_code",
    "product_id",
    "part_number",
    "name",
    "family",
    "active",
    "code",
    "label",
    "group",
    "containment",
    "root_cause",
    "corrective_action",
    "preventive_action",
    "customer_summary",
    "approved",
    "department",
    "subtask_request",
    "answer",
    "decision",
    "status",
    "task_id",
    "username",
    "password",
    "next",
    "version",
    "original",
    "product_was",
    "lot_number_was",
    "quantity_affected_was",
    "description",
    "owner_department",
    "owner",
    "due_date",
    "business_days",
    "evidence",
    "attachment_ids",
    "verdict",
    "reasoning",
    "reached",
    "spoke_to",
    "address",
    "phone",
    "email",
    "website",
    "signature",
    "mail_display_name",
    "logo_reason",
    "hours",
    "business_time",
    "reminder_fraction",
    "escalation_interval_hours",
    "full_name",
    "role",
    "repeat",
]
HOSTILE_FORM_VALUES = {
    "1e400": b"1e400",
    "NaN": b"NaN",
    "-Infinity": b"-Infinity",
    "5000 digits": b"1" + b"0" * 5000,
    "surrogate as UTF-8": b"%ED%A0%80",
    "cut UTF-8": b"%F0%9F",
    "escaped surrogate": b"%5Cud800",
}
WEB_FORMS = sorted(
    route.path
    for module in (
        web_auth,
        web_catalogue,
        web_complaints,
        web_corrections,
        web_customer,
        web_managers,
        web_tasks,
        web_related,
        web_actions,
        web_calls,
        web_company,
        web_admin_pages,
        web_admin_history,
        web_admin_policies,
        web_users_admin,
        web_password_reset,
    )
    for route in module.router.routes
    if "POST" in getattr(route, "methods", ())
)


@pytest.fixture
def routed_complaint(base_url) -> dict[str, Any]:
    from tests.support import drain_outbox
    from workflow.db import read_session

    sales = Api(base_url, "sales")
    reference = sales.log_complaint()["reference"]
    sales.close()
    drain_outbox()
    quality = Api(base_url, "quality")
    task_id = quality.open_task(reference, "quality_assessment")["id"]
    subtask = quality.post(
        f"/tasks/{task_id}/subtasks", json={"department": "technical", "request": "Test it."}
    )
    assert subtask.status_code == 201, subtask.text
    action = quality.post(
        f"/complaints/{reference}/actions",
        json={"kind": "corrective", "description": "Fix it.", "owner_department": "technical"},
    )
    assert action.status_code == 201, action.text
    quality.close()
    with read_session() as session:
        complaint = session.exec(select(Complaint).where(Complaint.reference == reference)).one()
        token = complaint.status_token
    return {
        "reference": reference,
        "task_id": str(task_id),
        "subtask_id": str(subtask.json()["id"]),
        "action_id": str(action.json()["id"]),
        "token": token,
        "other": reference,
        "product_id": "1",
        "kind": "defect",
        "code_id": "1",
        "notice_id": "1",
        "event_id": "00000000-0000-4000-8000-000000000001",
        "user_id": "1",
    }


def _csrf_token(client: httpx.Client) -> str:
    """The CSRF token of the client's session, read from the sign-in page."""
    found = re.search(r'"X-CSRF-Token": "([^"]+)"', client.get("/login").text)
    assert found is not None
    return found.group(1)


def _signed_in_client(base_url: str, path: str) -> tuple[httpx.Client, str]:
    """A client with a session fit for ``path`` (none for the sign-in and the customer's
    page), and that session's CSRF token."""
    client = httpx.Client(
        base_url=base_url, limits=httpx.Limits(max_connections=1), follow_redirects=False
    )
    quality_pages = ("/tasks", "/products", "/codes")
    quality_user = (
        path.startswith(quality_pages) or path.endswith("/product") or "/related/" in path
    )
    user = "admin" if path.startswith("/admin") else "quality" if quality_user else "sales"
    user = "quality" if quality_user else "sales"
    if path.startswith("/admin/"):
        user = "admin"
    if not path.startswith(("/login", "/status")):
        token = _csrf_token(client)
        signed = client.post(
            "/login", data={"username": user, "password": "demo", "csrf_token": token}
        )
        assert signed.status_code == 303
    return client, _csrf_token(client)


@pytest.mark.parametrize("template", WEB_FORMS)
def test_no_web_form_fails_on_hostile_values(base_url, routed_complaint, template):
    path = template.format(**routed_complaint)
    if path == "/admin/policies/edit":
        path += "?step=acknowledgement"
    client, token = _signed_in_client(base_url, path)
    try:
        port = client.get("/login").extensions["network_stream"].get_extra_info("client_addr")
        for name, value in HOSTILE_FORM_VALUES.items():
            fields = [f"{field}=".encode() + value for field in FORM_FIELDS]
            body = b"&".join([*fields, b"csrf_token=" + token.encode()])
            answer = client.post(
                path, content=body, headers={"Content-Type": "application/x-www-form-urlencoded"}
            )
            assert answer.status_code < 500, (name, answer.text[:2000])
            answer.text.encode("utf-8")  # the answer itself is valid text
            again = client.get("/login")
            assert again.status_code == 200
            assert again.extensions["network_stream"].get_extra_info("client_addr") == port
    finally:
        client.close()


def test_the_complaint_form_refuses_hostile_multipart_values_in_words(base_url):
    client, token = _signed_in_client(base_url, "/complaints/new")
    try:
        for name, value in HOSTILE_FORM_VALUES.items():
            raw = value.replace(b"%ED%A0%80", b"\xed\xa0\x80").replace(b"%F0%9F", b"\xf0\x9f")
            files = dict.fromkeys(FORM_FIELDS, (None, raw))
            files["csrf_token"] = (None, token.encode())
            answer = client.post("/complaints/new", files=files)
            assert answer.status_code == 422, (name, answer.text[:2000])
            assert "Please correct" in answer.text or "error" in answer.text.lower()
    finally:
        client.close()
