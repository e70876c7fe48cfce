"""Contract and order review on the complaint's engine, over HTTP with the real delivery flow,
the real Prefect server and the SMTP catcher: sales' entry, the departments' answers in
parallel, renegotiation, the review meeting and the general manager's approval, the
customer's answer once, the ledger entry; the role checks on the way."""

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import select

from models.base import id_of
from models.deadline import Deadline
from models.history import HistoryEntry
from tests.capa_support import production_user
from tests.support import Api, drain_outbox, freeze_at, mail_body
from workflow.db import read_session
from workflow.history_verify import verify_history

BERLIN = ZoneInfo("Europe/Berlin")
FIVE = ["sales", "quality", "technical", "procurement", "production"]
CUSTOMER = {
    "name": "Ines Ortega",
    "company": "Bombas Ortega SL",
    "email": "ines@ortega.example",
    "language": "en",
}
YES = {"requirements_clear": True, "requirements_agreed": True, "legal_requirements_met": True}


def answers_for(department: str, **noes: bool) -> dict[str, bool]:
    answers = {**YES, "on_time": True}
    if department == "sales":
        answers |= {"customer_can_pay": True, "margin_acceptable": True}
    return answers | noes


def contract(**overrides: Any) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "kind": "contract",
        "customer": CUSTOMER,
        "title": "Supply of 6,000 P-200 pumps, 2027 to 2029",
        "order_reference": "BO-FA-2027",
        "value": "1250000.00",
        "currency": "CNY",
        "quantity": 6000,
        "requested_delivery": "2027-03-01",
        "requirements": "P-200 to drawing 4711 rev C; 500 pumps a quarter; pallets of 20.",
        "channel": "email",
        "special_criteria": ["exceeds_capacity"],
    }
    return payload | overrides


def start(sales: Api, **overrides: Any) -> dict[str, Any]:
    answer = sales.post("/reviews", json=contract(**overrides))
    assert answer.status_code == 201, answer.text
    return answer.json()


def review(user: Api, reference: str) -> dict[str, Any]:
    answer = user.get(f"/reviews/{reference}")
    assert answer.status_code == 200, answer.text
    return answer.json()


def task_of(user: Api, reference: str, department: str) -> dict[str, Any]:
    tasks = [
        t
        for t in review(user, reference)["tasks"]
        if t["department"] == department and t["status"] in ("open", "claimed")
    ]
    assert len(tasks) == 1, tasks
    return tasks[0]


def answer(user: Api, task_id: int, department: str, verdict: str = "can_meet", **extra: Any):
    body = {
        "kind": "department_review",
        "verdict": verdict,
        "answers": answers_for(department, **extra.pop("noes", {})),
        **extra,
    }
    return user.post(f"/tasks/{task_id}/complete", json=body)


def mails_to(mailbox: Any, address: str) -> list[Any]:
    return [m for m in mailbox.snapshot() if m["To"] == address]


def test_a_special_contract_is_reviewed_by_five_departments_renegotiated_and_approved(
    as_user, mailbox
):
    sales, gm = as_user("sales"), as_user("gm")
    workers = {d: as_user(d) for d in FIVE}
    started = start(sales)
    reference = started["reference"]
    assert reference.startswith(f"CR-{date.today().year}-")
    assert started["special"] is True
    assert set(started["special_criteria"]) == {"exceeds_capacity", "high_value"}
    assert started["status"] == "in_review"
    drain_outbox()

    tasks = {d: task_of(sales, reference, d) for d in FIVE}
    assert {t["department"] for t in tasks.values()} == set(FIVE)
    assert "customer_can_pay" in tasks["sales"]["questions"]
    assert "customer_can_pay" not in tasks["quality"]["questions"]
    assert mails_to(mailbox, "procurement@example.com"), "procurement is told of its task"

    # A department cannot answer another's review; a no is never a plain can meet.
    refused = answer(workers["quality"], tasks["technical"]["id"], "technical")
    assert refused.status_code == 403, refused.text
    refused = answer(workers["quality"], tasks["quality"]["id"], "quality", noes={"on_time": False})
    assert refused.status_code == 422, refused.text

    for department in ("sales", "quality", "technical", "procurement"):
        done = answer(workers[department], tasks[department]["id"], department)
        assert done.status_code == 200, done.text
    conditional = answer(
        workers["production"],
        tasks["production"]["id"],
        "production",
        "can_meet_with_conditions",
        noes={"on_time": False},
        conditions="First delivery 2027-04-01: the second line starts in March.",
    )
    assert conditional.status_code == 200, conditional.text
    drain_outbox()
    state = review(sales, reference)
    assert state["status"] == "with_sales"
    assert "renegotiate_review" in state["available_actions"]
    assert "accept_review" not in state["available_actions"]  # special: the GM's
    assert mails_to(mailbox, "sales@example.com")

    # Sales renegotiate: only production is asked again, the others' answers stand.
    renegotiated = sales.post(
        f"/reviews/{reference}/decision",
        json={"decision": "renegotiate", "reason": "Customer agrees to start in April."},
    )
    assert renegotiated.status_code == 200, renegotiated.text
    assert renegotiated.json()["round"] == 2
    drain_outbox()
    second = task_of(sales, reference, "production")
    assert second["round"] == 2
    assert [t for t in review(sales, reference)["tasks"] if t["status"] == "open"] == [second]
    done = answer(workers["production"], second["id"], "production")
    assert done.status_code == 200, done.text
    drain_outbox()
    assert review(sales, reference)["status"] == "with_sales"

    # Special: a review meeting, then only the general manager approves.
    refused = sales.post(f"/reviews/{reference}/decision", json={"decision": "accept"})
    assert refused.status_code == 409, refused.text
    met = sales.post(
        f"/reviews/{reference}/meeting",
        json={
            "held_on": date.today().isoformat(),
            "attendees": ["Sam Sales", "Pat Production", "Grace General-Manager"],
            "minutes": "Capacity confirmed with the second line from April.",
        },
    )
    assert met.status_code == 200, met.text
    assert met.json()["status"] == "awaiting_approval"
    drain_outbox()
    gm_mails = mails_to(mailbox, "gm@example.com")
    assert any(reference in m["Subject"] for m in gm_mails), [m["Subject"] for m in gm_mails]
    refused = sales.post(f"/reviews/{reference}/decision", json={"decision": "approve"})
    assert refused.status_code == 403, refused.text

    approved = gm.post(f"/reviews/{reference}/decision", json={"decision": "approve"})
    assert approved.status_code == 200, approved.text
    decided = approved.json()
    assert decided["status"] == "accepted"
    assert decided["customer_answer"] == "accepted"  # production's condition was renegotiated
    assert decided["contract_reference"].startswith("CT-")
    drain_outbox()
    drain_outbox()
    told = mails_to(mailbox, CUSTOMER["email"])
    assert len(told) == 1, [m["Subject"] for m in told]
    assert decided["contract_reference"] in mail_body(told[0])
    demand = [m for m in mails_to(mailbox, "production@example.com") if "demand" in m["Subject"]]
    assert len(demand) == 1
    assert decided["contract_reference"] in demand[0]["Subject"]

    with read_session() as session:
        entries = session.exec(
            select(HistoryEntry.action).where(HistoryEntry.case_id == _case_id(reference))
        ).all()
    assert verify_history().intact
    assert {"start_review", "answer_review", "renegotiate_review", "record_review_meeting"} <= set(
        entries
    )
    assert {"approve_review", "contract_entered"} <= set(entries)


def _case_id(reference: str) -> int:
    from models.review import Review

    with read_session() as session:
        found = session.exec(select(Review.id).where(Review.reference == reference)).one()
    assert found is not None
    return found


def test_a_regular_phone_order_is_confirmed_before_sales_accept_it(as_user, mailbox):
    sales = as_user("sales")
    workers = {d: as_user(d) for d in FIVE}
    refused = sales.post(
        "/reviews",
        json=contract(
            kind="order",
            value="25000",
            special_criteria=[],
            channel="phone",
            departments=["sales", "production"],
        ),
    )
    assert refused.status_code == 422, refused.text  # leaving departments out needs a reason
    started = start(
        sales,
        kind="order",
        value="25000",
        special_criteria=[],
        channel="phone",
        departments=["sales", "production"],
        reason="Standard pumps from stock: quality, technical and procurement have nothing "
        "to review.",
    )
    reference = started["reference"]
    assert (started["special"], started["confirmation_needed"]) == (False, True)
    drain_outbox()
    assert {t["department"] for t in review(sales, reference)["tasks"]} == {"sales", "production"}
    for department in ("sales", "production"):
        task = task_of(sales, reference, department)
        assert answer(workers[department], task["id"], department).status_code == 200
    drain_outbox()

    refused = sales.post(f"/reviews/{reference}/decision", json={"decision": "accept"})
    assert refused.status_code == 409, refused.text
    assert "confirmation" in refused.text
    confirmed = sales.post(
        f"/reviews/{reference}/confirmation",
        json={
            "confirmed_with": "Ines Ortega",
            "confirmed_on": date.today().isoformat(),
            "summary": "200 P-200 pumps, drawing 4711 rev C, delivery 2027-03-01, CNY 25,000.",
        },
    )
    assert confirmed.status_code == 200, confirmed.text
    accepted = sales.post(f"/reviews/{reference}/decision", json={"decision": "accept"})
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["contract_reference"].startswith("CT-")
    drain_outbox()
    assert len(mails_to(mailbox, CUSTOMER["email"])) == 1


def test_the_general_manager_rejects_a_special_contract_with_a_reason(as_user, mailbox):
    sales, gm = as_user("sales"), as_user("gm")
    workers = {d: as_user(d) for d in FIVE}
    reference = start(sales)["reference"]
    drain_outbox()
    for department in FIVE:
        task = task_of(sales, reference, department)
        assert answer(workers[department], task["id"], department).status_code == 200
    drain_outbox()
    met = sales.post(
        f"/reviews/{reference}/meeting",
        json={
            "held_on": date.today().isoformat(),
            "attendees": ["Sam Sales", "Grace General-Manager"],
            "minutes": "Margin below target.",
        },
    )
    assert met.status_code == 200, met.text
    refused = gm.post(f"/reviews/{reference}/decision", json={"decision": "reject"})
    assert refused.status_code == 422, refused.text  # a rejection says why
    rejected = gm.post(
        f"/reviews/{reference}/decision",
        json={"decision": "reject", "reason": "The margin does not carry the capacity risk."},
    )
    assert rejected.status_code == 200, rejected.text
    assert rejected.json()["status"] == "rejected"
    assert rejected.json()["customer_answer"] == "declined"
    assert rejected.json()["contract_reference"] is None
    drain_outbox()
    told = mails_to(mailbox, CUSTOMER["email"])
    assert len(told) == 1
    assert "cannot accept" in mail_body(told[0])


def test_a_department_review_is_reminded_and_escalated_on_its_own_clock(as_user, mailbox):
    from tests.support import sweep

    sales = as_user("sales")
    freeze_at(datetime(2026, 11, 23, 9, 0, tzinfo=BERLIN))  # a Monday
    reference = start(sales, special_criteria=[], value="50000")["reference"]
    drain_outbox()
    task = task_of(sales, reference, "technical")
    due = datetime.fromisoformat(task["due_at"])
    assert due == datetime(2026, 11, 26, 9, 0, tzinfo=BERLIN)  # three business days
    with read_session() as session:
        clock = session.exec(select(Deadline).where(Deadline.task_id == task["id"])).one()
        assert (clock.step, clock.department, clock.cycle) == ("department_review", "technical", 1)

    freeze_at(datetime(2026, 11, 25, 16, 0, tzinfo=BERLIN))
    sweep()
    drain_outbox()
    reminders = [
        m for m in mails_to(mailbox, "technical@example.com") if "Reminder" in m["Subject"]
    ]
    assert reminders
    assert reference in reminders[0]["Subject"]

    freeze_at(datetime(2026, 11, 27, 10, 0, tzinfo=BERLIN))
    sweep()
    drain_outbox()
    overdue = [m for m in mailbox.snapshot() if "OVERDUE" in (m["Subject"] or "")]
    assert any(reference in m["Subject"] for m in overdue), [m["Subject"] for m in overdue]
    assert "Regular contract" in mail_body(overdue[0])


def test_a_departments_question_goes_to_the_customer_and_pauses_the_clocks(as_user, mailbox):
    sales, technical = as_user("sales"), as_user("technical")
    freeze_at(datetime(2026, 11, 23, 9, 0, tzinfo=BERLIN))  # a Monday
    reference = start(sales, special_criteria=[], value="50000")["reference"]
    drain_outbox()
    due = datetime.fromisoformat(task_of(sales, reference, "quality")["due_at"])

    asked = technical.post(
        f"/reviews/{reference}/questions",
        json={"question": "Which seal material does drawing 4711 rev C call for?"},
    )
    assert asked.status_code == 200, asked.text
    assert asked.json()["status"] == "waiting_on_customer"
    drain_outbox()
    question = mails_to(mailbox, CUSTOMER["email"])
    assert len(question) == 1
    assert "seal material" in mail_body(question[0])
    task = task_of(sales, reference, "quality")
    refused = answer(as_user("quality"), task["id"], "quality")
    assert refused.status_code == 409, refused.text  # the round waits for the customer
    (listed,) = sales.get("/reviews").json()["items"]
    paused = "the customer's answer to a question; every clock is paused"
    assert (listed["waiting_on"], listed["due_at"]) == (paused, None)
    assert review(sales, reference)["waiting_on"] == paused

    freeze_at(datetime(2026, 11, 24, 9, 0, tzinfo=BERLIN))  # one business day later
    refused = technical.post(
        f"/reviews/{reference}/customer-answer", json={"answer": "FKM, per the drawing."}
    )
    assert refused.status_code == 403, refused.text  # sales record the customer's answer
    resumed = sales.post(
        f"/reviews/{reference}/customer-answer", json={"answer": "FKM, per the drawing."}
    )
    assert resumed.status_code == 200, resumed.text
    assert resumed.json()["status"] == "in_review"
    moved = datetime.fromisoformat(task_of(sales, reference, "quality")["due_at"])
    assert moved == datetime(2026, 11, 27, 9, 0, tzinfo=BERLIN)  # the day paused added
    assert moved > due
    (listed,) = sales.get("/reviews").json()["items"]
    assert datetime.fromisoformat(listed["due_at"]) == moved


def test_an_approval_waiting_for_the_general_manager_is_reminded_and_escalated(as_user, mailbox):
    from tests.support import sweep

    sales = as_user("sales")
    workers = {d: as_user(d) for d in FIVE}
    freeze_at(datetime(2026, 11, 23, 9, 0, tzinfo=BERLIN))  # a Monday
    reference = start(sales)["reference"]
    drain_outbox()
    for department in FIVE:
        task = task_of(sales, reference, department)
        assert answer(workers[department], task["id"], department).status_code == 200
    drain_outbox()
    met = sales.post(
        f"/reviews/{reference}/meeting",
        json={
            "held_on": "2026-11-23",
            "attendees": ["Sam Sales", "Grace General-Manager"],
            "minutes": "Capacity confirmed.",
        },
    )
    assert met.status_code == 200, met.text
    drain_outbox()
    with read_session() as session:
        clock = session.exec(
            select(Deadline).where(Deadline.step == "review_approval", Deadline.met_at.is_(None))  # type: ignore[union-attr]
        ).one()
        assert (clock.department, clock.cycle) == ("management", 1)
        assert clock.due_at == datetime(2026, 11, 26, 9, 0, tzinfo=BERLIN)

    freeze_at(datetime(2026, 11, 27, 9, 0, tzinfo=BERLIN))  # a day late
    sweep()
    drain_outbox()
    overdue = [m for m in mails_to(mailbox, "gm@example.com") if "OVERDUE" in m["Subject"]]
    assert overdue, [m["Subject"] for m in mails_to(mailbox, "gm@example.com")]
    assert reference in overdue[0]["Subject"]
    assert "general manager's approval" in overdue[0]["Subject"]

    approved = as_user("gm").post(f"/reviews/{reference}/decision", json={"decision": "approve"})
    assert approved.status_code == 200, approved.text
    with read_session() as session:
        stopped = session.exec(select(Deadline).where(Deadline.step == "review_approval")).one()
    assert stopped.met_at is not None


def test_a_retried_start_with_the_same_idempotency_key_starts_one_review(as_user):
    sales = as_user("sales")
    key = {"Idempotency-Key": "bo-fa-2027-first-entry"}
    first = sales.post("/reviews", json=contract(), headers=key)
    assert first.status_code == 201, first.text
    again = sales.post("/reviews", json=contract(), headers=key)
    assert again.status_code == 200, again.text
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json()["reference"] == first.json()["reference"]
    other = sales.post("/reviews", json=contract(title="Another contract"), headers=key)
    assert other.status_code == 422, other.text
    with read_session() as session:
        from models.review import Review

        assert len(session.exec(select(Review)).all()) == 1


def test_the_list_of_reviews_puts_the_open_ones_first_with_what_they_wait_for(as_user):
    sales, quality = as_user("sales"), as_user("quality")
    first = start(sales, special_criteria=[], value="50000")["reference"]
    second = start(sales, special_criteria=[], value="60000")["reference"]
    withdrawn = sales.post(
        f"/reviews/{first}/decision",
        json={"decision": "withdraw", "reason": "The customer called it off."},
    )
    assert withdrawn.status_code == 200, withdrawn.text
    drain_outbox()
    listed = quality.get("/reviews").json()["items"]
    assert [r["reference"] for r in listed] == [second, first]
    waiting = "the answers of sales, quality, technical, procurement, production"
    assert listed[0]["waiting_on"] == waiting
    assert review(quality, second)["waiting_on"] == waiting
    assert (listed[1]["waiting_on"], listed[1]["due_at"]) == (None, None)  # withdrawn
    open_ones = quality.get("/reviews", params={"status": "open"}).json()["items"]
    assert [r["reference"] for r in open_ones] == [second]
    assert quality.get("/reviews", params={"status": "nonsense"}).status_code == 422


def test_a_review_task_a_colleague_claimed_is_answered_by_them_not_by_another(base_url, as_user):
    sales, production = as_user("sales"), as_user("production")
    colleague = production_user(base_url)
    reference = sales_and_production_order(sales)
    task = task_of(production, reference, "production")
    assert production.post(f"/tasks/{task['id']}/claim").status_code == 200
    for attempt in (
        colleague.post(f"/tasks/{task['id']}/claim"),
        answer(colleague, task["id"], "production"),
    ):
        assert attempt.status_code == 409, attempt.text
        assert (
            attempt.json()["detail"] == "this review task is claimed by a colleague: they answer it"
        )
    still = task_of(production, reference, "production")
    assert (still["status"], still["assignee"]) == ("claimed", "production")
    assert answer(production, task["id"], "production").status_code == 200


def sales_and_production_order(sales: Api) -> str:
    """A regular order only sales and production review, its tasks open."""
    reference = start(
        sales,
        kind="order",
        value="25000",
        special_criteria=[],
        departments=["sales", "production"],
        reason="Standard pumps from stock: only sales and production review.",
    )["reference"]
    drain_outbox()
    return reference


def _user_id(username: str) -> int:
    from models.user import User

    with read_session() as session:
        user = session.exec(select(User).where(User.username == username)).one()
        return id_of(user)


def test_review_tasks_are_in_the_task_list_and_are_handed_on_like_a_complaints(
    base_url, as_user, mailbox
):
    sales, production, gm = as_user("sales"), as_user("production"), as_user("gm")
    colleague = production_user(base_url)
    reference = sales_and_production_order(sales)
    listed = production.get("/tasks", params={"department": "production"}).json()["items"]
    assert [(t["complaint_reference"], t["kind"]) for t in listed] == [
        (reference, "department_review")
    ]
    task_id = listed[0]["id"]

    # The holder hands it to a colleague, who gets a mail naming the review.
    assert production.post(f"/tasks/{task_id}/claim").status_code == 200
    given = production.post(
        f"/tasks/{task_id}/assign",
        json={"user_id": _user_id("petra"), "reason": "Petra plans the line."},
    )
    assert given.status_code == 200, given.text
    assert (given.json()["status"], given.json()["assignee"]) == ("claimed", "petra")
    drain_outbox()
    (told,) = mails_to(mailbox, "petra@example.com")
    assert reference in told["Subject"]
    assert "Contract review" in mail_body(told)
    assert "Petra plans the line." in mail_body(told)
    assert answer(production, task_id, "production").status_code == 409  # petra's now
    outsider = sales.post(f"/tasks/{task_id}/assign", json={"user_id": _user_id("sales")})
    assert outsider.status_code == 403, outsider.text

    # Put back in the queue with a reason; the general manager hands out any task.
    back = colleague.post(f"/tasks/{task_id}/unclaim", json={"reason": "Away on Monday."})
    assert back.status_code == 200, back.text
    assert (back.json()["status"], back.json()["assignee"]) == ("open", None)
    handed = gm.post(f"/tasks/{task_id}/assign", json={"user_id": _user_id("production")})
    assert handed.status_code == 200, handed.text
    assert answer(production, task_id, "production").status_code == 200
    with read_session() as session:
        actions = [
            e.action
            for e in session.exec(
                select(HistoryEntry).where(HistoryEntry.case_id == _case_id(reference))
            )
        ]
    assert actions.count("task_assigned") == 2
    assert actions.count("task_unclaimed") == 1
    finished = production.post(f"/tasks/{task_id}/unclaim", json={"reason": "Late."})
    assert finished.status_code == 409, finished.text
