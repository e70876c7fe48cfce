"""A customer known only by phone hears every notice from sales: each notice we cannot mail
is a call task for sales with the text to read, kept in the notice ledger until the call
reached the customer. Real HTTP, real delivery through Prefect, real SMTP catcher."""

import html
import json
from datetime import UTC, datetime, timedelta

from tests.support import Api, drain_outbox, freeze_at, quality_result, sweep
from tests.test_documents_dossier import _read
from tests.test_erasure import _every_row_as_text
from tests.test_satisfaction import answer_clock, berlin, resolve
from tests.test_web_pages import browser  # noqa: F401 - the fixture
from workflow.rules import TASK_DEFINITIONS
from workflow.sweep import STEP_LABELS

GERMAN_PHONE_CUSTOMER = {"name": "Jörg Weber", "phone": "+49 30 5555 0199", "language": "de"}


def call_tasks(record: dict, notice: str) -> list[dict]:
    return [
        t
        for t in record["tasks"]
        if t["kind"] == "call_customer" and t["result"].get("notice") == notice
    ]


def phone_notices(record: dict) -> dict[str, dict]:
    return {n["kind"]: n for n in record["notifications"] if n["channel"] == "phone"}


def history_of(record: dict, action: str) -> list[dict]:
    return [h for h in record["history"] if h["action"] == action]


def call(sales: Api, task: dict, **record: object) -> dict:
    body = {"kind": "call_record", "note": "Read the notice out.", **record}
    answer = sales.post(f"/tasks/{task['id']}/complete", json=body)
    assert answer.status_code == 200, answer.text
    return answer.json()


def reach(sales: Api, reference: str, notice: str) -> dict:
    (task,) = call_tasks(sales.record(reference), notice)
    return call(sales, task, reached=True, spoke_to="Jörg Weber")


def test_a_phone_only_customers_acknowledgement_is_a_call_task_with_the_german_text(
    as_user, mailbox
):
    sales = as_user("sales")
    reference = sales.log_complaint(customer=GERMAN_PHONE_CUSTOMER)["reference"]
    drain_outbox()
    record = sales.record(reference)
    (task,) = call_tasks(record, "acknowledgement")
    assert (task["department"], task["status"]) == ("sales", "open")
    assert task["clock"]["step"] == "customer_call"
    assert task["clock"]["hours_allowed"] == 9  # one business day
    assert task["result"]["language"] == "de"
    assert task["result"]["subject"].startswith("Wir haben Ihre Reklamation")
    assert reference in task["result"]["text"]
    assert task["result"]["subject_en"] == f"We have received your complaint {reference}"
    notice = phone_notices(record)["acknowledgement"]
    assert (notice["status"], notice["recipient"]) == ("to_call", "+49 30 5555 0199")
    assert notice["body_text"] == task["result"]["text"]
    assert not [m for m in mailbox.snapshot() if reference in m["Subject"] and "Weber" in m["To"]]
    assert [m["To"] for m in mailbox.snapshot() if "call the customer" in m["Subject"].lower()]


def test_a_call_that_did_not_reach_the_customer_keeps_the_task_open_and_is_in_the_history(
    as_user,
):
    sales = as_user("sales")
    reference = sales.log_complaint(customer=GERMAN_PHONE_CUSTOMER)["reference"]
    drain_outbox()
    (task,) = call_tasks(sales.record(reference), "acknowledgement")
    tried = call(sales, task, reached=False, note="Voicemail, left no message.")
    assert tried["status"] == "claimed"
    assert tried["result"]["attempts"][0]["reached"] is False
    record = sales.record(reference)
    (attempt,) = history_of(record, "call_attempted")
    assert attempt["reason"] == "Voicemail, left no message."
    assert record["acknowledged_at"] is None
    assert phone_notices(record)["acknowledgement"]["status"] == "to_call"
    assert not history_of(record, "task_completed")

    called_at = (datetime.now(UTC) - timedelta(minutes=10)).isoformat()
    done = call(sales, task, reached=True, spoke_to="Jörg Weber", called_at=called_at)
    assert done["status"] == "done"
    assert len(done["result"]["attempts"]) == 2
    record = sales.record(reference)
    notice = phone_notices(record)["acknowledgement"]
    assert (notice["status"], notice["called_by"], notice["attempts"]) == ("called", "sales", 2)
    assert datetime.fromisoformat(notice["sent_at"]) == datetime.fromisoformat(called_at)
    assert datetime.fromisoformat(record["acknowledged_at"]) == datetime.fromisoformat(called_at)
    (ack_clock,) = [d for d in record["deadlines"] if d["step"] == "acknowledgement"]
    assert ack_clock["met_at"] is not None
    assert len(history_of(record, "customer_called")) == 1
    dossier = sales.get(f"/complaints/{reference}/dossier.pdf")
    assert dossier.status_code == 200
    pdf_text = " ".join(_read(dossier.content)[1].split())
    assert "told by sales on the phone" in pdf_text
    again = sales.post(
        f"/tasks/{task['id']}/complete",
        json={"kind": "call_record", "reached": True, "spoke_to": "J. W.", "note": "Again."},
    )
    assert again.status_code == 409


def test_a_phone_only_complaint_is_told_every_notice_by_phone_up_to_its_closing(as_user, mailbox):
    sales, quality = as_user("sales"), as_user("quality")
    reference = sales.log_complaint(customer=GERMAN_PHONE_CUSTOMER)["reference"]
    drain_outbox()
    reach(sales, reference, "acknowledgement")

    task = quality.open_task(reference, "quality_assessment")
    assert quality.post(f"/tasks/{task['id']}/claim").status_code == 200
    question = "Bitte senden Sie uns zwei Fotos der undichten Dichtung."
    waiting = quality.post(f"/complaints/{reference}/wait-for-customer", json={"reason": question})
    assert waiting.status_code == 200, waiting.text
    (asked,) = call_tasks(sales.record(reference), "customer_question")
    assert question in asked["result"]["text"]
    assert "Wir benötigen etwas von Ihnen" in asked["result"]["subject"]
    reach(sales, reference, "customer_question")
    resumed = sales.post(f"/complaints/{reference}/customer-answered", json={"note": "Fotos da."})
    assert resumed.status_code == 200, resumed.text

    summary = "Eine fehlerhafte Dichtungscharge war die Ursache; wir ersetzen Ihre Pumpen."
    done = quality.post(
        f"/tasks/{task['id']}/complete", json=quality_result(customer_summary=summary)
    )
    assert done.status_code == 200, done.text
    drain_outbox()
    review = sales.open_task(reference, "sales_review")
    approved = sales.post(
        f"/tasks/{review['id']}/complete", json={"kind": "sales_review", "approved": True}
    )
    assert approved.status_code == 200, approved.text
    drain_outbox()
    (resolution,) = call_tasks(sales.record(reference), "resolution")
    assert summary in resolution["result"]["text"]
    assert resolution["result"]["subject_en"] == f"Resolution of your complaint {reference}"
    reach(sales, reference, "resolution")

    accepted = sales.post(f"/complaints/{reference}/customer-response", json={"accepted": True})
    assert accepted.status_code == 200, accepted.text
    drain_outbox()
    (invitation,) = call_tasks(sales.record(reference), "satisfaction_invitation")
    assert invitation["result"]["subject_en"] == f"How did we handle your complaint {reference}?"
    reach(sales, reference, "satisfaction_invitation")  # the complaint is closed: still phoned

    record = sales.record(reference)
    assert record["status"] == "closed"
    notices = phone_notices(record)
    assert set(notices) == {
        "acknowledgement",
        "customer_question",
        "resolution",
        "satisfaction_invitation",
    }
    assert {n["status"] for n in notices.values()} == {"called"}
    assert len(history_of(record, "customer_called")) == 4
    assert not [m for m in mailbox.snapshot() if reference in m["Subject"] and "@" not in m["To"]]


def test_a_customer_with_an_email_address_gets_mail_and_no_call_task(as_user, mailbox):
    sales = as_user("sales")
    reference = sales.log_complaint()["reference"]
    drain_outbox()
    record = sales.record(reference)
    assert not [t for t in record["tasks"] if t["kind"] == "call_customer"]
    assert phone_notices(record) == {}
    assert [n["status"] for n in record["notifications"] if n["kind"] == "acknowledgement"] == [
        "sent"
    ]


def test_sales_recording_the_acknowledgement_themselves_also_finishes_its_call_task(as_user):
    sales = as_user("sales")
    reference = sales.log_complaint(customer=GERMAN_PHONE_CUSTOMER)["reference"]
    drain_outbox()
    recorded = sales.post(
        f"/complaints/{reference}/acknowledgement",
        json={"channel": "visit", "note": "He came by the counter; gave him the reference."},
    )
    assert recorded.status_code == 200, recorded.text
    record = sales.record(reference)
    (task,) = call_tasks(record, "acknowledgement")
    assert task["status"] == "done"
    assert phone_notices(record)["acknowledgement"]["status"] == "called"
    assert record["acknowledged_at"] is not None


def test_a_call_record_that_names_nobody_or_a_future_time_is_refused_in_words(as_user):
    sales = as_user("sales")
    reference = sales.log_complaint(customer=GERMAN_PHONE_CUSTOMER)["reference"]
    drain_outbox()
    (task,) = call_tasks(sales.record(reference), "acknowledgement")
    nobody = sales.post(
        f"/tasks/{task['id']}/complete",
        json={"kind": "call_record", "reached": True, "note": "Told them."},
    )
    assert nobody.status_code == 422
    assert "spoke_to is required" in nobody.text
    future = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    later = sales.post(
        f"/tasks/{task['id']}/complete",
        json={
            "kind": "call_record",
            "reached": False,
            "called_at": future,
            "note": "No answer.",
        },
    )
    assert later.status_code == 422
    assert "in the future" in later.text
    quality = as_user("quality")
    assert (
        quality.post(
            f"/tasks/{task['id']}/complete",
            json={"kind": "call_record", "reached": False, "note": "No answer."},
        ).status_code
        == 403
    )


def test_sales_reads_the_text_on_the_task_page_and_records_the_call_there(as_user, browser):  # noqa: F811
    sales = as_user("sales")
    reference = sales.log_complaint(customer=GERMAN_PHONE_CUSTOMER)["reference"]
    drain_outbox()
    (task,) = call_tasks(sales.record(reference), "acknowledgement")
    page = browser("sales")
    queue = page.client.get("/review").text
    assert f"/tasks/{task['id']}" in queue
    shown = page.client.get(f"/tasks/{task['id']}").text
    assert "+49 30 5555 0199" in shown
    assert html.escape(task["result"]["text"], quote=False) in shown
    assert f"We have received your complaint {reference}" in shown
    assert 'id="call-form"' in shown

    nobody = page.form(
        f"/tasks/{task['id']}/call",
        {"reached": "yes", "note": "Told him."},
        page=f"/tasks/{task['id']}",
    )
    assert nobody.status_code == 422
    assert "spoke_to is required" in nobody.text
    missed = page.form(
        f"/tasks/{task['id']}/call",
        {"reached": "no", "note": "Line busy."},
        page=f"/tasks/{task['id']}",
    )
    assert missed.status_code == 303
    assert "Line busy." in page.client.get(f"/tasks/{task['id']}").text
    reached = page.form(
        f"/tasks/{task['id']}/call",
        {"reached": "yes", "spoke_to": "Jörg Weber", "note": "Gave him the reference."},
        page=f"/tasks/{task['id']}",
    )
    assert reached.status_code == 303
    complaint_page = page.client.get(f"/complaints/{reference}").text
    assert "called by sales" in complaint_page.lower()
    assert sales.record(reference)["acknowledged_at"] is not None


def test_every_task_clock_has_a_label_for_its_reminders_and_escalations():
    assert {d.main_step for d in TASK_DEFINITIONS.values()} <= set(STEP_LABELS)


def test_a_silent_phone_only_complaint_closed_by_the_sweep_is_phoned_its_closing(as_user):
    freeze_at(berlin(2026, 11, 23, 9, 0))  # a Monday
    sales, quality = as_user("sales"), as_user("quality")
    reference = resolve(sales, quality, customer=GERMAN_PHONE_CUSTOMER)
    due = datetime.fromisoformat(answer_clock(sales.record(reference))["due_at"])
    freeze_at(due + timedelta(minutes=1))
    sweep()
    drain_outbox()
    record = sales.record(reference)
    assert record["status"] == "closed"
    (closing,) = call_tasks(record, "closed_without_answer")
    assert closing["result"]["language"] == "de"
    assert reference in closing["result"]["text"]
    assert closing["result"]["subject_en"] == f"Your complaint {reference} is closed"
    assert closing["status"] == "open"  # the complaint is closed, the call is still owed
    assert len(call_tasks(record, "satisfaction_invitation")) == 1
    reach(sales, reference, "closed_without_answer")
    assert phone_notices(sales.record(reference))["closed_without_answer"]["status"] == "called"


def test_erasing_a_phone_only_customer_leaves_no_number_or_name_in_the_calls(as_user):
    sales, admin = as_user("sales"), as_user("admin")
    praise = {"kind": "praise", "severity": "minor", "description": "Freundlicher Service!"}
    reference = sales.log_complaint(customer=GERMAN_PHONE_CUSTOMER, **praise)["reference"]
    drain_outbox()
    reach(sales, reference, "acknowledgement")
    record = sales.record(reference)
    assert record["status"] == "closed"
    personal = ("+49 30 5555 0199", "Jörg Weber")
    assert all(_found_in_rows(v) for v in personal)
    erased = admin.post(
        f"/customers/{record['customer']['id']}/erase", json={"reason": "Asked by phone."}
    )
    assert erased.status_code == 200, erased.text
    assert [v for v in personal if _found_in_rows(v)] == []


def _found_in_rows(value: str) -> bool:
    rows = _every_row_as_text()  # reprs of rows: a JSON escape shows doubled
    escaped = json.dumps(value)[1:-1]
    return any(form in rows for form in (value, escaped, escaped.replace("\\", "\\\\")))
