"""A customer's personal data erased on request: no trace left in any table (nor, on SQLite,
in the database file), the history chain still verifies, the record and its figures stay.

The customer's data reaches every place it is kept the way it does in use: logged through
the API, acknowledged by mail through the real SMTP server, a reply mail threaded into the
complaint, quality's decision, sales' approval, the resolution mailed, and the customer's
comment on accepting it."""

import csv
import io
import json
from pathlib import Path
from typing import Any

from pypdf import PdfReader
from sqlalchemy import text
from sqlmodel import SQLModel, select

import models  # noqa: F401  (every table registered)
from models.complaint import Complaint
from models.notification import NoticeKind, Notification
from models.personal import PersonalValue
from tests.support import Api, complaint_payload, drain_outbox, quality_result
from tests.test_mail_intake import mail
from tests.test_satisfaction import rate
from tests.test_web_pages import browser  # noqa: F401  (the signed-in page client)
from workflow import db
from workflow.config import get_settings
from workflow.mail_intake import take_mail

NAME = "Zebedee Quixotic-Marlowe"
COMPANY = "Quixoticorp Hydraulics"
EMAIL = "zebedee.q@quixoticorp.example"
PHONE = "+49 30 99887766"
ADDRESS = "Hafenstraße 77, Bremerhaven"
DESCRIPTION = "The gasket Zebedee fitted on Tuesday cracked within an hour at 6 bar."
REPLY = "Photographs follow tomorrow, Zebedee from the Bremerhaven yard."
COMMENT = "Accepted, the replacement gaskets from Quixoticorp order arrived."
RATING = "Slow answers, Zebedee had to chase twice."
PERSONAL = (NAME, COMPANY, EMAIL, PHONE, ADDRESS, DESCRIPTION, REPLY, COMMENT, RATING, "Zebedee")
REASON = "The customer asked to be forgotten by letter of 2026-11-28."


def _customer_payload() -> dict[str, Any]:
    return complaint_payload(
        description=DESCRIPTION,
        customer={
            "name": NAME,
            "company": COMPANY,
            "email": EMAIL,
            "phone": PHONE,
            "address": ADDRESS,
        },
    )


def _reply_to_acknowledgement(reference: str) -> None:
    with db.read_session() as session:
        acknowledgement = session.exec(
            select(Notification).where(
                Notification.kind == NoticeKind.acknowledgement, Notification.recipient == EMAIL
            )
        ).one()
    assert acknowledgement.message_id
    raw = mail(
        REPLY,
        sender=f"{NAME} <{EMAIL}>",
        subject=f"Re: {reference}",
        In_Reply_To=acknowledgement.message_id,
    )
    assert take_mail(raw) == "reply"


def _closed_with_comment(sales: Api, quality: Api, reference: str) -> None:
    task = quality.open_task(reference, "quality_assessment")
    done = quality.post(f"/tasks/{task['id']}/complete", json=quality_result())
    assert done.status_code == 200, done.text
    drain_outbox()
    review = sales.open_task(reference, "sales_review")
    approved = sales.post(
        f"/tasks/{review['id']}/complete", json={"kind": "sales_review", "approved": True}
    )
    assert approved.status_code == 200, approved.text
    drain_outbox()
    accepted = sales.post(
        f"/complaints/{reference}/customer-response", json={"accepted": True, "comment": COMMENT}
    )
    assert accepted.status_code == 200, accepted.text
    drain_outbox()


def _every_row_as_text() -> str:
    """Every row of every table, as the database gives it back: a dump in SQL."""
    parts = []
    with db.read_session() as session:
        for table in SQLModel.metadata.sorted_tables:
            for row in session.execute(text(f'SELECT * FROM "{table.name}"')):  # noqa: S608
                parts.append(repr(tuple(row)))
    return "\n".join(parts)


def _forms(value: str) -> list[str]:
    """How a value can sit in a column: as it is, or escaped inside JSON."""
    return [value, json.dumps(value)[1:-1]]


def _found_in(haystack: str) -> list[str]:
    return [v for v in PERSONAL for form in _forms(v) if form in haystack]


def _database_files() -> list[Path]:
    url = get_settings().sqlalchemy_url
    if not db.is_sqlite(url):
        return []
    path = Path(url.split("///", 1)[1])
    return [p for p in (path, Path(f"{path}-wal")) if p.exists()]


def _found_in_files() -> list[str]:
    found = []
    for path in _database_files():
        data = path.read_bytes()
        found += [
            f"{path.name}:{v}" for v in PERSONAL for form in _forms(v) if form.encode() in data
        ]
    return found


def _logged_and_closed(base_url: str) -> tuple[str, int]:
    sales, quality = Api(base_url, "sales"), Api(base_url, "quality")
    created = sales.post("/complaints", json=_customer_payload())
    assert created.status_code == 201, created.text
    reference = created.json()["reference"]
    drain_outbox()
    _reply_to_acknowledgement(reference)
    noted = quality.post(
        f"/complaints/{reference}/comments",
        json={"body": f"@technical {NAME} of {COMPANY} says it cracked at 6 bar; call {PHONE}."},
    )
    assert noted.status_code == 201, noted.text
    _closed_with_comment(sales, quality, reference)
    status, _ = rate(base_url, reference, score="2", solved="yes", comment=RATING)
    assert status == 303
    drain_outbox()  # the low score is told to the quality managers, with the comment
    return reference, sales.record(reference)["customer"]["id"]


def test_erasure_leaves_no_trace_of_the_customer_and_the_chain_still_verifies(base_url, browser):  # noqa: F811
    reference, customer_id = _logged_and_closed(base_url)
    admin, sales = Api(base_url, "admin"), Api(base_url, "sales")
    before = sales.record(reference)
    page = browser("quality").client.get(f"/complaints/{reference}").text
    assert "(customer)" in page.split('id="conversation"')[1]
    assert REPLY in page
    assert set(_found_in(_every_row_as_text())) >= {
        NAME,
        EMAIL,
        DESCRIPTION,
        REPLY,
        COMMENT,
        RATING,
    }
    history_before = [(h["seq"], h["action"], h["hash"]) for h in before["history"]]
    [message] = before["customer_messages"]
    assert (message["sender"], message["body"]) == (EMAIL, REPLY)

    erased = admin.post(f"/customers/{customer_id}/erase", json={"reason": REASON})
    assert erased.status_code == 200, erased.text
    assert erased.json()["complaints"] == [reference]
    assert erased.json()["values_erased"] >= 4
    assert erased.json()["entries_before_erasure_support"] == 0

    assert _found_in(_every_row_as_text()) == []
    assert erased.json()["write_ahead_log_cleared"] is True
    assert _found_in_files() == []
    verified = admin.get("/admin/history/verify")
    assert verified.status_code == 200, verified.text
    assert verified.json()["problems"] == []

    after = sales.record(reference)
    assert after["customer"]["name"] == "[erased]"
    assert after["customer"]["email"] is None
    assert after["customer"]["erased_at"]
    assert after["description"] == "[erased]"
    assert [m["body"] for m in after["customer_messages"]] == ["[erased]"]
    page = browser("quality").client.get(f"/complaints/{reference}").text
    assert "personal data erased on" in page
    assert not [v for v in PERSONAL if v in page]
    kept = [(h["seq"], h["action"], h["hash"]) for h in after["history"]]
    assert kept[: len(history_before)] == history_before  # not one sealed entry rewritten
    logged = after["history"][0]
    assert logged["changes"]["description"] == "[erased]"
    assert logged["changes"]["lot_number"] == "L-2026-114"  # what is not personal stays
    accepted = next(h for h in after["history"] if h["action"] == "record_acceptance")
    assert accepted["reason"] == "[erased]"
    erasure = after["history"][-1]
    assert (erasure["action"], erasure["actor"], erasure["reason"]) == (
        "personal_data_erased",
        "admin",
        REASON,
    )
    assert (after["status"], after["kind"], after["severity"]) == (
        before["status"],
        before["kind"],
        before["severity"],
    )
    assert after["closed_at"] == before["closed_at"]

    dossier = admin.get(f"/complaints/{reference}/dossier.pdf")
    assert dossier.status_code == 200
    pages = " ".join(
        p.extract_text() for p in PdfReader(io.BytesIO(dossier.content)).pages
    ).replace("\n", " ")
    assert "Personal data erased on" in pages
    assert "Verified: all" in pages
    assert not [v for v in PERSONAL if v in pages]

    register = admin.get("/register", params={"format": "csv"})
    assert register.status_code == 200, register.text
    [row] = [r for r in csv.DictReader(io.StringIO(register.text)) if reference in r.values()]
    assert "[erased]" in row.values()
    assert before["status"] in row.values()


def test_erasure_waits_for_open_complaints_and_is_refused_in_words(base_url):
    sales, admin = Api(base_url, "sales"), Api(base_url, "admin")
    created = sales.post("/complaints", json=_customer_payload())
    assert created.status_code == 201, created.text
    reference = created.json()["reference"]
    customer_id = sales.record(reference)["customer"]["id"]
    path = f"/customers/{customer_id}/erase"

    open_one = admin.post(path, json={"reason": REASON})
    assert open_one.status_code == 409
    assert reference in open_one.json()["detail"]
    assert "close or withdraw it first" in open_one.json()["detail"]
    assert sales.post(path, json={"reason": REASON}).status_code == 403
    assert admin.post(path, json={"reason": "short"}).status_code == 422
    assert admin.post("/customers/999999/erase", json={"reason": REASON}).status_code == 404
    assert sales.record(reference)["customer"]["name"] == NAME  # nothing half-done

    withdrawn = sales.post(f"/complaints/{reference}/withdraw", json={"reason": "Logged twice."})
    assert withdrawn.status_code == 200, withdrawn.text
    assert admin.post(path, json={"reason": REASON}).status_code == 200
    again = admin.post(path, json={"reason": REASON})
    assert again.status_code == 409
    assert "already erased" in again.json()["detail"]


def test_a_personal_value_changed_behind_the_history_is_caught_by_verification(base_url):
    sales, admin = Api(base_url, "sales"), Api(base_url, "admin")
    reference = sales.post("/complaints", json=_customer_payload()).json()["reference"]
    assert admin.get("/admin/history/verify").json()["problems"] == []
    with db.write_session() as session:
        complaint = session.exec(select(Complaint).where(Complaint.reference == reference)).one()
        value = session.exec(
            select(PersonalValue).where(
                PersonalValue.case_id == complaint.id, PersonalValue.field == "description"
            )
        ).one()
        value.value = "A milder description than the customer wrote."
        session.add(value)
        session.commit()
    problems = admin.get("/admin/history/verify").json()["problems"]
    assert [p["kind"] for p in problems] == ["altered_personal_value"]
    assert reference in problems[0]["references"]
    dossier = admin.get(f"/complaints/{reference}/dossier.pdf")
    text_of_pdf = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(dossier.content)).pages)
    assert "NOT VERIFIED" in text_of_pdf
