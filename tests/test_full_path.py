"""A complaint from intake to the customer's resolution notice, on real components."""

from datetime import datetime

from tests.support import drain_outbox, mail_body, quality_result


def _mails_about(mailbox, reference: str, to: str) -> list:
    return [m for m in mailbox.snapshot() if reference in m["Subject"] and m["To"] == to]


def test_complaint_goes_from_intake_to_resolution_notice(as_user, mailbox):
    sales, quality = as_user("sales"), as_user("quality")

    created = sales.log_complaint()
    reference = created["reference"]
    assert reference.startswith("CMP-")
    assert created["status"] == "received"
    assert created["due_at"] is not None

    drain_outbox()
    acks = _mails_about(mailbox, reference, "jane@acme.example")
    assert len(acks) == 1
    assert acks[0]["X-Notice-Id"]
    task = quality.open_task(reference, "quality_assessment")
    assert quality.record(reference)["status"] == "with_quality"

    assert quality.post(f"/tasks/{task['id']}/claim").status_code == 200
    done = quality.post(f"/tasks/{task['id']}/complete", json=quality_result())
    assert done.status_code == 200, done.text
    assert quality.record(reference)["status"] == "with_sales"

    drain_outbox()
    review = sales.open_task(reference, "sales_review")
    approved = sales.post(
        f"/tasks/{review['id']}/complete", json={"kind": "sales_review", "approved": True}
    )
    assert approved.status_code == 200, approved.text

    drain_outbox()
    record = sales.record(reference)
    assert record["status"] == "resolved"
    resolution_mails = [
        m
        for m in _mails_about(mailbox, reference, "jane@acme.example")
        if m["Subject"].startswith("Resolution")
    ]
    assert len(resolution_mails) == 1
    body = mail_body(resolution_mails[0])
    assert reference in body
    assert "faulty seal batch" in body

    assert len(_mails_about(mailbox, reference, "jane@acme.example")) == 2
    actions = [(h["actor"], h["action"]) for h in record["history"]]
    assert actions == [
        ("sales", "log_complaint"),
        ("flow:deliver-events", "route_to_quality"),
        ("flow:deliver-events", "task_opened"),
        ("flow:notify", "notice_sent"),
        ("flow:notify", "notice_sent"),
        ("quality", "task_claimed"),
        ("quality", "return_result"),
        ("quality", "task_completed"),
        ("flow:deliver-events", "task_opened"),
        ("flow:notify", "notice_sent"),
        ("sales", "approve_result"),
        ("sales", "task_completed"),
        ("flow:deliver-events", "resolve"),
        ("flow:notify", "notice_sent"),
    ]
    assert [h["seq"] for h in record["history"]] == list(range(1, len(actions) + 1))


def test_history_records_changed_fields_as_iso_timestamps(as_user):
    sales = as_user("sales")
    reference = sales.log_complaint()["reference"]
    drain_outbox()
    opened = [h for h in sales.record(reference)["history"] if h["action"] == "task_opened"]
    due_at = opened[0]["changes"]["due_at"]
    assert "T" in due_at
    assert datetime.fromisoformat(due_at).tzinfo is not None


def test_the_prefect_server_shows_runs_named_after_the_reference(as_user, prefect_api_url):
    from datetime import UTC

    import httpx

    # Each test's database starts its references afresh; the Prefect server is the session's.
    started = datetime.now(UTC).isoformat()
    reference = as_user("sales").log_complaint()["reference"]
    drain_outbox()
    flow_runs = httpx.post(
        f"{prefect_api_url}/flow_runs/filter",
        json={
            "flow_runs": {"name": {"like_": reference}, "start_time": {"after_": started}},
            "limit": 5,
        },
    ).json()
    assert [r["name"] for r in flow_runs] == [reference]
    assert flow_runs[0]["state_type"] == "COMPLETED"
    task_runs = httpx.post(
        f"{prefect_api_url}/task_runs/filter",
        json={
            "task_runs": {"name": {"like_": reference}, "start_time": {"after_": started}},
            "limit": 5,
        },
    ).json()
    assert [r["name"] for r in task_runs] == [f"{reference} complaint.logged"]
