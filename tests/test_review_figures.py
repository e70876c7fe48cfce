"""The contract reviews' figures on the dashboard, each against numbers worked out by hand from
reviews made through the API on a controlled clock (times in Berlin, the company's zone).

    review  started            departments answered                decided
    old     Mon 2025-11-03 09  sales 10:00                         accepted Tue 11-04 09
    R1      Mon 2026-09-14 09  sales Tue 09-15 10, production      accepted Mon 09-21 12 (171 h)
                               Mon 09-21 10 (late: due Thu 09-17 09)
    R2      Mon 2026-10-05 09  four Tue 10-06 09, technical        rejected Mon 10-12 15 (174 h)
            (special)          Mon 10-12 09 (late: due Thu 10-08 09)
    R3      Mon 2026-11-02 09  sales 11:00                         declined Tue 11-03 09 (24 h)
    R4      Mon 2026-11-16 09  none (its task cancelled)           withdrawn Tue 11-17 09
    R6      Tue 2026-11-17 09  sales 10:00                         accepted Thu 11-19 09 (48 h)

Seen on Wed 2026-11-25 12:00 the period runs from 1 December 2025, so "old" is outside it.
"""

import re
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from tests.support import Api, drain_outbox, freeze_at
from tests.test_contract_review import answer, start, task_of
from tests.test_web_pages import Browser
from workflow.db import read_session
from workflow.review_figures import median_time_to_decision, review_figures

BERLIN = ZoneInfo("Europe/Berlin")
NOW = datetime(2026, 11, 25, 12, 0, tzinfo=BERLIN)
SALES_ONLY = {
    "kind": "order",
    "value": "5000",
    "special_criteria": [],
    "departments": ["sales"],
    "reason": "Pumps from stock: only sales review the price and the date.",
}
WITH_PRODUCTION = SALES_ONLY | {"departments": ["sales", "production"]}


def berlin(year: int, month: int, day: int, hour: int = 0) -> datetime:
    return datetime(year, month, day, hour, tzinfo=BERLIN)


class Reviews:
    """Sales, the departments and the general manager, each step at its moment."""

    def __init__(self, as_user: Any) -> None:
        self.as_user = as_user
        self.sales: Api = as_user("sales")

    def start(self, when: datetime, **overrides: Any) -> str:
        freeze_at(when)
        reference = start(self.sales, **overrides)["reference"]
        drain_outbox()
        return reference

    def answer(self, reference: str, when: datetime, *departments: str) -> None:
        freeze_at(when)
        for department in departments:
            task = task_of(self.sales, reference, department)
            done = answer(self.as_user(department), task["id"], department)
            assert done.status_code == 200, done.text
        drain_outbox()

    def decide(self, reference: str, when: datetime, decision: str, by: str = "sales") -> None:
        freeze_at(when)
        body = {"decision": decision, "reason": f"{decision}: see the review"}
        decided = self.as_user(by).post(f"/reviews/{reference}/decision", json=body)
        assert decided.status_code == 200, decided.text
        drain_outbox()

    def meet(self, reference: str, when: datetime) -> None:
        freeze_at(when)
        met = self.sales.post(
            f"/reviews/{reference}/meeting",
            json={
                "held_on": when.date().isoformat(),
                "attendees": ["Sam Sales", "Grace General-Manager"],
                "minutes": "Technical's late answer discussed.",
            },
        )
        assert met.status_code == 200, met.text


def _the_table(reviews: Reviews) -> None:
    old = reviews.start(berlin(2025, 11, 3, 9), **SALES_ONLY)
    reviews.answer(old, berlin(2025, 11, 3, 10), "sales")
    reviews.decide(old, berlin(2025, 11, 4, 9), "accept")

    r1 = reviews.start(berlin(2026, 9, 14, 9), **WITH_PRODUCTION)
    due = task_of(reviews.sales, r1, "production")["due_at"]
    assert datetime.fromisoformat(due) == berlin(2026, 9, 17, 9)  # three business days
    reviews.answer(r1, berlin(2026, 9, 15, 10), "sales")
    reviews.answer(r1, berlin(2026, 9, 21, 10), "production")
    reviews.decide(r1, berlin(2026, 9, 21, 12), "accept")

    r2 = reviews.start(berlin(2026, 10, 5, 9))  # the special contract, all five departments
    reviews.answer(r2, berlin(2026, 10, 6, 9), "sales", "quality", "procurement", "production")
    reviews.answer(r2, berlin(2026, 10, 12, 9), "technical")
    reviews.meet(r2, berlin(2026, 10, 12, 11))
    reviews.decide(r2, berlin(2026, 10, 12, 15), "reject", by="gm")

    r3 = reviews.start(berlin(2026, 11, 2, 9), **SALES_ONLY)
    reviews.answer(r3, berlin(2026, 11, 2, 11), "sales")
    reviews.decide(r3, berlin(2026, 11, 3, 9), "decline")

    r4 = reviews.start(berlin(2026, 11, 16, 9), **SALES_ONLY)
    reviews.decide(r4, berlin(2026, 11, 17, 9), "withdraw")

    r6 = reviews.start(berlin(2026, 11, 17, 9), **SALES_ONLY)
    reviews.answer(r6, berlin(2026, 11, 17, 10), "sales")
    reviews.decide(r6, berlin(2026, 11, 19, 9), "accept")
    freeze_at(NOW)


def test_no_review_yet_gives_no_figures(settings):
    with read_session() as session:
        figures = review_figures(session, NOW)
    assert [m.started for m in figures.started_per_month] == [0] * 12
    assert (figures.time_to_decision.hours, figures.time_to_decision.of) == (None, 0)
    assert figures.special.share is None
    assert figures.declined.share is None
    assert figures.on_time == []


def test_each_review_figure_matches_the_hand_count(as_user):
    _the_table(Reviews(as_user))
    with read_session() as session:
        figures = review_figures(session, NOW)

    assert figures.since == berlin(2025, 12, 1)
    months = [(m.label, m.started) for m in figures.started_per_month]
    assert months[0] == ("Dec 2025", 0)
    assert months[-1] == ("Nov 2026", 3)
    assert {label: n for label, n in months if n} == {"Sep 2026": 1, "Oct 2026": 1, "Nov 2026": 3}
    # Decided in the period: 24, 48, 171 and 174 hours; the median of four is the mean of the
    # middle two. The withdrawal is no decision; "old" was decided before the period.
    assert figures.time_to_decision.of == 4
    assert round(figures.time_to_decision.hours or 0, 6) == (48 + 171) / 2
    assert round(figures.time_to_decision.days or 0, 6) == 109.5 / 24
    assert (figures.special.part, figures.special.whole) == (1, 5)  # R2 of R1, R2, R3, R4, R6
    assert (figures.declined.part, figures.declined.whole) == (2, 4)  # R2 rejected, R3 declined
    on_time = [(o.department, o.on_time, o.steps_done) for o in figures.on_time]
    assert on_time == [
        ("sales", 4, 4),  # R1, R2, R3, R6; R4's task was cancelled, not answered
        ("quality", 1, 1),
        ("technical", 0, 1),
        ("procurement", 1, 1),
        ("production", 1, 2),  # late in R1, on time in R2
    ]
    # Of an odd number, the middle one: R2, R3 and R6 were decided in October or later.
    with read_session() as session:
        since_october = median_time_to_decision(session, berlin(2026, 10, 1))
    assert (since_october.hours, since_october.of) == (48, 3)


def _table(page: str, table_id: str) -> dict[str, str]:
    found = re.search(rf'<table id="{table_id}">(.*?)</table>', page, re.S)
    assert found, table_id
    rows = re.findall(r'<th scope="row">(.*?)</th><td>(.*?)</td>', found.group(1), re.S)
    return dict(rows)


def test_the_dashboard_shows_the_contract_reviews_section(as_user, base_url):
    _the_table(Reviews(as_user))
    manager = Browser(base_url)
    try:
        assert manager.sign_in("manager").status_code == 303
        page = manager.client.get("/dashboard")
    finally:
        manager.client.close()
    assert page.status_code == 200
    assert '<h2 id="reviews-h">Contract reviews</h2>' in page.text
    assert _table(page.text, "reviews-figures") == {
        "Median time from start to decision": "4.6 days (109.5 hours) over 4 decided",
        "Special": "20% (1 of 5 started)",
        "Declined or rejected": "50% (2 of 4 decided)",
    }
    assert _table(page.text, "reviews-on-time") == {
        "sales": "100% (4 of 4)",
        "quality": "100% (1 of 1)",
        "technical": "0% (0 of 1)",
        "procurement": "100% (1 of 1)",
        "production": "50% (1 of 2)",
    }
    per_month = _table(page.text, "reviews-per-month")
    assert len(per_month) == 12
    assert (per_month["Dec 2025"], per_month["Oct 2026"], per_month["Nov 2026"]) == ("0", "1", "3")
