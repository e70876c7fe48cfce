"""Many complaints logged at once on one API process: each answered 201, none left waiting
for a database connection while another request holds the lock it needs."""

from concurrent.futures import ThreadPoolExecutor

import httpx
from sqlmodel import select

from models.base import id_of
from models.complaint import Complaint
from models.enums import HistoryAction
from tests.support import complaint_payload
from tests.test_faults import use_settings
from workflow import calendar
from workflow.db import read_session
from workflow.history import list_history
from workflow.history_verify import verify_history

AT_ONCE = 32  # more requests than the read pool has connections (5 + 10 by default)


def test_thirty_two_complaints_at_once_are_all_taken_while_the_calendar_checks_its_version(
    as_user, settings, monkeypatch
):
    # Every due date asks for the closures' version: a read a write transaction needs while it
    # holds the write lock. From the pool the waiting requests hold, it would wait for them and
    # they for it, until the pool's 30 s timeout answered 500.
    monkeypatch.setattr(calendar, "VERSION_CHECK_SECONDS", 0.0)
    use_settings(monkeypatch, intake_rate="1000/second")
    sales = as_user("sales")
    headers = {"Authorization": sales.client.headers["Authorization"]}
    url = f"{sales.client.base_url}complaints"

    def log(index: int) -> int:
        payload = complaint_payload(description=f"Pump {index} leaks at the seal after a week.")
        return httpx.post(url, json=payload, headers=headers, timeout=120).status_code

    with ThreadPoolExecutor(AT_ONCE) as pool:
        answers = list(pool.map(log, range(AT_ONCE)))
    assert answers == [201] * AT_ONCE


def test_complaints_logged_at_once_take_gapless_references_named_in_their_first_entry(
    as_user, settings, monkeypatch
):
    # The reference is taken last, just before the commit (the counter row is locked from
    # there to the commit): every other row of the intake was written under a placeholder.
    use_settings(monkeypatch, intake_rate="1000/second")
    sales = as_user("sales")
    with ThreadPoolExecutor(16) as pool:
        answers = list(pool.map(lambda _: sales.log_complaint(), range(AT_ONCE)))
    references = sorted(answer["reference"] for answer in answers)
    year = references[0].split("-")[1]
    assert references == [f"CMP-{year}-{n:06d}" for n in range(1, AT_ONCE + 1)]
    with read_session() as session:
        complaints = session.exec(select(Complaint)).all()
        assert sorted(c.reference for c in complaints) == references
        for complaint in complaints:
            first = list_history(session, id_of(complaint))[0]
            assert first.action == HistoryAction.log_complaint
            assert first.changes["reference"] == complaint.reference
    verification = verify_history()
    assert verification.intact, verification.problems
    assert verification.complaints == AT_ONCE
