"""The contract review's pages over real HTTP: who opens which page (403 and 404 for the
others), the start form's errors shown with the input kept, the forms each reader is shown
(asked of the rules), a department's answer, sales' decision and the general manager's
approval through the forms, the queue's review tasks, and a review task's page redirecting
to its review. (The browser walks a special contract through them in test_review_browser.py.)"""

import html
import re
from datetime import date
from typing import Any

import pytest

from tests.support import drain_outbox
from tests.test_contract_review import FIVE, answer, start, task_of
from tests.test_web_pages import PDF, Browser, browser  # noqa: F401 - the module's fixture

Pages = Any  # the `browser` fixture: opens a Browser signed in as a user

REGULAR = {"special_criteria": [], "value": "50000"}


def start_form(**overrides: str | list[str]) -> dict[str, Any]:
    form: dict[str, Any] = {
        "kind": "contract",
        "channel": "email",
        "title": "Supply of 6,000 P-200 pumps",
        "order_reference": "BO-FA-2027",
        "value": "1250000.00",
        "currency": "CNY",
        "quantity": "6000",
        "requested_delivery": "2027-03-01",
        "requirements": "P-200 to drawing 4711 rev C; 500 pumps a quarter.",
        "special_criteria": ["exceeds_capacity"],
        "departments": FIVE,
        "customer_name": "Ines Ortega",
        "customer_company": "Bombas Ortega SL",
        "customer_email": "ines@ortega.example",
    }
    return form | overrides


def read(reader: Browser, path: str) -> str:
    """The page's text as a person reads it (entities such as &#39; unescaped)."""
    response = reader.client.get(path)
    assert response.status_code == 200, response.text[:2000]
    return html.unescape(response.text)


def reference_of(response: Any) -> str:
    match = re.fullmatch(r"/reviews/(CR-\d{4}-\d+)", response.headers["location"])
    assert match, response.headers.get("location")
    return match.group(1)


def all_answer(as_user: Any, reference: str, departments: list[str]) -> None:
    sales = as_user("sales")
    for department in departments:
        task = task_of(sales, reference, department)
        done = answer(as_user(department), task["id"], department)
        assert done.status_code == 200, done.text
    drain_outbox()


def yes_to_all(task: dict[str, Any]) -> dict[str, str]:
    return {f"answer_q_{key}": "yes" for key in task["questions"]}


def test_each_review_page_opens_for_its_roles_only(browser: Pages):  # noqa: F811
    sales, quality, gm = browser("sales"), browser("quality"), browser("gm")
    assert sales.client.get("/reviews/new").status_code == 200
    refused = quality.client.get("/reviews/new")
    assert refused.status_code == 403
    assert "Not for your role" in refused.text
    for reader in (sales, quality, gm):
        page = reader.client.get("/reviews")
        assert page.status_code == 200
        assert ('href="/reviews/new"' in page.text) is (reader is sales)
        assert 'href="/reviews"' in page.text  # the nav link, for all staff
    assert gm.client.get("/reviews/approvals").status_code == 200
    assert 'href="/reviews/approvals"' in read(gm, "/reviews")
    assert 'href="/reviews/approvals"' not in read(sales, "/reviews")
    assert sales.client.get("/reviews/approvals").status_code == 403
    missing = sales.client.get("/reviews/CR-2026-999999")
    assert missing.status_code == 404
    assert "no contract review CR-2026-999999" in missing.text
    assert sales.client.get("/reviews?status=nonsense").status_code == 422
    anonymous = browser().client.get("/reviews")
    assert anonymous.headers["location"] == "/login?next=/reviews"


def test_the_start_form_shows_each_error_with_the_input_kept(browser: Pages):  # noqa: F811
    sales = browser("sales")
    empty = sales.form("/reviews/new", start_form(title="", requirements=""))
    assert empty.status_code == 422
    assert "fill this in" in empty.text
    assert 'value="Ines Ortega"' in empty.text  # what was typed stays
    assert 'value="exceeds_capacity" checked' in empty.text

    left_out = sales.form("/reviews/new", start_form(departments=["sales", "production"]))
    assert left_out.status_code == 422
    assert "only a regular order may leave departments out" in left_out.text
    assert 'value="Supply of 6,000 P-200 pumps"' in left_out.text
    assert 'value="quality" checked' not in left_out.text  # the choice stays as made

    unknown = sales.form("/reviews/new", start_form(currency="XYZ"))
    assert unknown.status_code == 422
    assert "no exchange rate" in unknown.text
    none_asked = sales.form("/reviews/new", start_form(departments=[]))
    assert "choose the departments that review it" in none_asked.text

    key = re.search(
        r'name="idempotency_key" value="([^"]+)"', sales.client.get("/reviews/new").text
    )
    assert key
    started = sales.form("/reviews/new", start_form(idempotency_key=key.group(1)))
    assert started.status_code == 303, started.text[:2000]
    reference = reference_of(started)
    twice = sales.form("/reviews/new", start_form(idempotency_key=key.group(1)))
    assert reference_of(twice) == reference  # a double submit starts nothing new
    page = read(sales, f"/reviews/{reference}")
    assert f"Started {reference}" in page
    assert "exceeds capacity, high value" in page
    assert "in review" in page
    listed = read(sales, "/reviews?status=open")
    assert reference in listed
    assert "Bombas Ortega SL" in listed
    assert reference not in read(sales, "/reviews?status=accepted")


def test_a_department_claims_and_answers_its_part_on_the_review_page(
    browser: Pages,  # noqa: F811
    as_user,
):
    reference = start(as_user("sales"), **REGULAR)["reference"]
    other = start(as_user("sales"), **REGULAR)["reference"]
    drain_outbox()
    task = task_of(as_user("quality"), reference, "quality")
    quality, technical = browser("quality"), browser("technical")

    queue = read(quality, "/queue")
    assert "Contract reviews to answer" in queue
    assert f'href="/reviews/{reference}"' in queue
    opened = quality.client.get(f"/tasks/{task['id']}")
    assert opened.status_code == 303
    assert opened.headers["location"] == f"/reviews/{reference}"

    page = read(quality, f"/reviews/{reference}")
    assert "Quality's review" in page
    assert "Claim quality's review" in page
    assert 'id="answer-form"' in page
    assert "Is the customer able to pay" not in page  # sales' own questions
    theirs = read(technical, f"/reviews/{reference}")
    assert "Technical's review" in theirs  # each department its own task's form only
    assert "Quality's review" not in theirs
    assert 'id="accept-form"' not in theirs

    path = f"/reviews/{reference}/tasks/{task['id']}"
    claimed = quality.form(f"{path}/claim", {}, page=f"/reviews/{reference}")
    assert claimed.status_code == 303
    page = read(quality, f"/reviews/{reference}")
    assert "is yours now" in page
    assert "claimed by quality" in page
    assert "Claim quality's review" not in page

    unanswered = quality.form(
        f"{path}/answer", {"answer_verdict": "can_meet"}, page=f"/reviews/{reference}"
    )
    assert unanswered.status_code == 422
    assert "answer every question yes or no" in unanswered.text
    no_without_condition = quality.form(
        f"{path}/answer",
        {**yes_to_all(task), "answer_q_on_time": "no", "answer_verdict": "can_meet"},
        page=f"/reviews/{reference}",
    )
    assert no_without_condition.status_code == 422
    assert "that is a condition or a cannot meet" in no_without_condition.text
    assert 'value="no" checked' in no_without_condition.text

    stranger = technical.form(
        f"{path}/answer",
        {**yes_to_all(task), "answer_verdict": "can_meet"},
        page=f"/reviews/{reference}",
    )
    assert stranger.status_code == 403
    wrong_review = quality.form(
        f"/reviews/{other}/tasks/{task['id']}/answer",
        {**yes_to_all(task), "answer_verdict": "can_meet"},
        page=f"/reviews/{other}",
    )
    assert wrong_review.status_code == 404

    answered = quality.form(
        f"{path}/answer",
        {
            **yes_to_all(task),
            "answer_q_on_time": "no",
            "answer_verdict": "can_meet_with_conditions",
            "answer_conditions": "Test rig booked from April.",
        },
        page=f"/reviews/{reference}",
    )
    assert answered.status_code == 303
    page = read(quality, f"/reviews/{reference}")
    assert "Quality's answer is recorded." in page
    assert "Test rig booked from April." in page
    assert 'id="answer-form"' not in page
    assert f'href="/reviews/{reference}"' not in read(quality, "/queue")


def test_a_question_to_the_customer_and_its_answer_through_the_forms(
    browser: Pages,  # noqa: F811
    as_user,
):
    reference = start(as_user("sales"), **REGULAR)["reference"]
    drain_outbox()
    technical, sales = browser("technical"), browser("sales")
    review_path = f"/reviews/{reference}"
    blank = technical.form(f"{review_path}/questions", {"question_question": " "}, page=review_path)
    assert blank.status_code == 422
    assert "fill this in" in blank.text
    asked = technical.form(
        f"{review_path}/questions",
        {"question_question": "Which seal material does the drawing call for?"},
        page=review_path,
    )
    assert asked.status_code == 303
    page = read(technical, review_path)
    assert "waiting on customer" in page
    assert "Not now: the review waits for the customer" in page
    assert 'id="customer-answer-form"' not in page  # sales record the answer

    page = read(sales, review_path)
    assert 'id="customer-answer-form"' in page
    recorded = sales.form(
        f"{review_path}/customer-answer", {"customer_answer": "FKM."}, page=review_path
    )
    assert recorded.status_code == 303
    assert "in review" in read(sales, review_path)


def test_sales_decide_a_regular_review_through_the_forms(browser: Pages, as_user):  # noqa: F811
    reference = start(
        as_user("sales"), kind="order", channel="phone", value="25000", special_criteria=[]
    )["reference"]
    drain_outbox()
    all_answer(as_user, reference, FIVE)
    sales, quality, gm = browser("sales"), browser("quality"), browser("gm")
    review_path = f"/reviews/{reference}"

    page = read(sales, review_path)
    for form in ("decline-form", "renegotiate-form", "withdraw-form", "confirmation-form"):
        assert f'id="{form}"' in page, form
    assert 'id="meeting-form"' not in page
    assert 'id="approve-form"' not in page
    assert 'id="accept-form"' not in page  # the phone order's confirmation comes first
    for reader in (quality, gm):
        assert 'id="decline-form"' not in read(reader, review_path)

    no_reason = sales.form(f"{review_path}/decision", {"decision": "decline"}, page=review_path)
    assert no_reason.status_code == 422
    assert "say why, for the record and the customer" in no_reason.text
    refused = gm.form(f"{review_path}/decision", {"decision": "accept"}, page=review_path)
    assert refused.status_code == 403
    early = sales.form(f"{review_path}/decision", {"decision": "accept"}, page=review_path)
    assert early.status_code == 303
    assert "record the order confirmation first" in read(sales, review_path)

    bad_date = sales.form(
        f"{review_path}/confirmation",
        {
            "confirmation_confirmed_with": "Ines Ortega",
            "confirmation_confirmed_on": "yesterday",
            "confirmation_summary": "200 pumps, drawing 4711 rev C.",
        },
        page=review_path,
    )
    assert bad_date.status_code == 422
    assert "a date, for example" in bad_date.text
    assert 'value="Ines Ortega"' in bad_date.text
    confirmed = sales.form(
        f"{review_path}/confirmation",
        {
            "confirmation_confirmed_with": "Ines Ortega",
            "confirmation_confirmed_on": date.today().isoformat(),
            "confirmation_summary": "200 pumps, drawing 4711 rev C.",
        },
        page=review_path,
    )
    assert confirmed.status_code == 303
    page = read(sales, review_path)
    assert 'id="accept-form"' in page
    for link in ("review-form-link", "confirmation-link"):
        path = re.search(rf'id="{link}"[^>]*href="([^"]+)"', page)
        assert path, link
        pdf = quality.client.get(path.group(1))
        assert pdf.status_code == 200, pdf.text[:500]
        assert pdf.content.startswith(b"%PDF")

    accepted = sales.form(f"{review_path}/decision", {"decision": "accept"}, page=review_path)
    assert accepted.status_code == 303
    page = read(sales, review_path)
    assert re.search(r'id="contract-reference"><a href="/contracts/\d+"><strong>CT-', page)
    assert 'id="review-status">accepted<' in page
    assert 'id="decline-form"' not in page
    assert 'id="withdraw-form"' not in page


def test_a_special_review_meets_and_waits_for_the_general_manager(
    browser: Pages,  # noqa: F811
    as_user,
):
    reference = start(as_user("sales"))["reference"]
    drain_outbox()
    all_answer(as_user, reference, FIVE)
    sales, gm = browser("sales"), browser("gm")
    review_path = f"/reviews/{reference}"
    page = read(sales, review_path)
    assert 'id="meeting-form"' in page
    assert 'id="accept-form"' not in page

    one = sales.form(
        f"{review_path}/meeting",
        {
            "meeting_held_on": date.today().isoformat(),
            "meeting_attendees": "Sam Sales",
            "meeting_minutes": "Capacity confirmed.",
        },
        page=review_path,
    )
    assert one.status_code == 422
    assert "name at least two attendees" in one.text
    assert "Capacity confirmed." in one.text
    met = sales.form(
        f"{review_path}/meeting",
        {
            "meeting_held_on": date.today().isoformat(),
            "meeting_attendees": "Sam Sales\nGrace General-Manager",
            "meeting_minutes": "Capacity confirmed.",
        },
        page=review_path,
    )
    assert met.status_code == 303
    drain_outbox()

    approvals = read(gm, "/reviews/approvals")
    assert reference in approvals
    assert date.today().isoformat() in approvals
    assert f'aria-label="Approve {reference}"' in approvals
    assert 'id="approve-form"' not in read(sales, review_path)
    assert (
        sales.form(f"{review_path}/decision", {"decision": "approve"}, page=review_path).status_code
        == 403
    )

    no_reason = gm.form(
        f"{review_path}/decision",
        {"decision": "reject", "from": "approvals"},
        page="/reviews/approvals",
    )
    assert no_reason.status_code == 422
    assert "say why, for the record and the customer" in no_reason.text
    rejected = gm.form(
        f"{review_path}/decision",
        {"decision": "reject", "from": "approvals", "reject_reason": "Margin too low."},
        page="/reviews/approvals",
    )
    assert rejected.status_code == 303
    assert rejected.headers["location"] == "/reviews/approvals"
    approvals = read(gm, "/reviews/approvals")
    assert f"{reference}: Rejected" in approvals
    assert "Nothing waits for your approval." in approvals
    page = read(gm, review_path)
    assert 'id="review-status">rejected<' in page
    assert "Margin too low." in page


@pytest.mark.parametrize("username", ["manager", "quality"])
def test_the_queue_lists_only_its_departments_review_tasks(browser: Pages, as_user, username):  # noqa: F811
    reference = start(
        as_user("sales"),
        kind="order",
        departments=["sales", "production"],
        reason="Standard pumps from stock.",
        **REGULAR,
    )["reference"]
    drain_outbox()
    queue = read(browser(username), "/queue")
    # The manager's queue spans the departments: production's task is listed with its name.
    assert (f'href="/reviews/{reference}"' in queue) is (username == "manager")


def test_sales_add_the_customers_documents_and_everyone_reads_them(
    browser: Pages,  # noqa: F811
    as_user,
):
    reference = start(as_user("sales"))["reference"]
    sales, quality = browser("sales"), browser("quality")
    review_path = f"/reviews/{reference}"
    assert 'id="documents-form"' not in read(quality, review_path)
    refused = quality.form(
        f"{review_path}/documents",
        {},
        files=[("documents", ("drawing.pdf", PDF, "application/pdf"))],
        page=review_path,
    )
    assert refused.status_code == 403

    empty = sales.form(f"{review_path}/documents", {}, page=review_path)
    assert empty.status_code == 422
    assert "choose at least one file" in empty.text
    wrong = sales.form(
        f"{review_path}/documents",
        {},
        files=[("documents", ("notes.exe", b"MZ" + b"\x00" * 64, "application/octet-stream"))],
        page=review_path,
    )
    assert wrong.status_code == 422
    added = sales.form(
        f"{review_path}/documents",
        {},
        files=[("documents", ("drawing 4711.pdf", PDF, "application/pdf"))],
        page=review_path,
    )
    assert added.status_code == 303, added.text[:500]
    page = read(quality, review_path)
    link = re.search(r'href="(/reviews/[^"]+/documents/\d+)">drawing 4711.pdf<', page)
    assert link, page[:2000]
    document = quality.client.get(link.group(1))
    assert document.status_code == 200
    assert document.content == PDF
    assert document.headers["content-security-policy"] == "sandbox; default-src 'none'"
    listed = as_user("quality").get(f"/reviews/{reference}").json()["documents"]
    assert [d["filename"] for d in listed] == ["drawing 4711.pdf"]


def test_a_review_task_is_handed_on_from_the_review_page(browser: Pages, as_user):  # noqa: F811
    reference = start(as_user("sales"), **REGULAR)["reference"]
    drain_outbox()
    task = task_of(as_user("quality"), reference, "quality")
    review_page = f"/reviews/{reference}"
    quality, manager = browser("quality"), browser("manager")

    assert "Hand on" not in read(quality, review_page)  # open: only a head hands it out
    head = read(manager, review_page)
    assert "Hand on" in head
    assert 'id="assign_user_id"' in head
    assert "Quinn Quality (quality)" in head
    assigned = manager.form(
        f"/tasks/{task['id']}/assign",
        {"user_id": _quality_user_id(), "reason": "Quinn knows the test rig."},
        page=review_page,
    )
    assert assigned.status_code == 303
    assert assigned.headers["location"] == f"/tasks/{task['id']}"  # which opens the review
    page = read(quality, review_page)
    assert "claimed by quality" in page
    assert "Unclaim" in page  # the holder puts it back
    back = quality.form(
        f"/tasks/{task['id']}/unclaim", {"reason": "Away on Monday."}, page=review_page
    )
    assert back.status_code == 303
    assert task_of(as_user("quality"), reference, "quality")["assignee"] is None
    assert "Hand on" not in read(browser("technical"), review_page)  # not their department


def _quality_user_id() -> str:
    from sqlmodel import select

    from models.user import User
    from workflow.db import read_session

    with read_session() as session:
        return str(session.exec(select(User.id).where(User.username == "quality")).one())
