"""Sales triage complaints made from mails before they route, or they route with the defaults
when the triage clock falls due. Real Dovecot mailbox, real delivery flow on the Prefect
server, real SMTP catcher, the API over HTTP, the sweep on a controlled clock."""

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlmodel import select

from models.deadline import Deadline
from models.notification import NoticeKind, Notification
from tests.support import drain_outbox, freeze_at, sweep
from tests.test_mail_intake import (  # noqa: F401  (the mailbox fixtures)
    imap_server,
    intake,
    mail,
    mail_complaint,
)
from tests.test_web_pages import browser  # noqa: F401  (the signed-in page client)
from workflow.db import read_session
from workflow.mail_intake import PRODUCT_NOT_STATED

BERLIN = ZoneInfo("Europe/Berlin")
MONDAY_9 = datetime(2026, 11, 23, 9, 0, tzinfo=BERLIN)


def _waiting_mail(intake, sales, text: str = "The seal leaks.") -> tuple[str, dict]:  # noqa: F811
    """A mail complaint, acknowledged and waiting in sales' queue: its reference and task."""
    reference = mail_complaint(intake, mail(text)).reference
    drain_outbox()
    return reference, sales.open_task(reference, "triage_mail")


def _actions(record: dict) -> list[str]:
    return [h["action"] for h in record["history"]]


def test_a_mail_complaint_is_acknowledged_and_waits_for_sales_triage_on_a_four_hour_clock(
    intake,  # noqa: F811
    as_user,
    mailbox,
):
    freeze_at(MONDAY_9)
    sales = as_user("sales")
    reference, task = _waiting_mail(intake, sales)

    record = sales.record(reference)
    assert record["status"] == "received"
    assert [t["kind"] for t in record["tasks"]] == ["triage_mail"]
    assert task["department"] == "sales"
    assert datetime.fromisoformat(task["due_at"]) == datetime(2026, 11, 23, 13, 0, tzinfo=BERLIN)
    with read_session() as session:
        clock = session.exec(select(Deadline).where(Deadline.task_id == task["id"])).one()
    assert (clock.step, clock.department, clock.hours) == ("mail_triage", "sales", 4)
    assert any(reference in m["Subject"] for m in mailbox.snapshot())  # acknowledged at once
    assert "route_to_quality" not in _actions(record)


def test_sales_triage_a_mail_as_an_inquiry_and_it_becomes_an_answer_inquiry_task(
    intake,  # noqa: F811
    as_user,
):
    sales = as_user("sales")
    reference, task = _waiting_mail(intake, sales, "Does the seal kit fit a 2018 pump?")

    triaged = sales.post(
        f"/tasks/{task['id']}/complete",
        json={
            "kind": "triage",
            "complaint_kind": "inquiry",
            "product": "Seal kit P-200",
            "order_reference": "PO-7781",
            "note": "A question, not a defect.",
        },
    )
    assert triaged.status_code == 200, triaged.text
    assert triaged.json()["status"] == "done"
    drain_outbox()

    record = sales.record(reference)
    assert (record["kind"], record["status"]) == ("inquiry", "with_sales")
    assert (record["product"], record["order_reference"]) == ("Seal kit P-200", "PO-7781")
    inquiry = sales.open_task(reference, "answer_inquiry")
    assert inquiry["department"] == "sales"
    entry, retimed = [h for h in record["history"] if h["action"] == "triage_mail"]
    assert entry["actor"] == retimed["actor"] == "sales"
    assert [c["step"] for c in retimed["changes"]["retimed"]] == ["customer_reply"]
    assert entry["reason"] == "A question, not a defect."
    assert entry["changes"]["kind"] == "inquiry"
    assert entry["changes"]["was"]["product"] == PRODUCT_NOT_STATED
    assert _actions(record).index("triage_mail") < _actions(record).index("route_inquiry")


def test_a_mail_triaged_as_critical_routes_to_quality_and_alerts_the_general_manager(
    intake,  # noqa: F811
    as_user,
):
    sales, admin = as_user("sales"), as_user("admin")
    created = admin.post(
        "/products", json={"part_number": "P-200", "name": "Pump P-200", "family": "pumps"}
    )
    assert created.status_code == 201, created.text
    reference, task = _waiting_mail(intake, sales, "The pump caught fire.")

    triaged = sales.post(
        f"/tasks/{task['id']}/complete",
        json={
            "kind": "triage",
            "complaint_kind": "complaint",
            "severity": "critical",
            "product_id": created.json()["id"],
            "lot_number": "L-2026-114",
        },
    )
    assert triaged.status_code == 200, triaged.text
    drain_outbox()

    record = sales.record(reference)
    assert (record["status"], record["severity"]) == ("with_quality", "critical")
    assert (record["product"], record["lot_number"]) == ("Pump P-200", "L-2026-114")
    assert as_user("quality").open_task(reference, "quality_assessment")["department"] == "quality"
    with read_session() as session:
        alerts = session.exec(
            select(Notification).where(Notification.kind == NoticeKind.critical_alert)
        ).all()
        steps = {c.step for c in session.exec(select(Deadline))}
    assert [a.recipient for a in alerts] == ["gm@example.com"]
    assert "containment" in steps  # a critical complaint's 24-hour containment clock


def test_an_untriaged_mail_routes_with_the_defaults_when_its_clock_falls_due(
    intake,  # noqa: F811
    as_user,
):
    freeze_at(MONDAY_9)
    sales = as_user("sales")
    reference, task = _waiting_mail(intake, sales)

    freeze_at(datetime(2026, 11, 23, 12, 59, tzinfo=BERLIN))
    sweep()
    drain_outbox()
    assert sales.record(reference)["status"] == "received"  # not due yet: nothing happens

    freeze_at(datetime(2026, 11, 23, 13, 1, tzinfo=BERLIN))
    sweep()
    drain_outbox()
    record = sales.record(reference)
    assert (record["kind"], record["severity"], record["status"]) == (
        "complaint",
        "minor",
        "with_quality",
    )
    (cancelled,) = [t for t in record["tasks"] if t["id"] == task["id"]]
    assert cancelled["status"] == "cancelled"
    assert cancelled["result"]["cancelled_because"].startswith("not triaged within 4 business")
    (entry,) = [h for h in record["history"] if h["action"] == "route_untriaged"]
    assert entry["actor"] == "flow:sweep-deadlines"
    assert "routed with the mail intake's defaults" in entry["reason"]
    assert entry["changes"]["task_status"] == "cancelled"
    assert as_user("quality").open_task(reference, "quality_assessment")
    late = sales.post(
        f"/tasks/{task['id']}/complete",
        json={"kind": "triage", "complaint_kind": "inquiry", "product": "P-200"},
    )
    assert late.status_code == 409, late.text


def test_only_sales_triage_and_a_bad_triage_is_refused_in_words(intake, as_user):  # noqa: F811
    sales, quality = as_user("sales"), as_user("quality")
    reference, task = _waiting_mail(intake, sales)
    body = {"kind": "triage", "complaint_kind": "complaint", "product": "Pump P-200"}

    refused = quality.post(f"/tasks/{task['id']}/complete", json=body)
    assert refused.status_code == 403, refused.text
    not_a_kind = sales.post(
        f"/tasks/{task['id']}/complete", json={**body, "complaint_kind": "feedback"}
    )
    assert not_a_kind.status_code == 422
    assert "triaged as one of complaint, inquiry" in not_a_kind.text
    no_product = sales.post(f"/tasks/{task['id']}/complete", json={**body, "product": None})
    assert no_product.status_code == 422
    assert "name the product" in no_product.text
    unknown = sales.post(f"/tasks/{task['id']}/complete", json={**body, "product_id": 999_999})
    assert unknown.status_code == 422
    assert "no product 999999" in unknown.text
    assert sales.record(reference)["status"] == "received"
    assert sales.open_task(reference, "triage_mail")["status"] == "open"


def test_a_complaint_typed_in_with_channel_email_still_routes_at_once(as_user):
    sales = as_user("sales")
    reference = sales.log_complaint(channel="email")["reference"]
    drain_outbox()
    record = sales.record(reference)
    assert record["status"] == "with_quality"
    assert "triage_mail" not in [t["kind"] for t in record["tasks"]]


def test_sales_triage_on_the_task_page_with_the_mail_and_a_product_picker(
    intake,  # noqa: F811
    as_user,
    browser,  # noqa: F811
):
    sales = as_user("sales")
    reference, task = _waiting_mail(intake, sales, "The seal leaks badly, see photo.")
    page = browser("sales")

    queue = page.client.get("/review")
    assert f'aria-label="Triage {reference}"' in queue.text
    shown = page.client.get(f"/tasks/{task['id']}")
    assert shown.status_code == 200
    assert "The seal leaks badly, see photo." in shown.text
    assert 'name="product_id"' in shown.text
    assert 'action="/tasks/{}/triage"'.format(task["id"]) in shown.text
    missing = page.form(f"/tasks/{task['id']}/triage", {"complaint_kind": "complaint"})
    assert missing.status_code == 422
    assert "name the product" in missing.text
    done = page.form(
        f"/tasks/{task['id']}/triage",
        {"complaint_kind": "complaint", "severity": "major", "product": "Pump P-200"},
        page=f"/tasks/{task['id']}",
    )
    assert done.status_code == 303, done.text
    drain_outbox()
    record = sales.record(reference)
    assert (record["status"], record["severity"]) == ("with_quality", "major")
    assert browser("quality").client.get(f"/tasks/{task['id']}").status_code == 403


def test_an_admin_sets_the_triage_time_for_mails_taken_from_then_on(intake, as_user):  # noqa: F811
    freeze_at(MONDAY_9)
    sales, admin = as_user("sales"), as_user("admin")
    change = {"step": "mail_triage", "hours": 2, "reason": "Sales answer the mailbox faster."}
    assert admin.put("/policies", json=change).status_code == 200
    _, task = _waiting_mail(intake, sales)
    assert datetime.fromisoformat(task["due_at"]) == datetime(2026, 11, 23, 11, 0, tzinfo=BERLIN)
    listed = {(p["step"], p["kind"], p["severity"]): p for p in sales.get("/policies").json()}
    assert listed[("mail_triage", None, None)]["hours"] == 2
