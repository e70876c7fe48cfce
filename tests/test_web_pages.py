"""The web pages over real HTTP: sign-in and its cookie, CSRF, the complaint form's checks and
attachments, the customer's status page. (The browser walks through them in
test_web_browser.py.)"""

import re
import uuid

import httpx
import pytest
from sqlmodel import col, func, select

from models.attachment import Attachment
from models.complaint import Complaint
from models.user import User
from tests.support import Api, drain_outbox, quality_result
from workflow.db import read_session, write_session

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"


class Browser:
    """An HTTP client with a cookie jar, signing in through the form like a person."""

    def __init__(self, base_url: str) -> None:
        self.client = httpx.Client(base_url=base_url, follow_redirects=False, timeout=30)

    def csrf(self, path: str = "/login") -> str:
        page = self.client.get(path)
        match = re.search(r'"X-CSRF-Token": "([^"]+)"', page.text)  # on every page
        assert match, page.text[:500]
        return match.group(1)

    def sign_in(self, username: str, password: str = "demo") -> httpx.Response:  # noqa: S107
        token = self.csrf()
        return self.client.post(
            "/login",
            data={"username": username, "password": password, "csrf_token": token, "next": "/"},
        )

    def form(
        self, path: str, data: dict, files: list | None = None, page: str = ""
    ) -> httpx.Response:
        token = self.csrf(page or path)
        return self.client.post(path, data={**data, "csrf_token": token}, files=files)


@pytest.fixture
def browser(base_url):
    clients: list[Browser] = []

    def open_as(username: str | None = None) -> Browser:
        client = Browser(base_url)
        clients.append(client)
        if username:
            assert client.sign_in(username).status_code == 303
        return client

    yield open_as
    for client in clients:
        client.client.close()


def complaint_form(**overrides) -> dict:
    form = {
        "idempotency_key": str(uuid.uuid4()),
        "kind": "complaint",
        "channel": "phone",
        "product": "Pump P-200",
        "description": "Seal leaks.",
        "severity": "major",
        "customer_name": "Jane Miller",
        "customer_email": "jane@acme.example",
    }
    form.update(overrides)
    return form


def complaint_count() -> int:
    with read_session() as session:
        return session.exec(select(func.count()).select_from(Complaint)).one()


def test_sign_in_sets_a_safe_session_cookie_and_lands_on_the_role_page(browser):
    client = browser()
    answer = client.sign_in("sales")
    assert answer.status_code == 303
    assert answer.headers["location"] == "/complaints?mine=1"
    cookie = answer.headers["set-cookie"].lower()
    assert "httponly" in cookie
    assert "samesite=lax" in cookie
    assert "path=/" in cookie
    stranger = browser()
    wrong = stranger.sign_in("sales", "not-the-password")
    assert wrong.status_code == 401
    assert "Wrong username or password." in wrong.text
    assert stranger.client.get("/complaints").status_code == 303  # not signed in


def test_pages_need_a_session_and_redirect_back_after_sign_in(browser):
    client = browser()
    answer = client.client.get("/queue")
    assert answer.status_code == 303
    assert answer.headers["location"] == "/login?next=/queue"
    token = client.csrf("/login?next=/queue")
    signed = client.client.post(
        "/login",
        data={"username": "quality", "password": "demo", "csrf_token": token, "next": "/queue"},
    )
    assert signed.headers["location"] == "/queue"
    htmx = browser().client.get("/queue", headers={"HX-Request": "true"})
    assert htmx.headers["hx-redirect"] == "/login?next=/queue"


@pytest.mark.parametrize("target", ["//evil.example/x", "https://evil.example", "/\\evil.example"])
def test_sign_in_never_redirects_off_the_site(browser, target):
    client = browser()
    token = client.csrf()
    answer = client.client.post(
        "/login",
        data={"username": "sales", "password": "demo", "csrf_token": token, "next": target},
    )
    assert answer.status_code == 303
    assert answer.headers["location"] == "/complaints?mine=1"


def test_every_form_needs_this_sessions_csrf_token(browser):
    sales, other = browser("sales"), browser("sales")
    before = complaint_count()
    missing = sales.client.post("/complaints/new", data=complaint_form())
    assert missing.status_code == 403
    assert "expired" in missing.text
    foreign = sales.client.post(
        "/complaints/new", data={**complaint_form(), "csrf_token": other.csrf("/complaints/new")}
    )
    assert foreign.status_code == 403
    assert complaint_count() == before
    by_header = sales.client.post(
        "/complaints/new",
        data=complaint_form(),
        headers={"X-CSRF-Token": sales.csrf("/complaints/new")},
    )
    assert by_header.status_code == 303
    assert complaint_count() == before + 1
    signed_out = sales.form("/logout", {}, page="/complaints")
    assert signed_out.headers["location"] == "/login"
    assert sales.client.get("/complaints").status_code == 303


def test_the_form_logs_a_complaint_with_attachments_once(browser):
    sales = browser("sales")
    form = complaint_form(quantity_affected="3", lot_number="L-9")
    files = [
        ("attachments", ("seal photo.png", PNG, "image/png")),
        ("attachments", ("report.pdf", PDF, "application/pdf")),
    ]
    created = sales.form("/complaints/new", form, files, page="/complaints/new")
    assert created.status_code == 303, created.text[:2000]
    reference = created.headers["location"].rsplit("/", 1)[1]
    page = sales.client.get(created.headers["location"])
    assert f"Logged {reference}. Promised answer to the customer by" in page.text
    replay = sales.form("/complaints/new", form, files, page="/complaints/new")
    assert replay.headers["location"] == created.headers["location"]  # same key: same complaint
    with read_session() as session:
        stored = session.exec(select(Attachment).order_by(col(Attachment.id))).all()
        assert [(a.filename, a.content_type) for a in stored] == [
            ("seal photo.png", "image/png"),
            ("report.pdf", "application/pdf"),
        ]
        complaint = session.exec(select(Complaint).where(Complaint.reference == reference)).one()
        assert complaint.quantity_affected == 3
    photo = sales.client.get(f"/complaints/{reference}/attachments/{stored[0].id}")
    assert photo.content == PNG
    assert photo.headers["content-type"] == "image/png"
    assert photo.headers["x-content-type-options"] == "nosniff"
    pdf = sales.client.get(f"/complaints/{reference}/attachments/{stored[1].id}")
    assert pdf.headers["content-disposition"] == "attachment; filename*=UTF-8''report.pdf"
    record = Api(sales.client.base_url.__str__().rstrip("/"), "sales").record(reference)
    assert record["history"][0]["changes"]["attachments"] == ["seal photo.png", "report.pdf"]


@pytest.mark.parametrize(
    ("files", "message"),
    [
        (
            [("attachments", ("virus.png", b"MZ\x90\x00" + b"\x00" * 100, "image/png"))],
            "not a photo",
        ),
        (
            [("attachments", ("big.png", PNG + b"\x00" * (10 * 1024 * 1024), "image/png"))],
            "at most 10 MB",
        ),
        (
            [("attachments", (f"p{i}.png", PNG, "image/png")) for i in range(6)],
            "at most 5 attachments",
        ),
        ([("attachments", ("empty.pdf", b"", "application/pdf"))], "empty.pdf is empty"),
        ([("attachments", ("", b"", "application/octet-stream"))], None),
    ],
)
def test_attachments_of_the_wrong_type_or_size_are_refused_and_nothing_is_saved(
    browser, files, message
):
    sales = browser("sales")
    before = complaint_count()
    answer = sales.form("/complaints/new", complaint_form(), files, page="/complaints/new")
    if message is None:  # a file field left empty is no attachment: the complaint is logged
        assert answer.status_code == 303
        return
    assert answer.status_code == 422
    assert message in answer.text
    assert complaint_count() == before


def test_invalid_fields_are_named_on_the_form_and_nothing_is_saved(browser):
    sales = browser("sales")
    sales.form("/complaints/new", complaint_form(customer_name="Kim Known"), page="/complaints/new")
    before = complaint_count()
    answer = sales.form(
        "/complaints/new",
        complaint_form(product="", customer_email="not-an-address", quantity_affected="many"),
        page="/complaints/new",
    )
    assert answer.status_code == 422
    errors = dict(re.findall(r'class="field-error" id="([^"]+)-error">([^<]+)<', answer.text))
    assert set(errors) == {"product", "customer_email", "quantity_affected"}
    assert 'aria-invalid="true" aria-describedby="product-error"' in answer.text
    assert 'value="not-an-address"' in answer.text  # what was typed is kept
    with_lookup = sales.form(
        "/complaints/new",
        complaint_form(product="", customer_q="Kim", customer_id="1"),
        page="/complaints/new",
    )
    assert with_lookup.status_code == 422
    assert re.search(r'value="1" checked>\s*Kim Known', with_lookup.text)  # still chosen
    unknown = sales.form(
        "/complaints/new", complaint_form(customer_id="987654"), page="/complaints/new"
    )
    assert unknown.status_code == 422
    assert "no customer with id 987654" in unknown.text
    assert complaint_count() == before


def test_customer_look_up_finds_customers_as_typed(browser):
    sales = browser("sales")
    sales.form(
        "/complaints/new", complaint_form(customer_name="Zoë 100% Ltd"), page="/complaints/new"
    )
    found = sales.client.get("/customers/search", params={"customer_q": "100%"})
    assert "Zoë 100% Ltd" in found.text
    nothing = sales.client.get("/customers/search", params={"customer_q": "10_"})
    assert "Zoë" not in nothing.text  # _ is a character here, not a wildcard
    assert browser("quality").client.get("/customers/search?customer_q=Zo").status_code == 200
    assert browser("manager").client.get("/customers/search?customer_q=Zo").status_code == 403


@pytest.mark.parametrize("role", ["technical", "quality"])
def test_technical_and_quality_log_feedback_on_the_form_but_not_complaints(browser, role):
    person = browser(role)
    form = person.client.get("/complaints/new")
    assert form.status_code == 200
    assert "<h1>Log feedback</h1>" in form.text
    assert 'href="/complaints/new">Log feedback</a>' in form.text
    offered = re.findall(
        r'<option value="([a-z_]+)"', form.text.split('name="kind"')[1].split("</select>")[0]
    )
    assert offered == ["feedback", "inquiry", "praise", "suggestion"]
    before = complaint_count()
    refused = person.form(
        "/complaints/new", complaint_form(kind="complaint"), page="/complaints/new"
    )
    assert refused.status_code == 422
    assert "a complaint is logged by sales: choose another kind" in refused.text
    assert complaint_count() == before
    logged = person.form(
        "/complaints/new",
        complaint_form(kind="suggestion", description="A longer hose would help on site."),
        page="/complaints/new",
    )
    assert logged.status_code == 303, logged.text[:400]
    page = person.client.get(logged.headers["location"])
    assert "A longer hose would help on site." in page.text
    assert complaint_count() == before + 1
    assert browser("manager").client.get("/complaints/new").status_code == 403


def test_errors_are_pages_for_people_and_json_for_the_api(browser):
    sales = browser("sales")
    page = sales.client.get("/complaints/CMP-1999-000001")
    assert page.status_code == 404
    assert page.headers["content-type"].startswith("text/html")
    assert page.headers["referrer-policy"] == "no-referrer"
    assert "default-src 'self'" in page.headers["content-security-policy"]
    api = sales.client.get("/api/v1/complaints/CMP-1999-000001")
    assert api.status_code == 401
    assert api.headers["content-type"] == "application/json"


def test_a_deactivated_user_is_signed_out_at_once(browser):
    quality = browser("quality")
    assert quality.client.get("/queue").status_code == 200
    with write_session() as session:
        user = session.exec(select(User).where(User.username == "quality")).one()
        user.is_active = False
        session.add(user)
        session.commit()
    assert quality.client.get("/queue").status_code == 303


def test_quality_cancels_an_open_subtask_on_its_task_page_before_returning_its_result(
    base_url, browser
):
    sales, api_quality = Api(base_url, "sales"), Api(base_url, "quality")
    reference = sales.log_complaint()["reference"]
    drain_outbox()
    task = api_quality.open_task(reference, "quality_assessment")
    subtask = api_quality.post(
        f"/tasks/{task['id']}/subtasks", json={"department": "technical", "request": "Test it."}
    ).json()
    quality = browser("quality")
    page = quality.client.get(f"/tasks/{task['id']}")
    assert 'id="result-form"' not in page.text
    assert f"sub-task {subtask['id']} of task {task['id']} is still open" in page.text
    cancel = f"/tasks/{task['id']}/subtasks/{subtask['id']}/cancel"
    assert f'action="{cancel}"' in page.text

    short = quality.form(cancel, {"reason": "no"}, page=f"/tasks/{task['id']}")
    assert short.status_code == 422
    assert f'id="cancel_{subtask["id"]}_reason-error"' in short.text
    done = quality.form(cancel, {"reason": "Not needed any more."}, page=f"/tasks/{task['id']}")
    assert done.status_code == 303
    page = quality.client.get(f"/tasks/{task['id']}")
    assert 'id="result-form"' in page.text
    assert f'action="{cancel}"' not in page.text
    assert "Cancelled:</strong> Not needed any more." in page.text
    second = api_quality.post(
        f"/tasks/{task['id']}/subtasks", json={"department": "production", "request": "Lot?"}
    ).json()
    manager_page = browser("manager").client.get(f"/tasks/{task['id']}")
    assert manager_page.status_code == 200
    assert f"/subtasks/{second['id']}/cancel" not in manager_page.text  # the rules: quality only
    assert f"/subtasks/{second['id']}/cancel" in quality.client.get(f"/tasks/{task['id']}").text


def _resolved_complaint(base_url: str, mailbox) -> tuple[str, str]:
    sales, quality = Api(base_url, "sales"), Api(base_url, "quality")
    reference = sales.log_complaint()["reference"]
    drain_outbox()
    task = quality.open_task(reference, "quality_assessment")
    assert quality.post(f"/tasks/{task['id']}/complete", json=quality_result()).status_code == 200
    drain_outbox()
    review = sales.open_task(reference, "sales_review")
    done = sales.post(
        f"/tasks/{review['id']}/complete", json={"kind": "sales_review", "approved": True}
    )
    assert done.status_code == 200
    drain_outbox()
    with read_session() as session:
        token = session.exec(select(Complaint).where(Complaint.reference == reference)).one()
    return reference, f"/status/{token.status_token}"


def test_the_customer_refuses_the_resolution_and_the_complaint_reopens(base_url, browser, mailbox):
    reference, link = _resolved_complaint(base_url, mailbox)
    customer = browser()
    page = customer.client.get(link)
    assert "A faulty seal batch caused the leak" in page.text
    assert "Seal material from one supplier batch" not in page.text  # the internal root cause
    no_reason = customer.form(f"{link}/answer", {"decision": "refuse"}, page=link)
    assert no_reason.status_code == 303
    assert "Please tell us in a few words" in customer.client.get(link).text
    refused = customer.form(
        f"{link}/answer", {"decision": "refuse", "comment": "It still leaks."}, page=link
    )
    assert refused.status_code == 303
    assert "we have reopened your complaint" in customer.client.get(link).text
    record = Api(base_url, "sales").record(reference)
    assert record["status"] == "reopened"
    last = record["history"][-1]
    assert (last["actor"], last["action"], last["reason"]) == (
        "customer",
        "reopen",
        "It still leaks.",
    )
    again = customer.form(f"{link}/answer", {"decision": "accept"}, page=link)
    assert again.status_code == 409  # no longer resolved: nothing to accept


def test_a_status_link_is_the_only_key(base_url, browser):
    customer = browser()
    for token in ("A" * 43, "short", "x" * 65, "bad token with spaces"):
        answer = customer.client.get(f"/status/{token}")
        assert answer.status_code in (404, 422), token
        assert "CMP-" not in answer.text


def test_nul_characters_in_the_form_are_refused(browser):
    sales = browser("sales")
    before = complaint_count()
    files = [("attachments", ("photo.png", PNG, "image/png"))]  # multipart, as a browser sends
    answer = sales.form(
        "/complaints/new",
        complaint_form(description="leaks\x00badly"),
        files,
        page="/complaints/new",
    )
    assert answer.status_code == 422
    assert "must not contain NUL characters" in answer.text
    urlencoded = sales.form(
        "/complaints/new", complaint_form(product="P\x00"), page="/complaints/new"
    )
    assert urlencoded.status_code == 422
    assert complaint_count() == before
