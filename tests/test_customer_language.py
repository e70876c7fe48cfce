"""The customer's language and time zone: a customer is written to in their language, with
dates in their locale and time zone (mails carry ``Content-Language``); staff stay English;
bad values are refused in plain words; every shipped catalogue is complete."""

from datetime import UTC, datetime, timedelta
from email.header import decode_header, make_header
from email.utils import parseaddr
from pathlib import Path

import pytest
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from tests.support import (
    complaint_payload,
    drain_outbox,
    freeze_at,
    mail_body,
    quality_result,
    sweep,
)
from tests.test_satisfaction import answer_clock, status_link
from workflow.config import get_settings
from workflow.languages import LOCALE_DIR, SHIPPED_LANGUAGES, format_moment

# A Thursday evening in Berlin, already Friday morning in Shanghai.
THURSDAY_EVENING = datetime(2026, 12, 3, 20, 0, tzinfo=UTC)


def _customer(language: str | None = None, time_zone: str | None = None) -> dict:
    customer = {"name": "Jane Miller", "email": "jane@acme.example"}
    if language is not None:
        customer["language"] = language
    if time_zone is not None:
        customer["time_zone"] = time_zone
    return customer


def subject_of(mail) -> str:
    return str(make_header(decode_header(mail["Subject"])))


def _mails_to_customer(mailbox, reference: str) -> list:
    return [
        m
        for m in mailbox.snapshot()
        if m["To"] == "jane@acme.example" and reference in subject_of(m)
    ]


def _resolve(as_user, reference: str) -> None:
    quality, sales = as_user("quality"), as_user("sales")
    task = quality.open_task(reference, "quality_assessment")
    assert quality.post(f"/tasks/{task['id']}/claim").status_code == 200
    done = quality.post(f"/tasks/{task['id']}/complete", json=quality_result())
    assert done.status_code == 200, done.text
    drain_outbox()
    review = sales.open_task(reference, "sales_review")
    approved = sales.post(
        f"/tasks/{review['id']}/complete", json={"kind": "sales_review", "approved": True}
    )
    assert approved.status_code == 200, approved.text
    drain_outbox()


@pytest.mark.parametrize(
    ("language", "time_zone", "acknowledged", "resolved", "resolved_on"),
    [
        (
            "de",
            "Europe/Berlin",
            "Wir haben Ihre Reklamation",
            "Lösung zu Ihrer Reklamation",
            "Gelöst am 3. Dezember 2026.",
        ),
        (
            "zh-Hans",
            "Asia/Shanghai",
            "我们已收到您的投诉",
            "的处理结果",
            "处理完成日期：2026年12月4日。",  # noqa: RUF001
        ),
    ],
)
def test_a_customer_gets_acknowledgement_and_resolution_in_their_language_and_time_zone(
    as_user, mailbox, language, time_zone, acknowledged, resolved, resolved_on
):
    freeze_at(THURSDAY_EVENING)
    sales = as_user("sales")
    created = sales.log_complaint(customer=_customer(language, time_zone))
    reference = created["reference"]
    record = sales.record(reference)
    assert (record["customer"]["language"], record["customer"]["time_zone"]) == (
        language,
        time_zone,
    )
    drain_outbox()
    _resolve(as_user, reference)

    acknowledgement, resolution = _mails_to_customer(mailbox, reference)
    assert subject_of(acknowledgement).startswith(acknowledged)
    assert resolved in subject_of(resolution)
    for mail in (acknowledgement, resolution):
        assert parseaddr(mail["From"]) == (get_settings().company_name, get_settings().mail_from)
        assert mail["Content-Language"] == language
        assert f'<html lang="{language}">' in mail_body(mail)
    assert resolved_on in mail_body(resolution)
    due = datetime.fromisoformat(created["reply_due_at"])
    assert format_moment(due, language, time_zone) in mail_body(acknowledgement)
    # Staff are told in English, without a Content-Language.
    staff = [m for m in mailbox.snapshot() if m["To"] != "jane@acme.example"]
    assert staff
    assert all(m["Content-Language"] is None for m in staff)
    assert all('<html lang="en">' in mail_body(m) for m in staff)
    assert any("Quality assessment" in subject_of(m) for m in staff)


def test_a_german_customer_closed_without_an_answer_is_told_and_asked_to_rate_in_german(
    as_user, mailbox
):
    freeze_at(THURSDAY_EVENING)
    sales = as_user("sales")
    reference = sales.log_complaint(customer=_customer("de", "Europe/Berlin"))["reference"]
    drain_outbox()
    _resolve(as_user, reference)
    due = datetime.fromisoformat(answer_clock(sales.record(reference))["due_at"])
    freeze_at(due + timedelta(minutes=1))
    sweep()
    drain_outbox()
    assert sales.record(reference)["status"] == "closed"

    # Sent side by side by the relay's threads: in either order.
    closed, invitation = sorted(_mails_to_customer(mailbox, reference)[2:], key=subject_of)
    assert subject_of(closed) == f"Ihre Reklamation {reference} ist abgeschlossen"
    assert subject_of(invitation) == f"Wie haben wir Ihre Reklamation {reference} bearbeitet?"
    for mail in (closed, invitation):
        assert mail["Content-Language"] == "de"
        assert '<html lang="de">' in mail_body(mail)
        assert status_link(reference) in mail_body(mail)
    assert "seitdem nichts mehr von Ihnen gehört" in mail_body(closed)
    assert "Sie können nur einmal bewerten." in mail_body(invitation)


def _is_the_companys_page_only(page: str) -> None:
    """A customer's page names the company and links to nothing of the staff's or the API's."""
    assert f"<strong>{get_settings().company_name}</strong>" in page
    assert 'href="/"' not in page
    assert "/api/" not in page
    assert "/login" not in page


def test_a_german_customer_rates_on_a_german_form_and_is_thanked_in_german(as_user, base_url):
    from tests.test_web_pages import Browser

    sales = as_user("sales")
    reference = sales.log_complaint(customer=_customer("de", "Europe/Berlin"))["reference"]
    drain_outbox()
    _resolve(as_user, reference)
    accepted = sales.post(f"/complaints/{reference}/customer-response", json={"accepted": True})
    assert accepted.status_code == 200, accepted.text
    customer, link = Browser(base_url), status_link(reference)
    try:
        form = customer.client.get(link).text
        _is_the_companys_page_only(form)
        for german in (
            "Wie haben wir Ihre Reklamation bearbeitet?",
            "Ihre Zufriedenheit insgesamt, von 1 (sehr unzufrieden) bis 5 (sehr zufrieden)",
            "Wurde Ihr Problem gelöst?",
            "Möchten Sie uns noch etwas sagen? (freiwillig)",
            "Bewertung senden",
        ):
            assert german in form
        rating = {"score": "4", "solved": "yes", "comment": ""}
        sent = customer.form(f"{link}/rating", rating, page=link)
        assert sent.status_code == 303, sent.text[:2000]
        thanked = customer.client.get(sent.headers["location"]).text
        assert "Vielen Dank, dass Sie unsere Bearbeitung bewertet haben." in thanked
        assert "Sie haben unsere Bearbeitung mit 4 von 5 bewertet, Problem gelöst." in thanked
        again = customer.form(f"{link}/rating", rating, page=link)
        assert again.status_code == 409
        assert "Sie haben diese Reklamation bereits bewertet" in again.text
        assert "<h1>Das ist jetzt nicht möglich</h1>" in again.text
        _is_the_companys_page_only(again.text)
        assert '<html lang="de"' in again.text
        token = link.rsplit("/", 1)[1]
        assert f'<a href="/status/{token}?lang=de">Zurück zu Ihrer Reklamation</a>' in again.text
    finally:
        customer.client.close()


def test_a_customer_named_without_language_gets_the_company_default_in_english(
    as_user, mailbox, settings
):
    sales = as_user("sales")
    reference = sales.log_complaint(customer=_customer())["reference"]
    customer = sales.record(reference)["customer"]
    assert (customer["language"], customer["time_zone"]) == ("en", settings.business_timezone)
    drain_outbox()
    (acknowledgement,) = _mails_to_customer(mailbox, reference)
    assert subject_of(acknowledgement).startswith("We have received your complaint")
    assert acknowledgement["Content-Language"] == "en"


def test_a_language_is_stored_in_its_normal_form(as_user):
    sales = as_user("sales")
    for number, (typed, stored) in enumerate((("DE_at", "de-AT"), ("zh_Hans", "zh-Hans"))):
        customer = _customer(typed) | {"email": f"buyer{number}@acme.example"}
        reference = sales.log_complaint(customer=customer)["reference"]
        assert sales.record(reference)["customer"]["language"] == stored


@pytest.mark.parametrize(
    ("field", "value", "words"),
    [
        ("language", "klingon-xx", "is not a language tag we know"),
        ("language", "", "is not a language tag we know"),
        ("time_zone", "Mars/Olympus", "is not a time zone we know"),
        ("time_zone", "../../etc/passwd", "is not a time zone we know"),
    ],
)
def test_a_bad_language_or_time_zone_is_refused_in_plain_words(as_user, field, value, words):
    sales = as_user("sales")
    customer = _customer() | {field: value}
    answer = sales.post("/complaints", json=complaint_payload(customer=customer))
    assert answer.status_code == 422, answer.text
    (error,) = answer.json()["detail"]
    assert error["loc"] == ["body", "customer", field]
    assert words in error["msg"]
    assert sales.get("/complaints").json()["items"] == []


def _catalogue(language: str) -> Path:
    return LOCALE_DIR / language.replace("-", "_") / "LC_MESSAGES" / "messages.po"


@pytest.mark.parametrize("language", SHIPPED_LANGUAGES)
def test_every_shipped_catalogue_is_complete_and_compiled(language):
    with _catalogue(language).open("rb") as handle:
        catalogue = read_po(handle)
    with (LOCALE_DIR / "messages.pot").open("rb") as handle:
        template = read_po(handle)
    messages = [m for m in catalogue if m.id]
    assert {m.id for m in messages} == {m.id for m in template if m.id}
    assert [m.id for m in messages if not m.string] == []
    assert [m.id for m in messages if m.fuzzy] == []
    with _catalogue(language).with_suffix(".mo").open("rb") as handle:
        compiled = read_mo(handle)
    assert {m.id: m.string for m in compiled if m.id} == {m.id: m.string for m in messages}


def test_the_staff_form_offers_the_shipped_languages_and_the_complaint_page_shows_it(base_url):
    from tests.test_web_pages import Browser, complaint_form

    sales = Browser(base_url)
    try:
        assert sales.sign_in("sales").status_code == 303
        form_page = sales.client.get("/complaints/new").text
        for code in SHIPPED_LANGUAGES:
            assert f'<option value="{code}"' in form_page
        bad = sales.form(
            "/complaints/new",
            complaint_form(customer_time_zone="Mars/Olympus"),
            page="/complaints/new",
        )
        assert bad.status_code == 422
        assert "is not a time zone we know" in bad.text
        created = sales.form(
            "/complaints/new",
            complaint_form(customer_language="zh-Hans", customer_time_zone="Asia/Shanghai"),
            page="/complaints/new",
        )
        assert created.status_code == 303, created.text[:2000]
        page = sales.client.get(created.headers["location"]).text
        assert "Chinese (Simplified) (zh-Hans) · dates in Asia/Shanghai" in page
        assert '<html lang="en"' in page  # staff pages stay English
    finally:
        sales.client.close()


def test_a_german_customer_is_asked_in_german_and_answers_on_the_status_page(
    as_user, base_url, mailbox
):
    from tests.test_web_pages import Browser

    sales, quality = as_user("sales"), as_user("quality")
    reference = sales.log_complaint(customer=_customer("de", "Europe/Berlin"))["reference"]
    drain_outbox()
    task = quality.open_task(reference, "quality_assessment")
    assert quality.post(f"/tasks/{task['id']}/claim").status_code == 200
    question = "Bitte senden Sie uns zwei Fotos der undichten Dichtung."
    waiting = quality.post(f"/complaints/{reference}/wait-for-customer", json={"reason": question})
    assert waiting.status_code == 200, waiting.text
    drain_outbox()
    [asked] = [m for m in _mails_to_customer(mailbox, reference) if "benötigen" in subject_of(m)]
    assert subject_of(asked) == f"Ihre Reklamation {reference}: Wir benötigen etwas von Ihnen"
    assert asked["Content-Language"] == "de"
    assert question in mail_body(asked)
    assert status_link(reference) in mail_body(asked)

    customer, link = Browser(base_url), status_link(reference)
    try:
        page = customer.client.get(link).text
        assert "Wir benötigen etwas von Ihnen" in page
        assert question in page
        empty = customer.form(f"{link}/reply", {"answer": "  "}, page=link)
        assert empty.status_code == 303
        assert sales.record(reference)["status"] == "waiting_on_customer"
        answer = "Die Fotos sind unterwegs, die Dichtung ist an zwei Stellen gerissen."
        sent = customer.form(f"{link}/reply", {"answer": answer}, page=link)
        assert sent.status_code == 303, sent.text[:2000]
        thanked = customer.client.get(sent.headers["location"]).text
        assert "Ihre Antwort ist bei uns angekommen" in thanked
        assert 'id="reply-form"' not in thanked
        again = customer.form(f"{link}/reply", {"answer": answer}, page=link)
        assert again.status_code == 409  # nothing is asked of them any more
    finally:
        customer.client.close()
    record = sales.record(reference)
    assert record["status"] == "with_quality"
    resumed = next(h for h in record["history"] if h["action"] == "resume_after_customer")
    assert (resumed["actor"], resumed["reason"]) == ("customer", answer)
    drain_outbox()
    told = [m for m in mailbox.snapshot() if m["To"] == "quality@example.com"]
    assert any(answer in mail_body(m) for m in told)


def test_a_german_customer_is_asked_about_an_order_and_answered_in_german(as_user, mailbox):
    from tests.test_contract_review import CUSTOMER, answer, start, task_of

    sales, production = as_user("sales"), as_user("production")
    customer = CUSTOMER | {"language": "de", "time_zone": "Europe/Berlin"}
    order = start(
        sales,
        kind="order",
        customer=customer,
        value="5000",
        special_criteria=[],
        departments=["sales", "production"],
        reason="Pumpen ab Lager: nur Vertrieb und Produktion prüfen.",
    )
    reference, title = order["reference"], order["title"]
    drain_outbox()
    question = "Welche Dichtung brauchen Sie: NBR oder FKM?"
    asked = production.post(f"/reviews/{reference}/questions", json={"question": question})
    assert asked.status_code == 200, asked.text
    told = sales.post(f"/reviews/{reference}/customer-answer", json={"answer": "FKM."})
    assert told.status_code == 200, told.text
    assert answer(sales, task_of(sales, reference, "sales")["id"], "sales").status_code == 200
    condition = "Lieferung ab 1. April 2027."
    conditional = answer(
        production,
        task_of(sales, reference, "production")["id"],
        "production",
        "can_meet_with_conditions",
        conditions=condition,
    )
    assert conditional.status_code == 200, conditional.text
    accepted = sales.post(f"/reviews/{reference}/decision", json={"decision": "accept"})
    assert accepted.status_code == 200, accepted.text
    contract = accepted.json()["contract_reference"]
    drain_outbox()

    mails = [m for m in mailbox.snapshot() if m["To"] == customer["email"]]
    asking, answering = sorted(mails, key=lambda m: "Frage" not in subject_of(m))
    assert subject_of(asking) == f"{reference}: eine Frage zu {title}"
    assert subject_of(answering) == f"{reference}: angenommen als {contract}"
    for mail in (asking, answering):
        assert mail["Content-Language"] == "de"
        assert '<html lang="de">' in mail_body(mail)
        assert "Guten Tag Ines Ortega," in mail_body(mail)
    asked_body = mail_body(asking)
    assert "<title>Eine Frage zu Ihrer Bestellung</title>" in asked_body
    assert "um unsere Prüfung von <strong>" in asked_body
    assert (
        f"</strong> (unsere Referenz <strong>{reference}</strong>) abzuschließen, benötigen wir "
        "Folgendes von Ihnen:"
    ) in asked_body
    assert question in asked_body
    assert f"Bitte antworten Sie auf diese Nachricht und nennen Sie dabei {reference}." in (
        asked_body
    )
    body = mail_body(answering)
    for german in (
        "<title>Unsere Antwort zu Ihrer Bestellung</title>",
        "<p>wir haben <strong>",
        f"</strong> geprüft (unsere Referenz <strong>{reference}</strong>, Ihre Referenz "
        "BO-FA-2027).",
        "Wir akzeptieren dies unter den folgenden Bedingungen:",
        condition,
        f"Unsere Vertragsnummer dafür lautet <strong>{contract}</strong>; bitte geben Sie sie "
        "bei Abrufen und in Ihrer Korrespondenz an.",
        f"Wenn etwas unklar ist, antworten Sie bitte auf diese Nachricht und nennen Sie dabei "
        f"{reference}.",
    ):
        assert german in body, german
    assert "We accept" not in body
    assert "registered under" not in body
