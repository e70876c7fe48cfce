"""Customers as sales meet them: known by e-mail address or by phone only, never twice."""

from sqlmodel import func, select

from models.customer import Customer
from models.notification import NoticeKind, Notification
from tests.support import complaint_payload, drain_outbox
from workflow.db import read_session


def _customers() -> int:
    with read_session() as session:
        return session.exec(select(func.count()).select_from(Customer)).one()


def test_the_same_customer_logged_twice_by_address_is_one_customer(as_user):
    sales = as_user("sales")
    first = sales.record(sales.log_complaint()["reference"])
    customer = complaint_payload()["customer"] | {"email": "JANE@Acme.Example"}
    second = sales.record(sales.log_complaint(customer=customer)["reference"])
    assert second["customer"]["id"] == first["customer"]["id"]
    assert _customers() == 1


def test_a_customer_known_by_phone_only_is_logged_and_acknowledged_by_sales(as_user, mailbox):
    sales, quality = as_user("sales"), as_user("quality")
    customer = {"name": "Li Wei", "phone": "+86 21 5555 0101"}
    reference = sales.log_complaint(customer=customer)["reference"]
    drain_outbox()

    record = sales.record(reference)
    assert record["customer"]["email"] is None
    assert record["acknowledged_at"] is None
    assert "record_acknowledgement" in record["available_actions"]
    (call,) = [t for t in record["tasks"] if t["kind"] == "call_customer"]
    assert (call["department"], call["result"]["notice"]) == ("sales", "acknowledgement")
    with read_session() as session:
        acks = session.exec(
            select(Notification).where(Notification.kind == NoticeKind.acknowledgement)
        ).all()
    assert [(a.channel, a.status) for a in acks] == [("phone", "to_call")]  # nothing mailed
    assert record["status"] == "with_quality"  # routed as any complaint

    by_quality = quality.post(
        f"/complaints/{reference}/acknowledgement", json={"channel": "phone", "note": "Called."}
    )
    assert by_quality.status_code == 403
    done = sales.post(
        f"/complaints/{reference}/acknowledgement",
        json={"channel": "phone", "note": "Called Mr Li, gave him the reference."},
    )
    assert done.status_code == 200, done.text
    assert done.json()["acknowledged_at"] is not None
    (ack_clock,) = [d for d in done.json()["deadlines"] if d["step"] == "acknowledgement"]
    assert ack_clock["met_at"] is not None
    again = sales.post(
        f"/complaints/{reference}/acknowledgement", json={"channel": "phone", "note": "Again."}
    )
    assert again.status_code == 409


def test_a_customer_without_address_or_phone_is_refused(as_user):
    answer = as_user("sales").post(
        "/complaints", json=complaint_payload(customer={"name": "Nobody"})
    )
    assert answer.status_code == 422
    assert "e-mail address or phone" in answer.text
    assert _customers() == 0
