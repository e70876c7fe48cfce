"""A customer's e-mail address is accepted only if our mail path can deliver to it exactly:
an internationalised domain is mailed in its ASCII (IDNA) form; a mailbox name that needs
SMTPUTF8, or an address Apprise's parser reads as another one, is refused at intake."""

import pytest
from sqlmodel import select

from models.notification import Notification
from tests.support import complaint_payload, drain_outbox
from workflow.db import read_session


def _customer(email: str) -> dict:
    return complaint_payload()["customer"] | {"email": email}


def _mails_to(mailbox, address: str) -> list:
    return [m for m in mailbox.snapshot() if m["To"] == address]


@pytest.mark.parametrize(
    ("typed", "mailed"),
    [
        ("jorg@bücher.example", "jorg@xn--bcher-kva.example"),
        ("info@例え.jp", "info@xn--r8jz45g.jp"),
        ("a+orders@example.com", "a+orders@example.com"),
    ],
)
def test_an_address_is_stored_and_mailed_as_the_mail_server_needs_it(
    as_user, mailbox, typed, mailed
):
    sales = as_user("sales")
    created = sales.post("/complaints", json=complaint_payload(customer=_customer(typed)))
    assert created.status_code == 201, created.text
    reference = created.json()["reference"]
    assert sales.record(reference)["customer"]["email"] == mailed
    drain_outbox()
    acknowledgements = [m for m in _mails_to(mailbox, mailed) if reference in m["Subject"]]
    assert len(acknowledgements) == 1
    with read_session() as session:
        notices = session.exec(select(Notification).where(Notification.recipient == mailed)).all()
    assert [n.status for n in notices] == ["sent"]


@pytest.mark.parametrize(
    ("email", "words"),
    [
        ("jörg@bücher.example", "the part before @ must be plain ASCII"),
        ("josé@example.com", "the part before @ must be plain ASCII"),
        ("o'brien@example.com", "cannot mail this address exactly as written"),
        ("anna.o'neil@example.com", "cannot mail this address exactly as written"),
        ("a+b+c@example.com", "cannot mail this address exactly as written"),
    ],
)
def test_an_address_that_can_never_be_mailed_is_refused_at_intake(as_user, email, words):
    sales = as_user("sales")
    answer = sales.post("/complaints", json=complaint_payload(customer=_customer(email)))
    assert answer.status_code == 422, answer.text
    (error,) = answer.json()["detail"]
    assert error["loc"] == ["body", "customer", "email"]
    assert words in error["msg"]
    assert sales.get("/complaints").json()["items"] == []
