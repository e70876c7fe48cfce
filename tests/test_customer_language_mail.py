"""A customer who writes by e-mail is answered in their language: the mail's
``Content-Language`` if we ship it, else the language its text is written in, else the
company's default. On real components: Dovecot over IMAP, the SMTP catcher."""

from email.header import decode_header, make_header

from models.customer import Customer
from tests.support import drain_outbox
from tests.test_mail_intake import imap_server, intake, mail, mail_complaint  # noqa: F401
from workflow.db import read_session

SPANISH = (
    "Buenos días:\n\nla junta de nuestra bomba P-200 pierde agua después de dos horas de "
    "funcionamiento. Necesitamos una solución pronto.\n\nUn saludo,\nMaría"
)


def _customer_of(complaint) -> Customer:
    with read_session() as session:
        customer = session.get(Customer, complaint.customer_id)
    assert customer is not None
    return customer


def _acknowledgement(mailbox, address: str):
    drain_outbox()
    (sent,) = [m for m in mailbox.snapshot() if m["To"] == address]
    return sent


def test_a_mail_with_content_language_fr_makes_a_french_customer(intake, mailbox):  # noqa: F811
    raw = mail(
        "Hello,\n\nthe seal of our pump P-200 leaks after two hours.",
        sender="Claire Dubois <claire@atelier.example>",
        Content_Language="fr-FR",
    )
    complaint = mail_complaint(intake, raw)
    assert _customer_of(complaint).language == "fr"
    acknowledgement = _acknowledgement(mailbox, "claire@atelier.example")
    assert acknowledgement["Content-Language"] == "fr"
    subject = str(make_header(decode_header(acknowledgement["Subject"])))
    assert subject.startswith("Nous avons bien reçu votre réclamation")


def test_a_spanish_mail_without_content_language_is_detected_as_spanish(intake, mailbox):  # noqa: F811
    raw = mail(SPANISH, sender="María López <maria@talleres.example>", subject="Fuga en la bomba")
    complaint = mail_complaint(intake, raw)
    assert _customer_of(complaint).language == "es"
    assert _acknowledgement(mailbox, "maria@talleres.example")["Content-Language"] == "es"


def test_a_language_we_do_not_ship_falls_back_to_the_company_default(intake, mailbox):  # noqa: F811
    raw = mail(
        "Buongiorno, la guarnizione della nostra pompa perde dopo due ore.",
        sender="Luca Rossi <luca@officina.example>",
        Content_Language="it",
    )
    complaint = mail_complaint(intake, raw)
    assert _customer_of(complaint).language == "en"
    assert _acknowledgement(mailbox, "luca@officina.example")["Content-Language"] == "en"
