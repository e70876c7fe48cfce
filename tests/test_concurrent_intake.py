"""Many complaints logged at once on one API process: each answered 201, none left waiting
for a database connection while another request holds the lock it needs."""

from concurrent.futures import ThreadPoolExecutor

import httpx

from tests.support import complaint_payload
from tests.test_faults import use_settings
from workflow import calendar

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
