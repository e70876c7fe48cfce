"""Corrections with reasons, withdrawals and duplicates: the record stays honest, nothing is
deleted, and the history says who changed what and why."""

from sqlmodel import col, select

from models.deadline import Deadline
from models.outbox import OutboxEvent
from tests.capa_support import open_action
from tests.support import Api, drain_outbox
from tests.test_web_pages import browser  # noqa: F401  (the signed-in page client)
from workflow.db import read_session


def _history(api: Api, reference: str, action: str) -> list[dict]:
    return [h for h in api.record(reference)["history"] if h["action"] == action]


def test_a_field_is_corrected_with_a_reason_and_the_history_keeps_old_and_new(base_url):
    sales = Api(base_url, "sales")
    reference = sales.log_complaint()["reference"]
    version = sales.record(reference)["version"]
    answer = sales.patch(
        f"/complaints/{reference}",
        json={"lot_number": "L-2026-141", "version": version, "reason": "Digits swapped."},
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["lot_number"] == "L-2026-141"
    assert answer.json()["version"] == version + 1
    [entry] = _history(sales, reference, "correct_complaint")
    assert entry["changes"] == {"lot_number": {"old": "L-2026-114", "new": "L-2026-141"}}
    assert (entry["actor"], entry["reason"]) == ("sales", "Digits swapped.")

    stale = sales.patch(
        f"/complaints/{reference}",
        json={"lot_number": "L-9", "version": version, "reason": "Another typo."},
    )
    assert stale.status_code == 409
    same = sales.patch(
        f"/complaints/{reference}",
        json={"lot_number": "L-2026-141", "version": version + 1, "reason": "Again."},
    )
    assert same.status_code == 200
    assert len(_history(sales, reference, "correct_complaint")) == 1  # nothing changed


def test_corrections_are_refused_in_words_for_bad_bodies_and_other_roles(base_url):
    sales, technical = Api(base_url, "sales"), Api(base_url, "technical")
    reference = sales.log_complaint()["reference"]
    version = sales.record(reference)["version"]
    path = f"/complaints/{reference}"
    no_reason = sales.patch(path, json={"lot_number": "L-1", "version": version})
    assert no_reason.status_code == 422
    assert "reason" in no_reason.text
    nothing = sales.patch(path, json={"version": version, "reason": "Nothing at all."})
    assert nothing.status_code == 422
    assert "at least one field" in nothing.text
    described = sales.patch(
        path, json={"description": "Other words", "version": version, "reason": "Reworded."}
    )
    assert described.status_code == 422  # the customer's words stay as received
    emptied = sales.patch(path, json={"product": None, "version": version, "reason": "Unknown."})
    assert emptied.status_code == 422
    assert (
        technical.patch(
            path, json={"lot_number": "L-1", "version": version, "reason": "Typo."}
        ).status_code
        == 403
    )
    assert (
        sales.patch(
            "/complaints/CMP-1999-000001", json={"lot_number": "L", "version": 1, "reason": "Typo."}
        ).status_code
        == 404
    )
    assert sales.record(reference)["lot_number"] == "L-2026-114"


def test_a_withdrawn_complaint_ends_its_tasks_and_clocks_and_stays_on_record(base_url):
    sales, quality = Api(base_url, "sales"), Api(base_url, "quality")
    reference = sales.log_complaint()["reference"]
    drain_outbox()
    task = quality.open_task(reference, "quality_assessment")
    action = open_action(quality, reference, owner=None, kind="containment")
    answer = sales.post(
        f"/complaints/{reference}/withdraw", json={"reason": "Logged for the wrong customer."}
    )
    assert answer.status_code == 200, answer.text
    record = answer.json()
    assert record["status"] == "withdrawn"
    assert record["due_at"] is None
    assert record["closed_at"] is not None
    assert [t["status"] for t in record["tasks"] if t["id"] == task["id"]] == ["cancelled"]
    assert all(d["met_at"] for d in record["deadlines"])
    [entry] = _history(sales, reference, "withdraw")
    assert entry["reason"] == "Logged for the wrong customer."
    assert entry["changes"]["tasks_cancelled"] == [task["id"], action["task_id"]]
    [ended_action] = [a for a in record["actions"] if a["id"] == action["id"]]
    assert ended_action["status"] == "cancelled"
    assert ended_action["cancel_reason"] == "Logged for the wrong customer."
    assert quality.get("/tasks").json()["items"] == []

    again = sales.post(f"/complaints/{reference}/withdraw", json={"reason": "Twice."})
    assert again.status_code == 409
    corrected = sales.patch(
        f"/complaints/{reference}",
        json={"lot_number": "L-1", "version": record["version"], "reason": "Typo."},
    )
    assert corrected.status_code == 409
    assert "withdrawn" in corrected.text


def test_a_complaint_withdrawn_before_routing_is_never_routed(base_url):
    sales = Api(base_url, "sales")
    reference = sales.log_complaint()["reference"]
    withdrawn = sales.post(f"/complaints/{reference}/withdraw", json={"reason": "Test entry."})
    assert withdrawn.status_code == 200, withdrawn.text
    drain_outbox()
    record = sales.record(reference)
    assert record["status"] == "withdrawn"
    assert record["tasks"] == []
    with read_session() as session:
        events = session.exec(select(OutboxEvent)).all()
        clocks = session.exec(select(Deadline).where(col(Deadline.met_at).is_(None))).all()
    assert [e.status for e in events] == ["done"]  # handled, not parked as failed
    assert clocks == []


def test_a_duplicate_points_at_the_complaint_that_stays_and_both_say_so(base_url):
    sales, quality = Api(base_url, "sales"), Api(base_url, "quality")
    first = sales.log_complaint()["reference"]
    second = sales.log_complaint()["reference"]
    drain_outbox()
    answer = quality.post(
        f"/complaints/{second}/duplicate",
        json={"original": first, "reason": "Same pump, logged by phone and by mail."},
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["status"] == "duplicate"
    assert answer.json()["duplicate_of"] == first
    original = sales.record(first)
    assert original["duplicates"] == [second]
    assert original["status"] == "with_quality"  # the one that stays goes on
    [mark] = _history(sales, first, "mark_duplicate")
    assert mark["changes"] == {"duplicate": second}
    [ended] = _history(sales, second, "mark_duplicate")
    assert ended["changes"]["duplicate_of"] == first

    third = sales.log_complaint()["reference"]
    for original_ref, expected in (
        (second, "itself a duplicate"),
        (third, "itself"),
        ("CMP-1999-000001", "no complaint CMP-1999-000001"),
    ):
        refused = sales.post(
            f"/complaints/{third}/duplicate", json={"original": original_ref, "reason": "Same."}
        )
        assert refused.status_code == 422, original_ref
        assert expected in refused.text
    assert (
        Api(base_url, "technical")
        .post(f"/complaints/{third}/duplicate", json={"original": first, "reason": "Same."})
        .status_code
        == 403
    )


def test_the_complaint_page_corrects_withdraws_and_marks_duplicates(base_url, browser):  # noqa: F811
    sales_api = Api(base_url, "sales")
    first = sales_api.log_complaint()["reference"]
    second = sales_api.log_complaint()["reference"]
    sales = browser("sales")
    page = sales.client.get(f"/complaints/{second}").text
    assert f'action="/complaints/{second}/correct"' in page
    version = sales_api.record(second)["version"]
    form = {
        "version": str(version),
        "product": "Pump P-200",
        "product_was": "Pump P-200",
        "lot_number": "L-2026-141",
        "lot_number_was": "L-2026-114",
        "quantity_affected": "12",
        "quantity_affected_was": "12",
        "reason": "Digits swapped.",
    }
    done = sales.form(f"/complaints/{second}/correct", form, page=f"/complaints/{second}")
    assert done.status_code == 303, done.text
    [entry] = _history(sales_api, second, "correct_complaint")
    assert entry["changes"] == {"lot_number": {"old": "L-2026-114", "new": "L-2026-141"}}

    stale = sales.form(f"/complaints/{second}/correct", form, page=f"/complaints/{second}")
    assert stale.status_code == 409

    marked = sales.form(
        f"/complaints/{second}/duplicate",
        {"original": first, "reason": "Logged twice."},
        page=f"/complaints/{second}",
    )
    assert marked.status_code == 303
    page = sales.client.get(f"/complaints/{second}").text
    assert f'Duplicate of <a href="/complaints/{first}">' in page
    assert f'action="/complaints/{second}/withdraw"' not in page  # ended: the rules say no more
    assert (
        f'href="/complaints/{second}">{second}</a>' in sales.client.get(f"/complaints/{first}").text
    )

    third = sales_api.log_complaint()["reference"]
    assert (
        f'action="/complaints/{third}/withdraw"'
        not in browser("manager").client.get(f"/complaints/{third}").text
    )
    withdrawn = sales.form(
        f"/complaints/{third}/withdraw", {"reason": "Test entry."}, page=f"/complaints/{third}"
    )
    assert withdrawn.status_code == 303
    assert sales_api.record(third)["status"] == "withdrawn"
