"""Schemathesis fuzzes every operation of the OpenAPI in-process: no server errors, answers
that match their declared status codes, content types and schemas, invalid data refused,
and no operation that needs a token answers without one."""

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis import checks as sc
from sqlmodel import select

from api.main import app
from models.user import User
from workflow.db import read_session
from workflow.security import create_access_token

schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", app)

CHECKS = [
    sc.not_a_server_error,
    sc.status_code_conformance,
    sc.content_type_conformance,
    sc.response_schema_conformance,
    sc.negative_data_rejection,
    sc.ignored_auth,
]


def role_for(method: str, path: str) -> str:
    """A user whose role may call the operation, so the fuzz reaches the route's own code."""
    if path.startswith("/api/v1/tasks") and method == "POST":
        return "quality"
    if method == "POST" and path.startswith(
        ("/api/v1/actions", "/api/v1/complaints/{reference}/actions")
    ):
        return "quality"
    if path.endswith(("/customer-response", "/wait-for-customer", "/customer-answered")):
        return "sales"
    if path in ("/api/v1/overdue", "/api/v1/reports/deadlines", "/api/v1/policies/history"):
        return "manager"
    if path == "/api/v1/complaints" and method == "POST":
        return "sales"
    return "admin"


def token_of(username: str) -> str:
    with read_session() as session:
        user = session.exec(select(User).where(User.username == username)).one()
    return create_access_token(user)


@pytest.fixture
def tokens(settings_fixture):
    return {name: token_of(name) for name in ("sales", "quality", "manager", "admin")}


@pytest.fixture
def settings_fixture(settings):
    return settings


@schema.parametrize()
@settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
    ],
)
def test_every_operation_answers_as_documented(case, tokens):
    headers = {}
    if case.operation.path != "/api/v1/auth/token" and not case.operation.path.startswith(
        "/api/v1/health"
    ):
        headers["Authorization"] = f"Bearer {tokens[role_for(case.method, case.operation.path)]}"
    case.call_and_validate(headers=headers, checks=CHECKS)
