"""A contract review's documents as real PDFs, read back: the Contract (Order) Review Form of a
special contract (renegotiated, a question to the customer, the review meeting, the general
manager's approval) and of a regular phone order, and that order's confirmation. The reviews
go the real way (HTTP, the delivery flow on the Prefect server); the PDFs are read with pypdf
and every part of the record is looked for in their text."""

import io
import re
from datetime import date, datetime
from typing import Any

import httpx
import pytest
from pypdf import PdfReader

from tests.support import Api, drain_outbox
from tests.test_contract_review import FIVE, answer, contract, review, start, task_of
from workflow.calendar import company_calendar
from workflow.config import get_settings
from workflow.documents.render import NONE

CONDITION = "First delivery 2027-04-01: the second line starts in March."
QUALITY_COMMENT = "Test rig booked for week 10."
QUESTION = "Which seal material do you need: NBR or FKM?"
CUSTOMER_ANSWER = "FKM, for the hot-water pumps."
RENEGOTIATED = "Customer agrees to start in April."
MINUTES = "Capacity confirmed with the second line from April."
APPROVED = "Capacity and margin confirmed in the meeting."
SUMMARY = "200 P-200 pumps, drawing 4711 rev C, delivery 2027-03-01, CNY 25,000."
LEFT_OUT = "Standard pumps from stock: quality, technical and procurement have nothing to review."


def read_pdf(pdf: bytes) -> tuple[PdfReader, str]:
    reader = PdfReader(io.BytesIO(pdf))
    return reader, "\n".join(page.extract_text() for page in reader.pages)


def flat(words: str) -> str:
    return re.sub(r"\s+", " ", words)


def squeezed(words: str) -> str:
    """Without any white space: table cells wrap their text where the column ends."""
    return re.sub(r"\s+", "", words)


def local(moment: str) -> str:
    zone = company_calendar().zone
    return datetime.fromisoformat(moment).astimezone(zone).strftime("%Y-%m-%d %H:%M %Z")


def pdf_of(user: Api, path: str) -> tuple[PdfReader, str]:
    got = user.get(path)
    assert got.status_code == 200, got.text
    assert got.headers["content-type"] == "application/pdf"
    assert got.headers["cache-control"] == "no-store"
    return read_pdf(got.content)


def _answer_round_one(as_user: Any, reference: str) -> None:
    """Quality asks the customer first; then four can meet it, production with a condition."""
    sales, quality = as_user("sales"), as_user("quality")
    asked = quality.post(f"/reviews/{reference}/questions", json={"question": QUESTION})
    assert asked.status_code == 200, asked.text
    told = sales.post(f"/reviews/{reference}/customer-answer", json={"answer": CUSTOMER_ANSWER})
    assert told.status_code == 200, told.text
    for department in ("sales", "quality", "technical", "procurement"):
        task = task_of(sales, reference, department)
        extra = {"comments": QUALITY_COMMENT} if department == "quality" else {}
        done = answer(as_user(department), task["id"], department, **extra)
        assert done.status_code == 200, done.text
    task = task_of(sales, reference, "production")
    conditional = answer(
        as_user("production"),
        task["id"],
        "production",
        "can_meet_with_conditions",
        noes={"on_time": False},
        conditions=CONDITION,
    )
    assert conditional.status_code == 200, conditional.text
    drain_outbox()


@pytest.fixture
def approved(as_user: Any) -> dict[str, Any]:
    """A special contract: round 1 with a question to the customer and a condition,
    renegotiated, production's second answer, the meeting, the general manager's approval."""
    sales, gm = as_user("sales"), as_user("gm")
    reference = start(sales)["reference"]
    drain_outbox()
    _answer_round_one(as_user, reference)
    renegotiated = sales.post(
        f"/reviews/{reference}/decision", json={"decision": "renegotiate", "reason": RENEGOTIATED}
    )
    assert renegotiated.status_code == 200, renegotiated.text
    drain_outbox()
    second = task_of(sales, reference, "production")
    assert answer(as_user("production"), second["id"], "production").status_code == 200
    drain_outbox()
    met = sales.post(
        f"/reviews/{reference}/meeting",
        json={
            "held_on": date.today().isoformat(),
            "attendees": ["Sam Sales", "Pat Production", "Grace General-Manager"],
            "minutes": MINUTES,
        },
    )
    assert met.status_code == 200, met.text
    decided = gm.post(
        f"/reviews/{reference}/decision", json={"decision": "approve", "reason": APPROVED}
    )
    assert decided.status_code == 200, decided.text
    drain_outbox()
    return review(sales, reference)


def test_the_review_form_of_a_special_contract_holds_the_whole_review(approved, as_user):
    reference = approved["reference"]
    got = as_user("technical").get(f"/reviews/{reference}/form.pdf")
    assert got.status_code == 200, got.text
    assert f"{reference}-form.pdf" in got.headers["content-disposition"]
    reader, words = read_pdf(got.content)
    text, tight = flat(words), squeezed(words)

    # The terms as sales entered them.
    terms = contract()
    for value in (
        "Contract review form",
        reference,
        terms["title"],
        "Ines Ortega, Bombas Ortega SL",
        "Customer's reference BO-FA-2027",
        "Value CNY 1,250,000.00",
        "Quantity 6000",
        "Requested delivery 2027-03-01",
        terms["requirements"],
        f"Started {local(approved['created_at'])} by Sam Sales (sales)",
    ):
        assert value in text, value
    # Special, and why: sales' flag and the value over the policy's threshold.
    assert "Special: reviewed in a review meeting and decided by the general manager" in text
    assert (
        squeezed(
            "exceeds capacity the quantity or the schedule exceeds the company's capacity "
            "flagged by sales"
        )
        in tight
    )
    assert (
        squeezed(
            "high value the value is at or above the review policy's threshold "
            "(CNY 1,000,000.00 now) computed"
        )
        in tight
    )
    # Each round: every department's verdict, conditions, comments, who and when.
    assert "Round 1" in text
    assert "Round 2" in text
    renegotiated = r"Renegotiated \d{4}-\d\d-\d\d \d\d:\d\d \w+ by Sam Sales \(sales\): "
    assert re.search(renegotiated + re.escape(RENEGOTIATED), text)
    answers = {(a["round"], a["department"]): a for a in approved["answers"]}
    assert len(answers) == 6
    for (_, department), given in answers.items():
        assert squeezed(f"{local(given['answered_at'])} by") in tight, department
    assert squeezed(f"production can meet with conditions {CONDITION} {NONE}") in tight
    assert squeezed(f"quality can meet {NONE} {QUALITY_COMMENT}") in tight
    # The answers to each question: round 1's matrix has production's no, round 2 its yes.
    on_time = squeezed("Can the company complete it in the agreed time?")
    assert f"{on_time}yesyesyesyesno" in tight
    assert f"{on_time}yes" in tight.split("Round2", 1)[1]
    assert squeezed(f"Is the margin acceptable? yes {NONE * 4}") in tight
    # The question to the customer and the answer sales recorded.
    assert squeezed(f"Quinn Quality (quality) question to the customer {QUESTION}") in tight
    assert squeezed(f"Sam Sales (sales) customer's answer {CUSTOMER_ANSWER}") in tight
    # The meeting, the decision with who, when and why, the contract.
    (meeting,) = approved["meetings"]
    assert f"Held on {meeting['held_on']}" in text
    assert "Attendees Sam Sales, Pat Production, Grace General-Manager" in text
    assert f"Minutes {MINUTES}" in text
    assert f"Recorded {local(meeting['recorded_at'])} by Sam Sales (sales)" in text
    assert "Decision accepted" in text
    assert "Decided by Grace General-Manager (gm)" in text
    assert f"Decided {local(approved['decided_at'])}" in text
    assert f"Why {APPROVED}" in text
    assert "Customer told accepted" in text
    contract_reference = approved["contract_reference"]
    assert contract_reference.startswith("CT-")
    assert f"Entered in the contract ledger as {contract_reference}, version 1." in text
    assert "Order confirmation Not needed" in text
    # Generated at and by, page N of M.
    pages = len(reader.pages)
    assert "by technical" in text
    assert f"page 1 of {pages}" in text
    assert f"page {pages} of {pages}" in text


def _phone_order(as_user: Any) -> str:
    """A regular phone order reviewed by sales and production only: confirmation needed."""
    sales = as_user("sales")
    started = start(
        sales,
        kind="order",
        value="25000",
        special_criteria=[],
        channel="phone",
        departments=["sales", "production"],
        reason=LEFT_OUT,
    )
    assert (started["special"], started["confirmation_needed"]) == (False, True)
    drain_outbox()
    for department in ("sales", "production"):
        task = task_of(sales, started["reference"], department)
        assert answer(as_user(department), task["id"], department).status_code == 200
    drain_outbox()
    return started["reference"]


def _confirm(sales: Api, reference: str) -> dict[str, Any]:
    confirmed = sales.post(
        f"/reviews/{reference}/confirmation",
        json={
            "confirmed_with": "Ines Ortega",
            "confirmed_on": date.today().isoformat(),
            "summary": SUMMARY,
        },
    )
    assert confirmed.status_code == 200, confirmed.text
    return confirmed.json()


def test_a_phone_orders_confirmation_prints_what_was_confirmed_with_whom_and_when(as_user):
    sales = as_user("sales")
    reference = _phone_order(as_user)
    missing = sales.get(f"/reviews/{reference}/confirmation.pdf")
    assert missing.status_code == 409, missing.text
    assert "has no order confirmation recorded yet" in missing.json()["detail"]
    _, before = pdf_of(sales, f"/reviews/{reference}/form.pdf")
    assert "Needed, not recorded yet." in flat(before)
    assert "Not decided yet: the review is with sales." in flat(before)

    confirmed = _confirm(sales, reference)
    got = as_user("production").get(f"/reviews/{reference}/confirmation.pdf")
    assert got.status_code == 200, got.text
    assert f"{reference}-confirmation.pdf" in got.headers["content-disposition"]
    reader, words = read_pdf(got.content)
    text = flat(words)
    for value in (
        "Order confirmation",
        f"Supplier {get_settings().company_name}",
        "Customer Ines Ortega, Bombas Ortega SL",
        f"Our reference {reference}",
        "Your reference BO-FA-2027",
        f"Order received by phone, {local(confirmed['created_at'])[:10]}",
        "Confirmed with Ines Ortega",
        f"Confirmed on {date.today().isoformat()}",
        f"Requirements as confirmed {SUMMARY}",
        f"Confirmed by Sam Sales (sales), recorded {local(confirmed['confirmed_at'])}",
        "Quantity 6000",
        "Value CNY 25,000.00",
        contract()["requirements"],
        "by production",
        f"page 1 of {len(reader.pages)}",
    ):
        assert value in text, value


def test_the_review_form_of_a_regular_phone_order_names_sales_decision(as_user):
    sales = as_user("sales")
    reference = _phone_order(as_user)
    _confirm(sales, reference)
    accepted = sales.post(f"/reviews/{reference}/decision", json={"decision": "accept"})
    assert accepted.status_code == 200, accepted.text
    decided = accepted.json()
    text = flat(pdf_of(as_user("gm"), f"/reviews/{reference}/form.pdf")[1])
    for value in (
        "Order review form",
        "Regular: none of the special criteria applies; sales decide.",
        "Departments asked sales, production",
        f"Why not all five {LEFT_OUT}",
        "Review meeting None: a regular review is decided by sales.",
        "Confirmed with Ines Ortega",
        f"As confirmed back {SUMMARY}",
        "Decided by Sam Sales (sales)",
        f"Decided {local(decided['decided_at'])}",
        f"Why {NONE}",
        f"Entered in the contract ledger as {decided['contract_reference']}, version 1.",
    ):
        assert value in text, value
    assert "Questions to the customer None." in text


def test_a_contract_needs_no_order_confirmation_and_says_so(as_user):
    sales = as_user("sales")
    reference = start(sales)["reference"]
    refused = sales.get(f"/reviews/{reference}/confirmation.pdf")
    assert refused.status_code == 409, refused.text
    assert refused.json()["detail"] == (
        f"{reference} needs no order confirmation: only a phone, oral or fax order at or "
        "above the review policy's value is confirmed back in writing"
    )
    # Started and nothing answered yet: the form says who still has to.
    drain_outbox()
    text = flat(pdf_of(sales, f"/reviews/{reference}/form.pdf")[1])
    assert text.count("not answered (task open)") == len(FIVE)
    assert "None entered in the contract ledger." in text


def test_review_documents_are_for_signed_in_staff_and_known_reviews(as_user, base_url):
    sales = as_user("sales")
    for path in ("form.pdf", "confirmation.pdf"):
        unknown = sales.get(f"/reviews/CR-2026-999999/{path}")
        assert unknown.status_code == 404, unknown.text
        assert "CR-2026-999999" in unknown.json()["detail"]
    reference = start(sales)["reference"]
    anonymous = httpx.get(f"{base_url}/api/v1/reviews/{reference}/form.pdf")
    assert anonymous.status_code == 401


PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def test_sales_add_the_customers_documents_through_the_api_and_anyone_reads_them(as_user):
    sales, quality = as_user("sales"), as_user("quality")
    reference = start(sales, special_criteria=[], value="50000")["reference"]
    path = f"/reviews/{reference}/documents"

    def upload(user: Api, filename: str, content: bytes) -> httpx.Response:
        return user.post(path, params={"filename": filename}, content=content)

    added = upload(sales, "drawing 4711 rev C.pdf", PDF)
    assert added.status_code == 201, added.text
    (document,) = added.json()["documents"]
    assert (document["filename"], document["content_type"]) == (
        "drawing 4711 rev C.pdf",
        "application/pdf",  # told by its bytes
    )
    read = quality.get(f"{path}/{document['id']}")
    assert read.status_code == 200, read.text
    assert read.content == PDF
    assert read.headers["Content-Security-Policy"] == "sandbox; default-src 'none'"
    assert quality.get(f"{path}/999999").status_code == 404

    refused = upload(sales, "setup.exe", b"MZ\x90\x00")
    assert refused.status_code == 422, refused.text
    assert "setup.exe is not a photo (JPEG, PNG, WebP, HEIC) or a PDF" in refused.text
    empty = upload(sales, "empty.pdf", b"")
    assert empty.status_code == 422, empty.text
    assert "empty.pdf is empty" in empty.text
    assert sales.post(path, content=PDF).status_code == 422  # no filename
    assert upload(quality, "x.pdf", PDF).status_code == 403
    assert len(review(sales, reference)["documents"]) == 1

    withdrawn = sales.post(
        f"/reviews/{reference}/decision", json={"decision": "withdraw", "reason": "Cancelled."}
    )
    assert withdrawn.status_code == 200, withdrawn.text
    closed = upload(sales, "late.pdf", PDF)
    assert closed.status_code == 409, closed.text
    assert "its documents are closed" in closed.text
