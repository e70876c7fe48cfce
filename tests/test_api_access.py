"""Who may call what: no token or a bad one, each role against each route, each task queue.

The refusals change nothing, so the tests of this module share one database (``world``)
holding a complaint with quality's task open, one with sales' review open and one resolved;
every refusal is checked to have left that database as it was.
"""

import base64
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta

import httpx
import jwt
import pytest
from sqlmodel import col, func, select

from api.main import app
from models.complaint import Complaint
from models.history import HistoryEntry
from models.idempotency import IdempotencyRecord
from models.review import Contract, Delivery, Review
from models.task import Task
from models.user import User, UserCreate
from tests.support import Api, complaint_payload, drain_outbox, quality_result
from workflow import db
from workflow.calendar import forget_calendar
from workflow.clock import utcnow
from workflow.config import get_settings
from workflow.rules import PERMISSIONS, Action, Department, Role
from workflow.security import ALGORITHM
from workflow.users import create_user

PREFIX = "/api/v1"
PUBLIC = {
    ("POST", "/auth/token"),
    ("GET", "/health"),
    ("GET", "/health/live"),
    ("GET", "/health/ready"),
}
USERNAMES = {
    Role.sales: "sales",
    Role.quality: "quality",
    Role.technical: "technical",
    Role.manager: "manager",
    Role.general_manager: "gm",
    Role.admin: "admin",
}
EVERYONE = tuple(USERNAMES.values())
OVERSEERS = ("manager", "gm", "admin")


def _operations() -> list[tuple[str, str]]:
    return sorted(
        (method.upper(), path.removeprefix(PREFIX))
        for path, operations in app.openapi()["paths"].items()
        for method in operations
    )


PROTECTED = [op for op in _operations() if op not in PUBLIC]


def _reset_caches() -> None:
    get_settings.cache_clear()
    db.reset_engines()
    forget_calendar()


@dataclass
class World:
    base_url: str
    clients: dict[str, Api]
    reference: str  # with quality: its quality_assessment task is open
    quality_task: int
    reviewed: str  # with sales: its sales_review task is open
    sales_task: int
    resolved: str  # resolved, waiting for the customer's answer
    review: str  # a contract review in review: quality's department task is open
    review_task: int
    contract_id: int  # an accepted order in the contract ledger

    def fill(self, path: str) -> str:
        on_a_review = path.startswith(("/reviews/", "/contracts/"))
        return path.format(
            reference=self.review if on_a_review else self.reference,
            review_task=self.review_task,
            contract_id=self.contract_id,
            resolved=self.resolved,
            task_id=self.quality_task,
            quality_task=self.quality_task,
            sales_task=self.sales_task,
            other=self.reviewed,
            notice_id=1,
            mail_id=1,
            subtask_id=999_999,  # no such sub-task: refused before it is looked up, or 404
            action_id=999_999,  # no such action: refused before it is looked up, or 404
            product_id=999_999,
            document_id=999_999,  # no such document of the review: 404
            code_id=999_999,
            customer_id=999_999,  # no such customer: refused before it is looked up, or 404
            user_id=999_999,  # no such user: refused before it is looked up, or 404
            event_id="00000000-0000-4000-8000-000000000000",
            day="2029-06-05",  # no closure on that day: refused for who asks, or 404
        )


@pytest.fixture(scope="module")
def world(
    tmp_path_factory, fresh_databases, smtp_server, prefect_api_url, api_server
) -> Iterator[World]:
    """One database for the module, set up as ``conftest.settings`` sets up each test's."""
    directory = tmp_path_factory.mktemp("access")
    database = fresh_databases.new(directory)
    environment = pytest.MonkeyPatch()
    for name, value in {
        **database,
        "CW_ENVIRONMENT": "test",
        "CW_SMTP_PORT": str(smtp_server.port),
        "CW_PREFECT_API_URL": prefect_api_url,
        "CW_NOTICE_RETRY_BASE_SECONDS": "0.2",
        "CW_SMTP_TIMEOUT_SECONDS": "3",
    }.items():
        environment.setenv(name, value)
    _reset_caches()
    clients = {name: Api(api_server.base_url, name) for name in EVERYONE}
    try:
        sales, quality = clients["sales"], clients["quality"]
        references = [sales.log_complaint()["reference"] for _ in range(3)]
        drain_outbox()
        for reference in references[1:]:
            task = quality.open_task(reference, "quality_assessment")
            done = quality.post(f"/tasks/{task['id']}/complete", json=quality_result())
            assert done.status_code == 200, done.text
        drain_outbox()
        review = sales.open_task(references[2], "sales_review")
        approved = sales.post(
            f"/tasks/{review['id']}/complete", json={"kind": "sales_review", "approved": True}
        )
        assert approved.status_code == 200, approved.text
        drain_outbox()
        assert sales.record(references[2])["status"] == "resolved"
        review_reference, review_task, contract_id = _review_and_contract(sales, quality)
        yield World(
            base_url=api_server.base_url,
            clients=clients,
            reference=references[0],
            quality_task=quality.open_task(references[0], "quality_assessment")["id"],
            reviewed=references[1],
            sales_task=sales.open_task(references[1], "sales_review")["id"],
            resolved=references[2],
            review=review_reference,
            review_task=review_task,
            contract_id=contract_id,
        )
    finally:
        for client in clients.values():
            client.close()
        environment.undo()
        _reset_caches()
        fresh_databases.drop(database)


def _review_and_contract(sales: Api, quality: Api) -> tuple[str, int, int]:
    """A contract in review with quality's task open, and an order accepted into the ledger."""
    review = sales.post("/reviews", json=review_payload())
    assert review.status_code == 201, review.text
    order = sales.post(
        "/reviews",
        json=review_payload(kind="order", departments=["sales"], reason="Stock pumps."),
    )
    assert order.status_code == 201, order.text
    drain_outbox()
    tasks = {
        r["reference"]: r["tasks"][0]
        for r in (sales.get(f"/reviews/{x.json()['reference']}").json() for x in (review, order))
    }
    reference, ordered = review.json()["reference"], order.json()["reference"]
    answered = sales.post(f"/tasks/{tasks[ordered]['id']}/complete", json=department_answer())
    assert answered.status_code == 200, answered.text
    accepted = sales.post(f"/reviews/{ordered}/decision", json={"decision": "accept"})
    assert accepted.status_code == 200, accepted.text
    drain_outbox()
    tasks_of_review = sales.get(f"/reviews/{reference}").json()["tasks"]
    found = [t["id"] for t in tasks_of_review if t["department"] == "quality"]
    contracts = sales.get("/contracts").json()["items"]
    return reference, found[0], contracts[0]["id"]


def review_payload(**overrides: object) -> dict[str, object]:
    return {
        "kind": "contract",
        "customer_id": 1,
        "title": "Access check supply",
        "value": "5000",
        "requirements": "Ten P-200 pumps.",
        "channel": "email",
        **overrides,
    }


def department_answer() -> dict[str, object]:
    questions = ("requirements_clear", "requirements_agreed", "legal_requirements_met", "on_time")
    answers = dict.fromkeys((*questions, "customer_can_pay", "margin_acceptable"), True)
    return {"kind": "department_review", "verdict": "can_meet", "answers": answers}


def _state() -> tuple:
    """Everything a refused request might have touched."""
    with db.read_session() as session:
        return (
            session.exec(select(func.count()).select_from(Complaint)).one(),
            session.exec(select(func.count()).select_from(HistoryEntry)).one(),
            session.exec(select(func.count()).select_from(IdempotencyRecord)).one(),
            [
                (c.reference, c.status, c.version)
                for c in session.exec(select(Complaint).order_by(col(Complaint.id)))
            ],
            [
                (t.id, t.status, t.assignee_id, t.result)
                for t in session.exec(select(Task).order_by(col(Task.id)))
            ],
            [
                (r.reference, r.status, r.version)
                for r in session.exec(select(Review).order_by(col(Review.id)))
            ],
            [
                (c.id, c.status, c.version)
                for c in session.exec(select(Contract).order_by(col(Contract.id)))
            ],
            session.exec(select(func.count()).select_from(Delivery)).one(),
        )


REPORT = "/reports/deadlines?from=2026-01-01&to=2027-01-01"
SATISFACTION = "/reports/satisfaction?from=2026-01-01&to=2027-01-01&group_by=product"
REGISTER = "/register?from=2026-01-01&to=2027-01-01"
DOSSIER = "/complaints/{resolved}/dossier.pdf"


def _body_for(method: str, path: str) -> dict | None:
    """A valid body for the route, so a refusal is about who asks, not what they send."""
    if method not in ("POST", "PUT", "PATCH"):
        return None
    if path == "/complaints":
        return complaint_payload()
    if path == "/reviews":
        return review_payload()
    if path.startswith(("/reviews/", "/contracts/")):
        return _review_body(path)
    if path == "/policies":
        return {"step": "sales_review", "hours": 18, "reason": "Sales asked for two days."}
    if path == "/auth/me":
        return {"digest_enabled": False}
    if method == "PATCH" and path == "/complaints/{reference}":
        return {"lot_number": "L-2026-141", "version": 1, "reason": "Digits swapped."}
    if path == "/recurrence-rule":
        return {"threshold": 3, "window_days": 60, "reason": "Audit finding 2026-14."}
    if path == "/complaints/{reference}/comments":
        return {"body": "Access check."}
    if method == "PATCH" and path == "/customers/{customer_id}":
        return {"phone": "+49 30 1", "reason": "Access check."}
    if path.endswith("/related/{other}"):
        return {"status": "confirmed", "reason": "Same seal batch, same failure."}
    accounts: dict[str, dict[str, object] | None] = {
        "/admin/users": {
            "username": "acc",
            "full_name": "Access Check",
            "email": "acc@example.com",
            "role": "technical",
        },
        "/admin/users/{user_id}": {"full_name": "Renamed"},
        "/admin/users/{user_id}/password-reset": None,
    }
    if path in accounts:
        return accounts[path]
    if path == "/calendar/closures":
        return {"day": "2029-06-04", "reason": "Access check."}
    if path == "/calendar/closures/{day}/remove":
        return {"reason": "Access check."}
    master_data: dict[str, dict[str, object] | None] = {
        "/products": {"part_number": "ACC-1", "name": "Access pump", "family": "pumps"},
        "/products/import": None,  # a CSV body; none: refused for who asks, else 422
        "/products/{product_id}": {"name": "Renamed pump"},
        "/codes/defects": {"code": "ACC-LEAK", "family": "leak", "label": "Access leak"},
        "/codes/causes": {"code": "ACC-MAN", "category": "man", "label": "Access cause"},
        "/codes/defects/{code_id}": {"label": "Relabelled"},
        "/codes/causes/{code_id}": {"label": "Relabelled"},
        "/admin/company": {"name": "Access GmbH", "reason": "Access check."},
        "/admin/company/logo": None,  # an image body; none: refused for who asks, else 422
    }
    if path in master_data:
        return master_data[path]
    bodies: dict[str, dict[str, object] | None] = {
        "/customer-response": {"accepted": True},
        "/wait-for-customer": {"reason": "Asked for photos of the seal."},
        "/customer-answered": {"note": "Photos received by e-mail."},
        "/acknowledgement": {"channel": "phone", "note": "Called the customer back."},
        "/claim": None,
        "/assessment": {"valid": True, "investigate": True, "defect_code": "LK-SEAL"},
        "/containment": {"containment": "Lot L-2026-114 blocked in stock."},
        "/resend": {"reason": "Checked the mail server's log."},
        "/done": {"reason": "The mail server's log shows it delivered."},
        "/retry": {"reason": "Fixed what made its handler fail."},
        "/subtasks": {"department": "technical", "request": "Bench-test the seal at 6 bar."},
        "/cancel": {"reason": "The supplier's 8D already answers it."},
        "/withdraw": {"reason": "Logged for the wrong customer."},
        "/duplicate": {"original": "CMP-2026-000001", "reason": "Logged twice."},
        "/erase": {"reason": "The customer asked to be forgotten."},
        "/actions": {
            "kind": "corrective",
            "description": "Tighten the incoming inspection of seals.",
            "owner_department": "technical",
        },
        "/attach": {"reason": "Called the customer: the sender is their buyer."},
        "/drop": {"reason": "Not about this complaint."},
        "/product": {"product_id": 999_999, "reason": "Access check."},
        "/forward": {"department": "technical"},
        "/read": None,
        "/assign": {"user_id": 999_999},  # no such user: a 422 once the task is allowed
        "/unclaim": {"reason": "Access check."},
        "/away": {"until": None},  # back: nothing changes
    }
    for suffix, body in bodies.items():
        if path.endswith(suffix):
            return body
    if path.endswith("/complete"):
        if "{review_task}" in path:
            return department_answer()
        if "{sales_task}" in path:
            return {"kind": "sales_review", "approved": True}
        return quality_result()
    raise AssertionError(f"no body known for {method} {path}: add one")


def _review_body(path: str) -> dict[str, object] | None:
    today = utcnow().date().isoformat()
    bodies: dict[str, dict[str, object] | None] = {
        "/decision": {"decision": "accept"},
        "/meeting": {"held_on": today, "attendees": ["Sam", "Grace"], "minutes": "Agreed."},
        "/confirmation": {"confirmed_with": "Jane", "confirmed_on": today, "summary": "All."},
        "/questions": {"question": "Which seal material?"},
        "/customer-answer": {"answer": "FKM."},
        "/deliveries": {"delivered_on": today, "quantity": 1},
        "/changes": {
            "requirements": "Twelve pumps instead of ten.",
            "channel": "email",
            "departments": ["sales", "production"],
            "reason": "Only the quantity changes.",
        },
        "/cancel": {"reason": "Access check."},
        "/progress-report": {"note": "Access check."},
        "/documents": None,  # a file as the body; none: refused for who asks, else 422
    }
    for suffix, body in bodies.items():
        if path.endswith(suffix):
            return body
    raise AssertionError(f"no body known for POST {path}: add one")


# --- no token, or a token that is not good ------------------------------------------------


def _signed(claims: dict, key: str | None = None) -> str:
    return jwt.encode(claims, key or get_settings().secret_key, algorithm=ALGORITHM)


def _unsigned(claims: dict) -> str:
    def part(data: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(claims)}."


def _bad_token(kind: str) -> str | None:
    now = utcnow()
    later = now + timedelta(minutes=10)
    return {
        "none": lambda: None,
        "garbage": lambda: "not-a-token",
        "expired": lambda: _signed(
            {"sub": "admin", "iat": now - timedelta(hours=2), "exp": now - timedelta(minutes=1)}
        ),
        "wrong-key": lambda: _signed({"sub": "admin", "exp": later}, "another-key-" * 4),
        "alg-none": lambda: _unsigned({"sub": "admin", "exp": int(later.timestamp())}),
        "no-expiry": lambda: _signed({"sub": "admin"}),
        "unknown-user": lambda: _signed({"sub": "ghost", "exp": later}),
    }[kind]()


def test_the_served_openapi_lists_the_routes_checked_here(world):
    spec = httpx.get(f"{world.base_url}{PREFIX}/openapi.json").json()
    served = sorted(
        (method.upper(), path.removeprefix(PREFIX))
        for path, operations in spec["paths"].items()
        for method in operations
    )
    assert served == _operations()
    assert ("POST", "/complaints") in PROTECTED
    assert ("POST", "/tasks/{task_id}/complete") in PROTECTED
    assert set(served) >= PUBLIC


@pytest.mark.parametrize(
    "token", ["none", "garbage", "expired", "wrong-key", "alg-none", "no-expiry", "unknown-user"]
)
@pytest.mark.parametrize(("method", "path"), PROTECTED)
def test_every_route_but_sign_in_and_health_refuses_a_request_without_a_good_token(
    world, method, path, token
):
    before = _state()
    bearer = _bad_token(token)
    headers = {"Authorization": f"Bearer {bearer}"} if bearer else {}
    answer = httpx.request(
        method,
        f"{world.base_url}{PREFIX}{world.fill(path)}",
        headers=headers,
        json=_body_for(method, path),
    )
    assert answer.status_code == 401, answer.text
    assert answer.headers["WWW-Authenticate"] == "Bearer"
    assert _state() == before


def test_sign_in_and_health_need_no_token(world):
    assert httpx.get(f"{world.base_url}{PREFIX}/health").status_code == 200
    answer = httpx.post(
        f"{world.base_url}{PREFIX}/auth/token", data={"username": "sales", "password": "demo"}
    )
    assert answer.status_code == 200
    assert answer.json()["token_type"] == "bearer"


# --- each role against the routes it must not use --------------------------------------------

DEPARTMENT_USERS = ("sales", "quality", "technical")

FORBIDDEN = [
    *[(user, "POST", "/complaints") for user in ("quality", "technical", "manager", "gm")],
    *[(user, "GET", "/overdue") for user in DEPARTMENT_USERS],
    *[(user, "GET", "/policies/history") for user in DEPARTMENT_USERS],
    *[(user, "GET", REPORT) for user in DEPARTMENT_USERS],
    *[(user, "GET", SATISFACTION) for user in DEPARTMENT_USERS],
    ("technical", "GET", REGISTER),
    ("technical", "GET", f"{REGISTER}&format=pdf"),
    *[(user, "PUT", "/policies") for user in ("sales", "quality", "technical", "manager", "gm")],
    *[
        (user, method, path)
        for user in ("sales", "quality", "technical", "manager", "gm")
        for method, path in (
            ("GET", "/admin/notices/held"),
            ("POST", "/admin/notices/{notice_id}/resend"),
            ("POST", "/admin/notices/{notice_id}/done"),
            ("GET", "/admin/history/verify"),
            ("GET", "/admin/events/failed"),
            ("POST", "/admin/events/{event_id}/retry"),
            ("POST", "/customers/{customer_id}/erase"),
            ("GET", "/admin/company"),
            ("PUT", "/admin/company"),
            ("PUT", "/admin/company/logo"),
            ("GET", "/admin/company/changes"),
            ("GET", "/admin/users"),
            ("POST", "/admin/users"),
            ("GET", "/admin/users/{user_id}"),
            ("GET", "/admin/users/{user_id}/changes"),
            ("PATCH", "/admin/users/{user_id}"),
            ("POST", "/admin/users/{user_id}/password-reset"),
            ("POST", "/calendar/closures"),
            ("POST", "/calendar/closures/{day}/remove"),
        )
    ],
    *[
        (user, "PATCH", "/customers/{customer_id}")
        for user in ("quality", "technical", "manager", "gm")
    ],
    *[
        (user, method, path)
        for user in ("quality", "technical", "manager", "gm", "admin")
        for method, path in (
            ("GET", "/mail/held"),
            ("POST", "/mail/held/{mail_id}/attach"),
            ("POST", "/mail/held/{mail_id}/drop"),
        )
    ],
    *[
        (user, "POST", "/complaints/{resolved}/customer-response")
        for user in ("quality", "technical", "manager", "gm", "admin")
    ],
    *[
        (user, "POST", f"/complaints/{{reference}}/{step}")
        for user in ("technical", "manager", "gm", "admin")
        for step in ("wait-for-customer", "customer-answered")
    ],
    *[
        (user, "POST", "/complaints/{reference}/acknowledgement")
        for user in ("quality", "technical", "manager", "gm", "admin")
    ],
    *[
        (user, "POST", "/complaints/{reference}/related/{other}")
        for user in ("sales", "technical", "manager", "gm", "admin")
    ],
    *[(user, "PUT", "/recurrence-rule") for user in ("sales", "quality", "technical", "gm")],
    *[
        (user, "GET", path)
        for user in ("sales", "technical")
        for path in ("/recurrence-rule", "/recurrence-rule/history", "/reports/recurrence")
    ],
    *[
        (user, method, path)
        for user in ("sales", "technical", "manager", "gm")
        for method, path in (
            ("POST", "/products"),
            ("PATCH", "/products/{product_id}"),
            ("POST", "/products/import"),
            ("GET", "/products/changes"),
            ("POST", "/codes/defects"),
            ("PATCH", "/codes/defects/{code_id}"),
            ("POST", "/codes/causes"),
            ("PATCH", "/codes/causes/{code_id}"),
        )
    ],
    *[
        (user, "POST", "/complaints/{reference}/product")
        for user in ("sales", "technical", "manager", "gm", "admin")
    ],
    *[(user, "GET", "/feedback?unread=true") for user in ("sales", "technical")],
    *[
        (user, "POST", "/feedback/{reference}/read")
        for user in ("sales", "technical", "gm", "admin")
    ],
    *[
        (user, "POST", "/tasks/{sales_task}/forward")
        for user in ("quality", "technical", "manager", "gm", "admin")
    ],
    *[
        (user, "POST", "/tasks/{quality_task}/assign")
        for user in ("sales", "technical", "quality", "admin")  # quality: unclaimed, no head
    ],
    *[(user, "POST", "/tasks/{quality_task}/unclaim") for user in ("sales", "technical", "admin")],
    ("sales", "GET", "/tasks?department=quality"),
    ("sales", "GET", "/tasks?department=technical"),
    ("quality", "GET", "/tasks?department=sales"),
    ("quality", "GET", "/tasks?department=management"),
    ("technical", "GET", "/tasks?department=quality"),
    ("technical", "GET", "/tasks?department=sales"),
    *[
        (user, "POST", f"/tasks/{{quality_task}}/{step}")
        for user in ("sales", "technical", "manager", "gm", "admin")
        for step in ("claim", "complete", "assessment", "containment", "subtasks")
    ],
    *[
        (user, "POST", "/tasks/{quality_task}/subtasks/{subtask_id}/cancel")
        for user in ("sales", "technical", "manager", "gm", "admin")
    ],
    *[
        (user, "POST", f"/tasks/{{sales_task}}/{step}")
        for user in ("quality", "technical", "manager", "gm", "admin")
        for step in ("claim", "complete")
    ],
    *[
        (user, "POST", f"/tasks/{{sales_task}}/{step}")
        for user in ("sales", "quality")
        for step in ("assessment", "containment", "subtasks")
    ],
    *[
        (user, "POST", path)
        for user in ("sales", "technical", "manager", "gm", "admin")
        for path in ("/complaints/{reference}/actions", "/actions/{action_id}/cancel")
    ],
    # Contract review: sales organise it and decide; a department answers only its own task.
    *[
        (user, "POST", path)
        for user in ("quality", "technical", "manager", "gm", "admin")
        for path in (
            "/reviews",
            "/reviews/{reference}/decision",
            "/reviews/{reference}/meeting",
            "/reviews/{reference}/confirmation",
            "/reviews/{reference}/customer-answer",
            "/reviews/{reference}/documents",
            "/contracts/{contract_id}/deliveries",
            "/contracts/{contract_id}/changes",
            "/contracts/{contract_id}/cancel",
            "/contracts/{contract_id}/progress-report",
        )
    ],
    *[(user, "POST", "/reviews/{reference}/questions") for user in ("manager", "gm", "admin")],
    *[
        (user, "POST", f"/tasks/{{review_task}}/{step}")
        for user in ("sales", "technical", "manager", "gm", "admin")
        for step in ("claim", "complete")
    ],
]


@pytest.mark.parametrize(("user", "method", "path"), FORBIDDEN)
def test_a_role_is_refused_a_route_it_must_not_use(world, user, method, path):
    before = _state()
    answer = world.clients[user].request(method, world.fill(path), json=_body_for(method, path))
    assert answer.status_code == 403, answer.text
    assert answer.json()["detail"]
    assert _state() == before


ALLOWED = [
    *[(user, "GET", "/auth/me", 200) for user in EVERYONE],
    *[(user, "PUT", "/auth/me/away", 200) for user in EVERYONE],
    *[(user, "GET", "/complaints", 200) for user in EVERYONE],
    *[(user, "GET", "/complaints/{reference}", 200) for user in EVERYONE],
    *[(user, "GET", "/overdue", 200) for user in OVERSEERS],
    *[(user, "GET", "/tasks?department=quality", 200) for user in ("quality", *OVERSEERS)],
    *[(user, "GET", "/tasks?department=sales", 200) for user in ("sales", *OVERSEERS)],
    ("technical", "GET", "/tasks?department=technical", 200),
    *[(user, "GET", "/policies", 200) for user in EVERYONE],
    *[(user, "GET", "/policies/history", 200) for user in OVERSEERS],
    *[(user, "GET", REPORT, 200) for user in OVERSEERS],
    *[(user, "GET", SATISFACTION, 200) for user in OVERSEERS],
    *[(user, "GET", "/complaints/{reference}/related", 200) for user in EVERYONE],
    ("quality", "POST", "/complaints/{reference}/related/{other}", 200),
    *[
        (user, "GET", path, 200)
        for user in ("quality", *OVERSEERS)
        for path in ("/recurrence-rule", "/recurrence-rule/history", "/reports/recurrence")
    ],
    *[(user, "PUT", "/recurrence-rule", 200) for user in ("manager", "admin")],
    *[(user, "GET", REGISTER, 200) for user in ("sales", "quality", *OVERSEERS)],
    *[(user, "GET", DOSSIER, 200) for user in EVERYONE],
    ("admin", "GET", "/admin/notices/held", 200),
    ("admin", "GET", "/admin/history/verify", 200),
    ("admin", "POST", "/customers/{customer_id}/erase", 404),  # no such customer
    *[(user, "PATCH", "/customers/{customer_id}", 404) for user in ("sales", "admin")],
    *[(user, "GET", "/customers/{customer_id}", 404) for user in EVERYONE],
    *[(user, "GET", "/complaints/{reference}/comments", 200) for user in EVERYONE],
    *[(user, "POST", "/complaints/{reference}/comments", 201) for user in EVERYONE],
    ("admin", "POST", "/admin/notices/{notice_id}/resend", 409),  # sent, not held
    ("admin", "POST", "/admin/notices/{notice_id}/done", 409),
    ("admin", "GET", "/admin/events/failed", 200),
    ("admin", "GET", "/admin/company", 200),
    ("admin", "PUT", "/admin/company", 200),
    ("admin", "PUT", "/admin/company/logo", 422),  # no image, no reason
    ("admin", "GET", "/admin/company/changes", 200),
    ("admin", "GET", "/admin/users", 200),
    *[(user, "GET", "/calendar/closures", 200) for user in EVERYONE],
    ("admin", "POST", "/calendar/closures", 201),
    ("admin", "POST", "/calendar/closures/{day}/remove", 404),
    *[
        ("admin", method, path, 404)  # no such user
        for method, path in (
            ("GET", "/admin/users/{user_id}"),
            ("GET", "/admin/users/{user_id}/changes"),
            ("PATCH", "/admin/users/{user_id}"),
            ("POST", "/admin/users/{user_id}/password-reset"),
        )
    ],
    ("admin", "POST", "/admin/events/{event_id}/retry", 404),  # no such event
    ("quality", "POST", "/tasks/{quality_task}/subtasks/{subtask_id}/cancel", 404),
    *[(user, "GET", "/complaints/{reference}/actions", 200) for user in EVERYONE],
    ("quality", "POST", "/actions/{action_id}/cancel", 404),
    ("sales", "GET", "/mail/held", 200),
    *[(user, "GET", "/feedback?unread=true", 200) for user in ("quality", *OVERSEERS)],
    # {reference} is a complaint, not a praise or suggestion: allowed to ask, refused for that.
    *[(user, "POST", "/feedback/{reference}/read", 409) for user in ("quality", "manager")],
    ("sales", "POST", "/tasks/{sales_task}/forward", 422),  # a sales review is no inquiry
    # Heads of quality may hand the task on; no such user (422), nobody holds it (409).
    *[(user, "POST", "/tasks/{quality_task}/assign", 422) for user in ("manager", "gm")],
    *[
        (user, "POST", "/tasks/{quality_task}/unclaim", 409)
        for user in ("quality", "manager", "gm")
    ],
    ("sales", "POST", "/mail/held/{mail_id}/attach", 404),  # no mail held
    ("sales", "POST", "/mail/held/{mail_id}/drop", 404),
    *[(user, "GET", "/products", 200) for user in EVERYONE],
    *[(user, "GET", "/codes/defects", 200) for user in EVERYONE],
    *[(user, "GET", "/codes/causes", 200) for user in EVERYONE],
    *[(user, "GET", "/products/{product_id}", 404) for user in EVERYONE],  # no such product
    *[(user, "GET", "/products/changes", 200) for user in ("quality", "admin")],
    ("quality", "POST", "/products", 201),
    ("admin", "POST", "/codes/defects", 201),
    ("quality", "POST", "/codes/causes", 201),
    ("admin", "POST", "/products/import", 422),  # no file
    *[(user, "PATCH", "/products/{product_id}", 404) for user in ("quality", "admin")],
    *[(user, "PATCH", "/codes/defects/{code_id}", 404) for user in ("quality", "admin")],
    *[(user, "PATCH", "/codes/causes/{code_id}", 404) for user in ("quality", "admin")],
    ("quality", "POST", "/complaints/{reference}/product", 422),  # no such product
    # Allowed to ask; refused only because of the state the complaint is in.
    ("sales", "POST", "/complaints/{reference}/customer-response", 409),
    *[(user, "GET", "/reviews/{reference}", 200) for user in EVERYONE],
    *[(user, "GET", "/reviews?status=open", 200) for user in EVERYONE],
    *[(user, "GET", "/reviews/{reference}/form.pdf", 200) for user in EVERYONE],
    *[(user, "GET", "/reviews/{reference}/documents/{document_id}", 404) for user in EVERYONE],
    ("sales", "POST", "/reviews/{reference}/documents", 422),  # no file, no filename
    *[(user, "GET", "/contracts", 200) for user in EVERYONE],
    *[(user, "GET", "/contracts/{contract_id}", 200) for user in EVERYONE],
    ("sales", "POST", "/reviews/{reference}/decision", 409),  # the departments still answer
    ("sales", "POST", "/complaints/{reference}/acknowledgement", 409),  # mailed already
    *[
        (user, "POST", f"/complaints/{{resolved}}/{step}", 409)
        for user in ("sales", "quality")
        for step in ("wait-for-customer", "customer-answered")
    ],
]


@pytest.mark.parametrize(("user", "method", "path", "expected"), ALLOWED)
def test_a_role_may_use_the_routes_of_its_work(world, user, method, path, expected):
    answer = world.clients[user].request(method, world.fill(path), json=_body_for(method, path))
    assert answer.status_code == expected, answer.text


def test_the_roles_that_may_log_a_complaint_are_sales_and_admin(world):
    assert PERMISSIONS[Action.log_complaint] == {Role.sales, Role.admin}
    for user in ("sales", "admin"):
        created = world.clients[user].log_complaint()
        record = world.clients["manager"].record(created["reference"])
        assert record["received_by"] == user


# --- object level: whose queue is whose --------------------------------------------------------


def _queue(world: World, user: str, query: str = "") -> list[dict]:
    answer = world.clients[user].get(f"/tasks{query}")
    assert answer.status_code == 200, answer.text
    return answer.json()["items"]


def test_a_department_user_reads_only_its_own_queue(world):
    quality = _queue(world, "quality")
    assert world.quality_task in [t["id"] for t in quality]
    assert {t["department"] for t in quality} == {"quality"}

    sales = _queue(world, "sales")
    assert world.sales_task in [t["id"] for t in sales]
    assert {t["department"] for t in sales} == {"sales"}

    # Technical has no complaint task: only its part of the contract review in progress.
    technical = _queue(world, "technical")
    assert {(t["complaint_reference"], t["department"]) for t in technical} == {
        (world.review, "technical")
    }
    assert world.review_task in [t["id"] for t in quality]  # quality's part of the review
    assert _queue(world, "quality", "?department=quality") == quality


@pytest.mark.parametrize("user", OVERSEERS)
def test_a_manager_reads_any_queue(world, user):
    everything = {t["id"]: t["department"] for t in _queue(world, user)}
    assert everything[world.quality_task] == "quality"
    assert everything[world.sales_task] == "sales"
    for department in ("quality", "sales"):
        queue = _queue(world, user, f"?department={department}")
        assert queue
        assert {t["department"] for t in queue} == {department}
    technical = _queue(world, user, "?department=technical")
    assert {(t["complaint_reference"], t["kind"]) for t in technical} == {
        (world.review, "department_review")
    }


# --- signing in ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("username", "password"), [("sales", "wrong"), ("sales", "DEMO"), ("nobody", "demo")]
)
def test_sign_in_with_a_wrong_password_or_an_unknown_user_is_refused(world, username, password):
    answer = httpx.post(
        f"{world.base_url}{PREFIX}/auth/token", data={"username": username, "password": password}
    )
    assert answer.status_code == 401, answer.text
    assert answer.json() == {"detail": "wrong username or password"}
    assert answer.headers["WWW-Authenticate"] == "Bearer"


@pytest.mark.parametrize(("role", "username"), USERNAMES.items())
def test_the_token_from_sign_in_names_the_user_at_auth_me(world, role, username):
    token = httpx.post(
        f"{world.base_url}{PREFIX}/auth/token", data={"username": username, "password": "demo"}
    ).json()["access_token"]
    answer = httpx.get(
        f"{world.base_url}{PREFIX}/auth/me", headers={"Authorization": f"Bearer {token}"}
    )
    assert answer.status_code == 200, answer.text
    me = answer.json()
    assert (me["username"], me["role"]) == (username, role.value)
    assert "hashed_password" not in me


def test_a_deactivated_user_is_refused_with_a_token_issued_before(world):
    with db.write_session() as session:
        create_user(
            session,
            user_create=UserCreate(
                username="leaver",
                full_name="Lee Leaver",
                email="leaver@example.com",
                role=Role.quality,
                department=Department.quality,
                password="exit-interview-2026",
            ),
        )
    leaver = Api(world.base_url, "leaver", password="exit-interview-2026")
    try:
        assert leaver.get("/auth/me").status_code == 200
        with db.write_session() as session:
            user = session.exec(select(User).where(User.username == "leaver")).one()
            user.is_active = False
            session.add(user)
            session.commit()
        assert leaver.get("/auth/me").status_code == 401
        assert leaver.get("/tasks").status_code == 401
        again = httpx.post(
            f"{world.base_url}{PREFIX}/auth/token",
            data={"username": "leaver", "password": "exit-interview-2026"},
        )
        assert again.status_code == 401
    finally:
        leaver.close()
