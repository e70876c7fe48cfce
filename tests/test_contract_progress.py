"""Sales report a contract's delivery progress to the customer, over HTTP with the real delivery
flow and the SMTP catcher: one mail per report in the customer's language with the figures
worked out by hand, each delivery on time or late and sales' note; its history entry; the role
checks and refusals (a cancelled contract, a customer with no address); the contract's page."""

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlmodel import func, select

from models.contract_views import ContractProgressReport
from models.customer import Customer
from models.notification import NoticeKind, Notification
from models.review import Contract, ContractVersion, Delivery
from notifications.templates import render_notice
from tests.support import Api, drain_outbox, mail_body
from tests.test_contract_review import CUSTOMER, mails_to
from tests.test_contracts import (
    TODAY,
    accepted_contract,
    contract,
    days_ago,
    deliver,
    ledger_history,
)
from tests.test_customer_language import subject_of
from tests.test_web_pages import Browser
from workflow.contracts import progress_context
from workflow.db import read_session
from workflow.history_verify import verify_history

NOTE = "The next 1,000 pumps leave our plant on 14 April.\nKind regards, Sam"
GERMAN_CUSTOMER = {
    "name": "Klaus Berger",
    "company": "Pumpen Berger GmbH",
    "email": "einkauf@pumpen-berger.example",
    "language": "de",
    "time_zone": "Europe/Berlin",
}


def report(user: Api, contract_id: int, **body: Any) -> Any:
    return user.post(f"/contracts/{contract_id}/progress-report", json=body)


def progress_mails(mailbox: Any, address: str, contract_reference: str) -> list[Any]:
    """The contract's progress reports: the only mails whose subject starts with its reference
    (the review's answer starts with the review's)."""
    mails = mails_to(mailbox, address)
    return [m for m in mails if subject_of(m).startswith(f"{contract_reference}:")]


def queued_progress_notices() -> int:
    with read_session() as session:
        return session.exec(
            select(func.count())
            .select_from(Notification)
            .where(Notification.kind == NoticeKind.contract_progress)
        ).one()


def english_day(day: date) -> str:
    """A day as an English customer reads it: ``March 10, 2027``."""
    return f"{day:%B} {day.day}, {day.year}"


def two_deliveries(sales: Api, contract_id: int) -> None:
    """1,000 on time (before the requested delivery, 60 days ago) and 500 late."""
    on_time = deliver(sales, contract_id, delivered_on=days_ago(62), quantity=1000, note="DN-1")
    assert on_time.status_code == 201, on_time.text
    late = deliver(sales, contract_id, delivered_on=days_ago(55), quantity=500)
    assert late.status_code == 201, late.text


def test_sales_report_the_progress_and_the_customer_gets_one_mail_per_report(as_user, mailbox):
    sales = as_user("sales")
    file = accepted_contract(as_user)
    cid, reference = file["id"], file["reference"]
    assert file["available_actions"] == []  # quality's view: nothing to do
    assert contract(sales, cid)["available_actions"][-1] == "report_contract_progress"
    two_deliveries(sales, cid)
    drain_outbox()
    assert progress_mails(mailbox, CUSTOMER["email"], reference) == []

    reported = report(sales, cid, note=f"  {NOTE}  ")
    assert reported.status_code == 200, reported.text
    assert reported.json()["reference"] == reference  # the contract's file
    drain_outbox()

    [mail] = progress_mails(mailbox, CUSTOMER["email"], reference)
    assert subject_of(mail) == f"{reference}: delivery progress report"
    assert mail["Content-Language"] == "en"
    body = mail_body(mail)
    assert f"our contract <strong>{reference}</strong>" in body
    assert "BO-FA-2027" in body  # the customer's order reference
    assert file["terms"]["title"] in body
    # 1,500 of the contracted 6,000 delivered: 25%; one of the two deliveries on time: 50%.
    assert "1,500 of 6,000 (25%)" in body
    assert "1 of 2 (50%)" in body
    late_day = english_day(TODAY - timedelta(days=55))
    on_time_day = english_day(TODAY - timedelta(days=62))
    assert f'<td>{late_day}</td><td align="right">500</td><td>late</td>' in body
    assert f'<td>{on_time_day}</td><td align="right">1,000</td><td>on time</td>' in body
    assert f"Requested delivery date</th><td>{english_day(TODAY - timedelta(days=60))}" in body
    assert "The next 1,000 pumps leave our plant on 14 April.<br>" in body  # trimmed, as written
    assert "DN-1" not in body  # the delivery's note is ours, not the customer's
    assert f"please reply to this message, quoting {reference}" in body

    [entry] = [e for e in ledger_history(file) if e.action == "progress_reported"]
    assert entry.actor == "sales"
    assert entry.changes["contract"] == reference
    assert (entry.changes["delivered"], entry.changes["contracted"]) == (1500, 6000)
    assert (entry.changes["deliveries"], entry.changes["late_deliveries"]) == (2, 1)
    assert entry.changes["note"] == NOTE

    again = report(sales, cid)
    assert again.status_code == 200, again.text
    drain_outbox()
    first, second = progress_mails(mailbox, CUSTOMER["email"], reference)
    assert "A note from your sales contact" in mail_body(first)
    assert "1,500 of 6,000 (25%)" in mail_body(second)
    assert "A note from your sales contact" not in mail_body(second)
    assert len([e for e in ledger_history(file) if e.action == "progress_reported"]) == 2
    assert queued_progress_notices() == 2
    assert verify_history().intact


def test_a_completed_contract_gets_the_final_report(as_user, mailbox):
    sales = as_user("sales")
    file = accepted_contract(as_user)
    done = deliver(sales, file["id"], delivered_on=days_ago(70), quantity=6000)
    assert done.status_code == 201, done.text
    assert done.json()["status"] == "completed"
    assert done.json()["available_actions"] == ["report_contract_progress"]

    assert report(sales, file["id"]).status_code == 200
    drain_outbox()
    [mail] = progress_mails(mailbox, CUSTOMER["email"], file["reference"])
    assert subject_of(mail) == f"{file['reference']}: final delivery report"
    body = mail_body(mail)
    assert "all deliveries under our contract" in body
    assert "6,000 of 6,000 (100%)" in body
    assert "1 of 1 (100%)" in body


def test_a_german_customer_gets_the_report_in_german(as_user, mailbox):
    sales = as_user("sales")
    file = accepted_contract(as_user, customer=GERMAN_CUSTOMER)
    assert file["customer"]["language"] == "de"
    two_deliveries(sales, file["id"])
    assert report(sales, file["id"], note="Die nächsten 1.000 Pumpen folgen im April.").is_success
    drain_outbox()

    [mail] = progress_mails(mailbox, GERMAN_CUSTOMER["email"], file["reference"])
    assert subject_of(mail) == f"{file['reference']}: Bericht zum Lieferstand"
    assert mail["Content-Language"] == "de"
    body = mail_body(mail)
    assert '<html lang="de">' in body
    assert "Guten Tag Klaus Berger," in body
    assert "nachfolgend finden Sie den aktuellen Stand der Lieferungen" in body
    assert "Bisher geliefert</th><td>1.500 von 6.000 (25\xa0%)" in body
    assert "Termingerechte Lieferungen</th><td>1 von 2 (50\xa0%)" in body
    late = TODAY - timedelta(days=55)
    german_months = ("Januar", "Februar", "März", "April", "Mai", "Juni", "Juli")
    months = (*german_months, "August", "September", "Oktober", "November", "Dezember")
    late_day = f"{late.day}. {months[late.month - 1]} {late.year}"
    assert f'<td>{late_day}</td><td align="right">500</td><td>verspätet</td>' in body
    assert "Eine Anmerkung Ihres Ansprechpartners im Vertrieb:" in body
    assert "Die nächsten 1.000 Pumpen folgen im April." in body


def test_who_may_report_and_what_is_refused(as_user, mailbox):
    sales, quality = as_user("sales"), as_user("quality")
    file = accepted_contract(as_user)
    cid = file["id"]

    refused = report(quality, cid, note="Quality would like to say something.")
    assert refused.status_code == 403, refused.text
    assert report(sales, 999_999).status_code == 404
    too_long = report(sales, cid, note="x" * 2_001)
    assert too_long.status_code == 422, too_long.text
    assert too_long.json()["detail"][0]["loc"] == ["body", "note"]
    unknown = report(sales, cid, colour="red")
    assert unknown.status_code == 422, unknown.text
    assert queued_progress_notices() == 0

    cancelled = sales.post(f"/contracts/{cid}/cancel", json={"reason": "Customer withdrew."})
    assert cancelled.status_code == 200, cancelled.text
    after = report(sales, cid)
    assert after.status_code == 409, after.text
    assert after.json()["detail"] == (
        f"{file['reference']} is cancelled: nothing more is delivered against it, so there is no "
        "progress to report; tell the customer about the cancellation yourself"
    )
    drain_outbox()
    assert queued_progress_notices() == 0
    assert progress_mails(mailbox, CUSTOMER["email"], file["reference"]) == []
    assert [e for e in ledger_history(file) if e.action == "progress_reported"] == []


def test_a_customer_without_an_email_address_is_told_by_phone_not_silently_skipped(
    as_user, base_url
):
    by_phone = {"name": "Pedro Ruiz", "company": "Ruiz Hidráulica", "phone": "+34 91 123 4567"}
    file = accepted_contract(as_user, customer=by_phone, channel="phone")
    refused = report(as_user("sales"), file["id"], note="Next 500 in April.")
    assert refused.status_code == 409, refused.text
    assert refused.json()["detail"] == (
        f"Ruiz Hidráulica has no e-mail address: tell them how {file['reference']} stands by phone"
    )
    assert queued_progress_notices() == 0
    assert [e for e in ledger_history(file) if e.action == "progress_reported"] == []

    sales = Browser(base_url)
    assert sales.sign_in("sales").status_code == 303
    page = sales.client.get(f"/contracts/{file['id']}")
    assert "Ruiz Hidráulica has no e-mail address: tell them how the contract stands" in page.text
    assert 'id="progress-form"' not in page.text
    sales.client.close()


def test_sales_report_on_the_contracts_page_and_quality_do_not(as_user, base_url, mailbox):
    file = accepted_contract(as_user)
    path = f"/contracts/{file['id']}"

    quality = Browser(base_url)
    assert quality.sign_in("quality").status_code == 303
    page = quality.client.get(path)
    assert page.status_code == 200, page.text
    assert "Report progress to the customer" not in page.text
    refused = quality.form(f"{path}/progress-report", {"progress_note": "Hello."}, page=path)
    assert refused.status_code == 403

    sales = Browser(base_url)
    assert sales.sign_in("sales").status_code == 303
    form = sales.client.get(path)
    assert 'id="progress-form"' in form.text
    assert '<label for="progress_note">Your note to the customer</label>' in form.text
    assert 'id="change-form"' in form.text  # the change form is still there
    too_long = sales.form(f"{path}/progress-report", {"progress_note": "x" * 2_001}, page=path)
    assert too_long.status_code == 422
    assert 'aria-describedby="progress_note-error"' in too_long.text
    sent = sales.form(f"{path}/progress-report", {"progress_note": "Next 500 in April."}, page=path)
    assert sent.status_code == 303, sent.text
    assert sent.headers["location"] == path
    shown = sales.client.get(path)
    assert f"Progress report queued for {CUSTOMER['email']}." in shown.text
    drain_outbox()
    [mail] = progress_mails(mailbox, CUSTOMER["email"], file["reference"])
    assert "Next 500 in April." in mail_body(mail)

    cancelled = sales.form(f"{path}/cancel", {"reason": "Customer withdrew."}, page=path)
    assert cancelled.status_code == 303, cancelled.text
    stale = sales.form(f"{path}/progress-report", {"progress_note": "Too late."}, page=path)
    assert stale.status_code == 409
    assert 'role="alert"' in stale.text
    assert "no progress to report" in stale.text
    assert 'id="progress-form"' not in stale.text
    for browser in (quality, sales):
        browser.client.close()


def _open_ended_contract(language: str) -> tuple[Contract, ContractVersion, Customer]:
    contract_ = Contract(id=1, reference="CT-2027-000009", customer_id=1, order_reference=None)
    terms = ContractVersion(
        contract_id=1,
        version=1,
        review_id=1,
        title="Spare <b>seals</b>, as called off",
        value=Decimal(9000),
        currency="EUR",
        quantity=None,
        requested_delivery=None,
        requirements="Seals to drawing 4712.",
    )
    customer = Customer(name="Jane <i>Miller</i>", email="jane@acme.example", language=language)
    return contract_, terms, customer


def test_an_open_ended_contract_without_deliveries_reads_as_called_off_and_escapes_words():
    contract_, terms, customer = _open_ended_contract("en")
    note = ContractProgressReport(note="<script>alert('n')</script> soon").note
    context = progress_context(contract_, terms, customer, [], note)
    rendered = render_notice(NoticeKind.contract_progress, {**context, "language": "en"})
    assert "Contracted quantity</th><td>as called off" in rendered.body_html
    assert "Delivered so far</th><td>0</td>" in rendered.body_html
    assert "Nothing has been delivered yet." in rendered.body_text
    assert "Your order" not in rendered.body_html  # none given
    assert "<script>" not in rendered.body_html
    assert "&lt;b&gt;seals&lt;/b&gt;" in rendered.body_html
    assert "Jane &lt;i&gt;Miller&lt;/i&gt;" in rendered.body_html
    assert rendered.subject == "CT-2027-000009: delivery progress report"  # active, not completed


def test_the_report_reads_naturally_in_every_shipped_language():
    contract_, terms, customer = _open_ended_contract("en")
    terms.quantity = 6000
    late = Delivery(
        contract_id=1,
        delivered_on=date(2027, 3, 10),
        quantity=1500,
        on_time=False,
        recorded_by_id=1,
    )
    expected = {
        "fr": ("point sur l\u2019avancement des livraisons", "1\u202f500 sur 6\u202f000 (25\xa0%)"),
        "es": ("informe de avance de las entregas", "1.500 de 6.000 (25\xa0%)"),
        "zh-Hans": ("交货进度报告", "1,500 / 6,000 (25%)"),
    }
    for language, (subject, delivered) in expected.items():
        customer.language = language
        context = progress_context(contract_, terms, customer, [late], "")
        rendered = render_notice(NoticeKind.contract_progress, {**context, "language": language})
        assert subject in rendered.subject, language
        assert delivered in rendered.body_html, language
        assert rendered.language == language
