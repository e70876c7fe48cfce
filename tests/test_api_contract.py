"""What the OpenAPI promises beyond its schemas: each rule that refuses schema-valid input
with 422 is written where a client reads it, and OPTIONS names every method of a path."""

import re
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from api.main import app
from tests.support import Api, complaint_payload, quality_result

SPEC = app.openapi()
SCHEMAS = SPEC["components"]["schemas"]


def _field(schema: str, name: str) -> str:
    return SCHEMAS[schema]["properties"][name].get("description", "")


def _query_parameter(path: str, name: str) -> str:
    (parameter,) = [p for p in SPEC["paths"][path]["get"]["parameters"] if p["name"] == name]
    return parameter.get("description", "")


def _customer_and_id() -> dict[str, Any]:
    return complaint_payload(customer_id=1)


# Where the rule is documented, words it must say, and a schema-valid request it refuses.
RULES: dict[str, tuple[Callable[[], str], str, str, str, str, Any]] = {
    "no NUL characters": (
        lambda: SPEC["info"]["description"],
        "NUL",
        "sales",
        "POST",
        "/complaints",
        complaint_payload(description="leaks\u0000badly"),
    ),
    "finite numbers": (
        lambda: SPEC["info"]["description"],
        "not finite",
        "admin",
        "PUT",
        "/policies",
        b'{"step": "containment", "hours": NaN, "reason": "faster"}',
    ),
    "no lone surrogates": (
        lambda: SPEC["info"]["description"],
        "lone\nUTF-16 surrogate",
        "sales",
        "POST",
        "/complaints",
        b'{"product": "\\ud800"}',
    ),
    "to after from": (
        lambda: _query_parameter("/api/v1/reports/deadlines", "to"),
        "must be after `from`",
        "manager",
        "GET",
        "/reports/deadlines?from=2026-11-02&to=2026-11-01",
        None,
    ),
    "to after from, satisfaction": (
        lambda: _query_parameter("/api/v1/reports/satisfaction", "to"),
        "must be after `from`",
        "manager",
        "GET",
        "/reports/satisfaction?from=2026-11-02&to=2026-11-01",
        None,
    ),
    "a reason when not investigating": (
        lambda: _field("QualityResult", "no_investigation_reason"),
        "when `investigate` is false",
        "quality",
        "POST",
        "/tasks/1/complete",
        quality_result(investigate=False),
    ),
    "a reason when not investigating, first assessment": (
        lambda: _field("Assessment", "no_investigation_reason"),
        "when `investigate` is false",
        "quality",
        "POST",
        "/tasks/1/assessment",
        {"valid": True, "investigate": False, "defect_code": "LK-SEAL"},
    ),
    "a defect code when valid, first assessment": (
        lambda: _field("Assessment", "defect_code"),
        "Required when `valid` is true",
        "quality",
        "POST",
        "/tasks/1/assessment",
        {"valid": True, "investigate": True},
    ),
    "a cause code when investigated": (
        lambda: _field("QualityResult", "cause_code"),
        "Required when `investigate` is true",
        "quality",
        "POST",
        "/tasks/1/complete",
        quality_result(cause_code=None),
    ),
    "a product named or chosen": (
        lambda: _field("ComplaintCreate", "product"),
        "unless `product_id` is given",
        "sales",
        "POST",
        "/complaints",
        complaint_payload(product=None),
    ),
    "a comment when sent back": (
        lambda: _field("SalesReview", "comment"),
        "when `approved` is false",
        "sales",
        "POST",
        "/tasks/1/complete",
        {"kind": "sales_review", "approved": False},
    ),
    "a comment when the customer refuses": (
        lambda: _field("CustomerResponse", "comment"),
        "when `accepted` is false",
        "sales",
        "POST",
        "/complaints/CMP-2026-000001/customer-response",
        {"accepted": False},
    ),
    "sub-task departments": (
        lambda: _field("SubtaskRequest", "department"),
        "technical, production or procurement",
        "quality",
        "POST",
        "/tasks/1/subtasks",
        {"department": "sales", "request": "Please check the order."},
    ),
    "inquiry departments": (
        lambda: _field("InquiryForward", "department"),
        "quality or technical",
        "sales",
        "POST",
        "/tasks/1/forward",
        {"department": "production"},
    ),
    "action departments": (
        lambda: _field("ActionCreate", "owner_department"),
        "(management: 422)",
        "quality",
        "POST",
        "/complaints/CMP-2026-000001/actions",
        {"kind": "corrective", "description": "Retrain.", "owner_department": "management"},
    ),
    "one due date for an action": (
        lambda: _field("ActionCreate", "due_date"),
        "Give this or business_days",
        "quality",
        "POST",
        "/complaints/CMP-2026-000001/actions",
        {
            "kind": "corrective",
            "description": "Retrain the line.",
            "owner_department": "production",
            "due_date": "2027-01-04",
            "business_days": 3,
        },
    ),
    "one customer": (
        lambda: _field("ComplaintCreate", "customer"),
        "exactly one of `customer_id` and `customer`",
        "sales",
        "POST",
        "/complaints",
        _customer_and_id(),
    ),
    "received_at bounds": (
        lambda: _field("ComplaintCreate", "received_at"),
        "at most 5 minutes in the future and at most `CW_MAX_RECEIVED_AGE_DAYS` days",
        "sales",
        "POST",
        "/complaints",
        complaint_payload(received_at="2001-01-01T00:00:00Z"),
    ),
    "a link is confirmed or dismissed": (
        lambda: _field("LinkReview", "status"),
        "`confirmed` or `dismissed`",
        "quality",
        "POST",
        "/complaints/CMP-2026-000001/related/CMP-2026-000002",
        {"status": "suggested", "reason": "Back to suggested."},
    ),
    "the company's website is a web address": (
        lambda: _field("CompanyProfileUpdate", "website"),
        "starting https://",
        "admin",
        "PUT",
        "/admin/company",
        {"website": "javascript:alert(1)", "reason": "Contract check"},
    ),
    "the company's e-mail is an address": (
        lambda: _field("CompanyProfileUpdate", "email"),
        "An e-mail address",
        "admin",
        "PUT",
        "/admin/company",
        {"email": "not an address", "reason": "Contract check"},
    ),
    "not related to itself": (
        lambda: SPEC["paths"]["/api/v1/complaints/{reference}/related/{other}"]["post"][
            "description"
        ],
        "cannot be related to itself",
        "quality",
        "POST",
        "/complaints/CMP-2026-000001/related/CMP-2026-000001",
        {"status": "confirmed", "reason": "Same."},
    ),
}


@pytest.fixture
def api(base_url) -> Iterator[Callable[[str], Api]]:
    clients: list[Api] = []

    def sign_in(username: str) -> Api:
        clients.append(Api(base_url, username))
        return clients[-1]

    yield sign_in
    for client in clients:
        client.close()


@pytest.mark.parametrize(
    ("where", "words", "user", "method", "path", "body"), RULES.values(), ids=RULES.keys()
)
def test_a_rule_that_refuses_schema_valid_input_is_documented(
    api, where, words, user, method, path, body
):
    assert words in where()
    raw = isinstance(body, bytes)
    answer = api(user).request(
        method,
        path,
        content=body if raw else None,
        json=None if raw else body,
        headers={"Content-Type": "application/json"} if raw else None,
    )
    assert answer.status_code == 422, answer.text


def _concrete(template: str) -> str:
    return re.sub(r"\{[^}]+\}", "1", template)


@pytest.mark.parametrize("template", sorted(SPEC["paths"]))
def test_options_on_an_api_path_names_every_method_it_has(base_url, settings, template):
    methods = {m.upper() for m in SPEC["paths"][template]}
    if "GET" in methods:
        methods.add("HEAD")
    answer = httpx.options(f"{base_url}{_concrete(template)}")
    assert answer.status_code == 204, answer.text
    assert set(answer.headers["allow"].split(", ")) == methods | {"OPTIONS"}


def test_options_on_the_docs_and_on_no_path_at_all(base_url, settings):
    docs = httpx.options(f"{base_url}/api/v1/docs")
    assert docs.status_code == 204
    assert docs.headers["allow"] == "GET, HEAD, OPTIONS"
    assert httpx.options(f"{base_url}/api/v1/no-such-thing").status_code == 404
