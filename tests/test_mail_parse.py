"""What the intake keeps of a mail's text: the new words, without quoted history or
signature, for the reply styles of the common mail clients (no database, no server)."""

from email.message import EmailMessage

import pytest

from workflow.mail_parse import parse_mail

QUOTED = {
    "outlook": "The replacement also leaks.\n\nBest regards\nJane\n\n"
    "From: Complaints <complaints@example.com>\nSent: Monday, 30 November 2026 10:00\n"
    "To: Jane Miller\nSubject: CMP-2026-000001 received\n\nWe received your complaint.",
    "gmail": "The replacement also leaks.\n\nOn Mon, 30 Nov 2026 at 10:00, Complaints "
    "<complaints@example.com> wrote:\n> We received your complaint.\n> Reference CMP-2026-000001",
    "german": "The replacement also leaks.\n\nMit freundlichen Grüßen\nJana\n\n"
    "Am 30.11.2026 um 10:00 schrieb Complaints <complaints@example.com>:\n"
    "> Wir haben Ihre Reklamation erhalten.",
    "signature": "The replacement also leaks.\n\n-- \nJane Miller\nAcme Foods\n+49 30 1234",
}


def _mail(body: str, *, subtype: str = "plain", **headers: str) -> bytes:
    message = EmailMessage()
    message["From"] = "Jane Miller <Jane@Acme.example>"
    message["Subject"] = "Pump leaks"
    message.set_content(body, subtype=subtype)
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    return message.as_bytes()


@pytest.mark.parametrize("style", sorted(QUOTED))
def test_quoted_history_and_signatures_are_cut_from_a_reply(style):
    assert parse_mail(_mail(QUOTED[style])).text == "The replacement also leaks."


def test_an_html_mail_becomes_its_plain_text_without_the_quoted_part():
    html = (
        "<html><body><p>The replacement <b>also</b> leaks.</p><div class=gmail_quote>"
        "On Mon, Complaints wrote:<blockquote>We received it.</blockquote></div></body></html>"
    )
    assert parse_mail(_mail(html, subtype="html")).text == "The replacement also leaks."


@pytest.mark.parametrize(
    ("header", "value"),
    [
        ("Auto-Submitted", "auto-replied"),
        ("X-Autoreply", "yes"),
        ("X-Autorespond", "yes"),
        ("Precedence", "bulk"),
        ("Precedence", "list"),
        ("Precedence", "junk"),
        ("List-Id", "<announce.acme.example>"),
    ],
)
def test_a_robots_mail_is_recognised_by_its_headers(header, value):
    parsed = parse_mail(_mail("I am away.", **{header.replace("-", "_"): value}))
    assert parsed.robot_reason is not None
    assert parsed.text == ""


def test_a_person_saying_auto_submitted_no_is_not_a_robot():
    parsed = parse_mail(_mail("The seal leaks.", Auto_Submitted="no"))
    assert parsed.robot_reason is None
    assert parsed.sender == "jane@acme.example"


def test_a_mail_without_a_message_id_is_keyed_by_its_hash():
    parsed = parse_mail(_mail("The seal leaks."))
    assert parsed.message_key.startswith("sha256:")
    assert parse_mail(_mail("The seal leaks.")).message_key == parsed.message_key
