"""An Idempotency-Key makes a retried intake safe: one complaint, the first answer again."""

import threading
import uuid

import httpx
from sqlmodel import func, select

from models.complaint import Complaint
from models.customer import Customer
from models.history import HistoryEntry
from models.idempotency import IdempotencyRecord
from models.outbox import OutboxEvent
from tests.support import complaint_payload, drain_outbox
from workflow.db import read_session


def _count(table) -> int:
    with read_session() as session:
        return session.exec(select(func.count()).select_from(table)).one()


def _intake_rows() -> dict[str, int]:
    tables = (Complaint, Customer, HistoryEntry, OutboxEvent, IdempotencyRecord)
    return {table.__name__: _count(table) for table in tables}


def _post(client, key: str, **overrides):
    return client.post(
        "/complaints", json=complaint_payload(**overrides), headers={"Idempotency-Key": key}
    )


def test_the_same_key_twice_gives_the_first_answer_and_one_complaint(as_user):
    sales = as_user("sales")
    key = str(uuid.uuid4())
    first = _post(sales, key)
    assert first.status_code == 201, first.text
    after_first = _intake_rows()
    assert after_first["Complaint"] == 1

    again = _post(sales, key)
    assert again.status_code == 200, again.text
    assert again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert _intake_rows() == after_first
    assert [c["reference"] for c in sales.get("/complaints").json()["items"]] == [
        first.json()["reference"]
    ]


def test_a_replay_after_the_complaint_moved_on_shows_it_as_it_is_now(as_user):
    sales = as_user("sales")
    key = str(uuid.uuid4())
    first = _post(sales, key)
    assert first.json()["status"] == "received"
    drain_outbox()
    again = _post(sales, key)
    assert again.status_code == 200, again.text
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json()["reference"] == first.json()["reference"]
    assert again.json()["status"] == "with_quality"


def test_without_a_key_a_retry_logs_a_second_complaint(as_user):
    sales = as_user("sales")
    first = sales.log_complaint()
    second = sales.log_complaint()
    assert first["reference"] != second["reference"]
    assert _count(Complaint) == 2
    assert _count(IdempotencyRecord) == 0


def test_the_same_key_with_another_body_is_refused(as_user):
    sales = as_user("sales")
    key = str(uuid.uuid4())
    assert _post(sales, key).status_code == 201
    before = _intake_rows()

    other = _post(sales, key, quantity_affected=13)
    assert other.status_code == 422, other.text
    assert other.json()["detail"][0]["loc"] == ["header", "Idempotency-Key"]
    assert _intake_rows() == before


def test_keys_are_scoped_to_the_user(as_user):
    sales, admin = as_user("sales"), as_user("admin")
    key = str(uuid.uuid4())
    by_sales = _post(sales, key)
    by_admin = _post(admin, key)
    assert (by_sales.status_code, by_admin.status_code) == (201, 201), by_admin.text
    assert by_sales.json()["reference"] != by_admin.json()["reference"]
    assert _count(Complaint) == 2
    assert _count(IdempotencyRecord) == 2
    assert sales.record(by_admin.json()["reference"])["received_by"] == "admin"
    # Each user's retry still finds their own first answer.
    assert _post(admin, key).json() == by_admin.json()
    assert _post(sales, key).json() == by_sales.json()


def test_an_over_long_key_is_refused(as_user):
    answer = _post(as_user("sales"), "k" * 256)
    assert answer.status_code == 422, answer.text
    assert answer.json()["detail"][0]["loc"] == ["header", "idempotency-key"]
    assert _count(Complaint) == 0


def test_twenty_concurrent_requests_with_one_key_log_one_complaint(as_user, base_url):
    authorization = as_user("sales").headers["Authorization"]
    key = str(uuid.uuid4())
    attempts = 20
    start = threading.Barrier(attempts)
    answers: list[httpx.Response | BaseException | None] = [None] * attempts

    def attempt(index: int) -> None:
        with httpx.Client(
            base_url=f"{base_url}/api/v1",
            headers={"Authorization": authorization},
            timeout=60,
        ) as client:
            start.wait(timeout=30)
            try:
                answers[index] = _post(client, key)
            except BaseException as exc:  # reported below, with the answers
                answers[index] = exc

    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(attempts)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=90)

    statuses = [a.status_code if isinstance(a, httpx.Response) else repr(a) for a in answers]
    assert sorted(statuses, key=str) == [200] * (attempts - 1) + [201], statuses
    responses = [a for a in answers if isinstance(a, httpx.Response)]  # all, as just asserted
    bodies = [a.json() for a in responses]
    assert all(body == bodies[0] for body in bodies)
    assert _count(Complaint) == 1
    assert _count(IdempotencyRecord) == 1
    with read_session() as session:
        assert session.exec(select(Complaint.reference)).one() == bodies[0]["reference"]
