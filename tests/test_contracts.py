"""The contract ledger over HTTP, on the real delivery flow: a contract accepted through the
review API, deliveries against it and its figures worked out by hand, a change re-reviewed by
the departments it concerns, a complaint linked by its order reference, the role checks and
refusals, and the ledger's pages."""

import re
from datetime import date, timedelta
from typing import Any

import pytest
from sqlmodel import col, select

from models.complaint import Complaint
from models.history import HistoryEntry
from models.review import Review
from tests.support import Api, complaint_payload, drain_outbox
from tests.test_contract_review import FIVE, answer, review, start, task_of
from tests.test_web_pages import Browser
from workflow.contracts import link_complaint_to_contract
from workflow.db import read_session, write_session
from workflow.history_verify import verify_history

TODAY = date.today()
REQUESTED = TODAY - timedelta(days=60)
REGULAR = {"special_criteria": [], "value": "250000", "requested_delivery": REQUESTED.isoformat()}


# A change of the quantity only, reviewed by sales and production.
MORE_PUMPS = {
    "quantity": 8000,
    "requirements": "2,000 more pumps in 2029, same drawing.",
    "channel": "email",
    "departments": ["sales", "production"],
    "reason": "Only the quantity changes: production capacity and the price.",
}


def days_ago(days: int) -> str:
    return (TODAY - timedelta(days=days)).isoformat()


def accept_all(as_user: Any, reference: str, departments: list[str]) -> dict[str, Any]:
    """Each department asked answers can meet; sales accept."""
    sales = as_user("sales")
    drain_outbox()
    for department in departments:
        task = task_of(sales, reference, department)
        done = answer(as_user(department), task["id"], department)
        assert done.status_code == 200, done.text
    drain_outbox()
    accepted = sales.post(f"/reviews/{reference}/decision", json={"decision": "accept"})
    assert accepted.status_code == 200, accepted.text
    drain_outbox()
    return accepted.json()


def accepted_contract(as_user: Any, **overrides: Any) -> dict[str, Any]:
    """A regular contract reviewed by all five departments and accepted: its ledger file."""
    started = start(as_user("sales"), **(REGULAR | overrides))
    decided = accept_all(as_user, started["reference"], FIVE)
    found = as_user("quality").get("/contracts", params={"q": decided["contract_reference"]})
    assert found.status_code == 200, found.text
    [item] = found.json()["items"]
    return contract(as_user("quality"), item["id"])


def contract(user: Api, contract_id: int) -> dict[str, Any]:
    answer_ = user.get(f"/contracts/{contract_id}")
    assert answer_.status_code == 200, answer_.text
    return answer_.json()


def deliver(user: Api, contract_id: int, **body: Any) -> Any:
    return user.post(f"/contracts/{contract_id}/deliveries", json=body)


def ledger_history(contract_file: dict[str, Any]) -> list[HistoryEntry]:
    """The ledger's entries: on the case of the review that made the first version."""
    first_review = contract_file["versions"][0]["review_reference"]
    with read_session() as session:
        case_id = session.exec(select(Review.id).where(Review.reference == first_review)).one()
        return list(
            session.exec(
                select(HistoryEntry)
                .where(HistoryEntry.case_id == case_id)
                .order_by(col(HistoryEntry.seq))
            )
        )


def test_deliveries_make_the_figures_and_the_last_one_completes_the_contract(as_user):
    sales = as_user("sales")
    file = accepted_contract(as_user)
    cid = file["id"]
    assert file["status"] == "active"
    assert file["version"] == 1
    assert file["terms"]["quantity"] == 6000
    assert file["available_actions"] == []  # quality reads it: nothing to do
    assert contract(sales, cid)["available_actions"] == [
        "record_delivery",
        "change_contract",
        "report_contract_progress",
    ]

    # On time by the requested delivery; late after it; on time by a due date of its own.
    first = deliver(sales, cid, delivered_on=days_ago(62), quantity=500, note="DN-1")
    assert first.status_code == 201, first.text
    assert first.json()["deliveries"][0]["due_on"] == REQUESTED.isoformat()
    assert first.json()["deliveries"][0]["on_time"] is True
    late = deliver(sales, cid, delivered_on=days_ago(55), quantity=500)
    assert late.status_code == 201, late.text
    own_due = deliver(sales, cid, delivered_on=days_ago(10), quantity=500, due_on=days_ago(5))
    assert own_due.status_code == 201, own_due.text

    file = contract(sales, cid)
    assert [d["on_time"] for d in file["deliveries"]] == [True, False, True]
    figures = file["figures"]
    assert figures["contracted_quantity"] == 6000
    assert figures["delivered_quantity"] == 1500
    assert figures["delivered_share"] == pytest.approx(1500 / 6000)
    assert (figures["deliveries"], figures["on_time_deliveries"]) == (3, 2)
    assert figures["late_deliveries"] == 1
    assert figures["on_time_share"] == pytest.approx(2 / 3)

    # The list shows the same figures, and filters.
    listed = sales.get("/contracts", params={"q": "bo-fa-2027", "status": "active"}).json()
    assert [c["reference"] for c in listed["items"]] == [file["reference"]]
    assert listed["items"][0]["figures"] == figures
    assert listed["items"][0]["terms"]["title"] == file["terms"]["title"]
    by_customer = sales.get("/contracts", params={"customer_id": file["customer_id"]}).json()
    assert len(by_customer["items"]) == 1
    assert sales.get("/contracts", params={"status": "completed"}).json()["items"] == []

    # Never beyond the contracted quantity; the delivery that reaches it completes it.
    beyond = deliver(sales, cid, delivered_on=days_ago(1), quantity=4501)
    assert beyond.status_code == 409, beyond.text
    assert "4500" in beyond.json()["detail"]
    rest = deliver(sales, cid, delivered_on=days_ago(1), quantity=4500)
    assert rest.status_code == 201, rest.text
    done = rest.json()
    assert done["status"] == "completed"
    assert done["figures"]["delivered_share"] == pytest.approx(1.0)
    assert done["available_actions"] == ["report_contract_progress"]  # the completion report
    more = deliver(sales, cid, delivered_on=days_ago(0), quantity=1)
    assert more.status_code == 409, more.text
    assert "completed" in more.json()["detail"]

    actions = [(e.action, e.changes.get("status")) for e in ledger_history(done)]
    assert actions.count(("record_delivery", None)) == 4
    assert ("change_contract", "completed") in actions
    assert verify_history().intact


def test_a_change_is_reviewed_by_the_departments_it_concerns_and_makes_version_two(as_user):
    sales = as_user("sales")
    file = accepted_contract(as_user)
    cid = file["id"]
    change = MORE_PUMPS
    started = sales.post(f"/contracts/{cid}/changes", json=change)
    assert started.status_code == 201, started.text
    changed = started.json()
    assert (changed["kind"], changed["changes_contract"]) == ("change", file["reference"])
    assert changed["quantity"] == 8000
    assert changed["title"] == file["terms"]["title"]  # terms not given stay

    # One change at a time; the contract is not cancelled under it.
    again = sales.post(f"/contracts/{cid}/changes", json=change)
    assert again.status_code == 409, again.text
    cancelled = sales.post(f"/contracts/{cid}/cancel", json={"reason": "Customer withdrew."})
    assert cancelled.status_code == 409, cancelled.text
    assert changed["reference"] in cancelled.json()["detail"]

    drain_outbox()
    opened = [t for t in review(sales, changed["reference"])["tasks"] if t["status"] == "open"]
    assert sorted(t["department"] for t in opened) == ["production", "sales"]
    accept_all(as_user, changed["reference"], ["sales", "production"])

    file = contract(sales, cid)
    assert file["version"] == 2
    assert [v["version"] for v in file["versions"]] == [1, 2]
    assert [v["quantity"] for v in file["versions"]] == [6000, 8000]
    assert file["versions"][1]["review_reference"] == changed["reference"]
    assert file["versions"][0]["review_reference"] != changed["reference"]
    assert file["terms"]["quantity"] == 8000
    assert file["figures"]["contracted_quantity"] == 8000
    assert [(c["reference"], c["status"]) for c in file["changes"]] == [
        (changed["reference"], "accepted")
    ]


def _complaint_for(sales: Api, customer_id: int, order_reference: str) -> str:
    payload = complaint_payload(order_reference=order_reference)
    del payload["customer"]
    logged = sales.post("/complaints", json={**payload, "customer_id": customer_id})
    assert logged.status_code == 201, logged.text
    return logged.json()["reference"]


def test_a_complaint_naming_the_contracts_order_is_linked_to_it(as_user):
    sales = as_user("sales")
    file = accepted_contract(as_user)
    matching = _complaint_for(sales, file["customer_id"], "  bo-fa-2027 ")
    by_reference = _complaint_for(sales, file["customer_id"], file["reference"].lower())
    unknown = _complaint_for(sales, file["customer_id"], "BO-OTHER-1")
    stranger = sales.log_complaint(order_reference="BO-FA-2027")["reference"]  # other customer
    drain_outbox()

    assert sales.record(matching)["contract_reference"] == file["reference"]
    assert sales.record(by_reference)["contract_reference"] == file["reference"]
    assert sales.record(unknown)["contract_reference"] is None
    assert sales.record(stranger)["contract_reference"] is None
    history = sales.record(matching)["history"]
    linked = [e for e in history if e["action"] == "complaint_linked_to_contract"]
    assert len(linked) == 1
    assert linked[0]["changes"]["contract"] == file["reference"]

    listed = contract(sales, file["id"])["complaints"]
    assert sorted(c["reference"] for c in listed) == sorted([matching, by_reference])

    # Handled twice, the link is made once.
    with write_session() as session:
        complaint = session.exec(select(Complaint).where(Complaint.reference == matching)).one()
        assert link_complaint_to_contract(session, complaint, "flow:test") is None
        session.commit()
    again = sales.record(matching)["history"]
    assert [e["action"] for e in again].count("complaint_linked_to_contract") == 1
    assert verify_history().intact


BAD_DELIVERIES: list[tuple[dict[str, Any], str]] = [
    ({"quantity": 10}, "delivered_on"),
    ({"delivered_on": "yesterday", "quantity": 10}, "delivered_on"),
    ({"delivered_on": days_ago(1), "quantity": 0}, "quantity"),
    ({"delivered_on": days_ago(1), "quantity": "ten"}, "quantity"),
    ({"delivered_on": days_ago(1), "quantity": 10, "colour": "red"}, "colour"),
    ({"delivered_on": days_ago(1), "quantity": 10, "note": "x" * 2_001}, "note"),
    ({"delivered_on": days_ago(1), "quantity": 10, "due_on": "2027-02-30"}, "due_on"),
    ({"delivered_on": (TODAY + timedelta(days=3)).isoformat(), "quantity": 10}, "delivered_on"),
]


def test_a_delivery_with_bad_data_is_refused_with_422_naming_the_field(as_user):
    sales = as_user("sales")
    file = accepted_contract(as_user)
    for body, field in BAD_DELIVERIES:
        refused = deliver(sales, file["id"], **body)
        assert refused.status_code == 422, (body, refused.text)
        assert any(e["loc"][-1] == field for e in refused.json()["detail"]), refused.text
    assert contract(sales, file["id"])["deliveries"] == []


def test_who_may_do_what_on_a_contract_and_what_a_cancelled_one_refuses(as_user):
    sales, quality = as_user("sales"), as_user("quality")
    file = accepted_contract(as_user)
    cid = file["id"]
    delivery = {"delivered_on": days_ago(1), "quantity": 10}

    refused = deliver(quality, cid, **delivery)
    assert refused.status_code == 403, refused.text
    refused = quality.post(f"/contracts/{cid}/cancel", json={"reason": "Not mine to say."})
    assert refused.status_code == 403, refused.text
    for missing in (999_999, 0, 2**63):
        status = 404 if missing == 999_999 else 422
        assert sales.get(f"/contracts/{missing}").status_code == status
        assert deliver(sales, missing, **delivery).status_code == status
    assert sales.get("/contracts", params={"q": "\x00"}).status_code == 422

    no_reason = sales.post(f"/contracts/{cid}/cancel", json={"reason": ""})
    assert no_reason.status_code == 422, no_reason.text
    blank = sales.post(f"/contracts/{cid}/cancel", json={"reason": "   "})
    assert blank.status_code == 422, blank.text
    cancelled = sales.post(f"/contracts/{cid}/cancel", json={"reason": "Customer withdrew."})
    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["status"] == "cancelled"
    assert cancelled.json()["available_actions"] == []

    late = deliver(sales, cid, **delivery)
    assert late.status_code == 409, late.text
    assert "cancelled" in late.json()["detail"]
    change = {
        "requirements": "More pumps.",
        "channel": "email",
        "departments": ["sales"],
        "reason": "Sales only.",
    }
    assert sales.post(f"/contracts/{cid}/changes", json=change).status_code == 409
    again = sales.post(f"/contracts/{cid}/cancel", json={"reason": "Twice."})
    assert again.status_code == 409, again.text
    entries = [e for e in ledger_history(file) if e.action == "change_contract"]
    assert [(e.changes["status"], e.reason) for e in entries] == [
        ("cancelled", "Customer withdrew.")
    ]


def _token(page: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert match, page[:500]
    return match.group(1)


def test_the_ledger_pages_show_the_contract_and_take_sales_deliveries(as_user, base_url):
    file = accepted_contract(as_user)
    path = f"/contracts/{file['id']}"

    quality = Browser(base_url)
    assert quality.sign_in("quality").status_code == 303
    ledger = quality.client.get("/contracts", params={"q": file["reference"]})
    assert ledger.status_code == 200, ledger.text
    assert file["reference"] in ledger.text
    assert 'href="/contracts"' in ledger.text  # in the navigation
    page = quality.client.get(path)
    assert page.status_code == 200, page.text
    assert "Versions of the terms" in page.text
    assert "Record a delivery" not in page.text  # not quality's
    refused = quality.client.post(
        f"{path}/deliveries",
        data={"delivered_on": days_ago(1), "quantity": "5", "csrf_token": _token(page.text)},
    )
    assert refused.status_code == 403
    assert quality.client.get("/contracts/999999").status_code == 404

    sales = Browser(base_url)
    assert sales.sign_in("sales").status_code == 303
    form = sales.client.get(path)
    assert 'id="delivery-form-h"' in form.text
    assert '<label for="delivered_on">' in form.text
    future = (TODAY + timedelta(days=3)).isoformat()
    wrong = sales.form(f"{path}/deliveries", {"delivered_on": future, "quantity": "5"}, page=path)
    assert wrong.status_code == 422
    assert 'aria-invalid="true"' in wrong.text
    assert "in the future" in wrong.text
    beyond = sales.form(
        f"{path}/deliveries", {"delivered_on": days_ago(1), "quantity": "7000"}, page=path
    )
    assert beyond.status_code == 409
    assert 'role="alert"' in beyond.text
    done = sales.form(
        f"{path}/deliveries",
        {"delivered_on": days_ago(1), "quantity": "1500", "note": "DN-7"},
        page=path,
    )
    assert done.status_code == 303, done.text
    shown = sales.client.get(path)
    assert "Delivery of 1500 recorded." in shown.text
    assert "1500 of 6000 (25%)" in shown.text
    assert "DN-7" in shown.text

    no_reason = sales.form(f"{path}/cancel", {"reason": " "}, page=path)
    assert no_reason.status_code == 422
    assert 'aria-describedby="reason-error"' in no_reason.text
    cancelled = sales.form(f"{path}/cancel", {"reason": "Customer withdrew."}, page=path)
    assert cancelled.status_code == 303, cancelled.text
    after = sales.form(
        f"{path}/deliveries", {"delivered_on": days_ago(1), "quantity": "5"}, page=path
    )
    assert after.status_code == 409
    assert "is cancelled" in after.text
    assert 'role="alert"' in after.text
    assert "Record a delivery" not in after.text
    for browser in (quality, sales):
        browser.client.close()


def test_a_change_accepted_after_the_last_delivery_makes_the_contract_active_again(as_user):
    sales = as_user("sales")
    file = accepted_contract(as_user)
    cid = file["id"]
    more = MORE_PUMPS
    started = sales.post(f"/contracts/{cid}/changes", json=more)
    assert started.status_code == 201, started.text
    # While the change is reviewed, the whole contracted quantity goes out.
    assert deliver(sales, cid, delivered_on=days_ago(1), quantity=6000).status_code == 201
    assert contract(sales, cid)["status"] == "completed"

    accept_all(as_user, started.json()["reference"], ["sales", "production"])
    file = contract(sales, cid)
    assert (file["status"], file["version"]) == ("active", 2)
    assert file["figures"]["delivered_quantity"] == 6000
    entries = [e for e in ledger_history(file) if e.action == "change_contract"]
    assert [(e.changes["status_before"], e.changes["status"]) for e in entries] == [
        ("active", "completed"),
        ("completed", "active"),
    ]
    assert entries[-1].reason == "version 2 contracts 8000; 6000 delivered"
    assert deliver(sales, cid, delivered_on=days_ago(0), quantity=2000).status_code == 201
    assert contract(sales, cid)["status"] == "completed"
