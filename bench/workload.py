"""What a benchmark sends, and how it finds out when a complaint has been routed."""

import time
from collections import Counter
from typing import Any

from sqlmodel import col, select

from bench.stack import BenchStack
from models.complaint import Complaint
from models.task import Task
from workflow.db import read_session
from workflow.rules import TaskKind

ACK_SUBJECT = "We have received"


def complaint_body(index: int) -> dict[str, Any]:
    return {
        "kind": "complaint",
        "channel": "phone",
        "product": f"Pump P-{200 + index % 7}",
        "lot_number": f"L-2026-{index % 500:03d}",
        "quantity_affected": 1 + index % 20,
        "description": "Seal leaks after two hours of operation.",
        "remedy_sought": "replace",
        "severity": ("minor", "major", "critical")[index % 3] if index % 10 == 0 else "minor",
        "customer": {"name": f"Customer {index}", "email": f"customer{index}@example.com"},
    }


def intake_request(token: str):
    headers = {"Authorization": f"Bearer {token}"}

    def request_for(index: int) -> dict[str, Any]:
        return {
            "method": "POST",
            "url": "/api/v1/complaints",
            "json": complaint_body(index),
            "headers": headers,
        }

    return request_for


def task_times(references: list[str]) -> dict[str, float]:
    """When quality's task was opened, per complaint (epoch seconds)."""
    found: dict[str, float] = {}
    with read_session() as session:
        for start in range(0, len(references), 500):
            chunk = references[start : start + 500]
            rows = session.exec(
                select(Complaint.reference, Task.created_at)
                .join(Task, col(Task.case_id) == Complaint.id)
                .where(
                    col(Complaint.reference).in_(chunk), Task.kind == TaskKind.quality_assessment
                )
            ).all()
            found.update({ref: created.timestamp() for ref, created in rows})
    return found


def acknowledgement_times(bench: BenchStack) -> tuple[dict[str, float], Counter[str]]:
    """When the acknowledgement reached the SMTP server, per complaint; and how many mails
    arrived per notice id (anything over 1 is a duplicate)."""
    acks: dict[str, float] = {}
    per_notice: Counter[str] = Counter()
    for when, headers in bench.mails():
        if "X-Notice-Id" in headers:  # the notification floor's plain mails carry none
            per_notice[headers["X-Notice-Id"]] += 1
        subject = headers.get("Subject", "")
        if subject.startswith(ACK_SUBJECT):
            reference = subject.rsplit(" ", 1)[-1]
            acks[reference] = min(when, acks.get(reference, when))
    return acks, per_notice


def wait_until_routed(
    bench: BenchStack, references: list[str], *, timeout: float
) -> tuple[dict[str, float], Counter[str], float]:
    """Wait until every complaint has its quality task and its acknowledgement; returns the
    moment each was done, the mails per notice id, and when the wait ended."""
    deadline = time.monotonic() + timeout
    while True:
        tasks = task_times(references)
        acks, per_notice = acknowledgement_times(bench)
        done = {r: max(tasks[r], acks[r]) for r in references if r in tasks and r in acks}
        if len(done) == len(references) or time.monotonic() > deadline:
            return done, per_notice, time.time()
        time.sleep(0.5)


def wait_until_idle(timeout: float = 600) -> bool:
    """Until the outbox holds nothing to deliver and no notice waits: the backlog of one
    measurement must not be counted in the next."""
    from models.notification import NoticeStatus, Notification
    from models.outbox import EventStatus, OutboxEvent

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with read_session() as session:
            events = session.exec(
                select(OutboxEvent.id).where(OutboxEvent.status != EventStatus.done).limit(1)
            ).first()
            notices = session.exec(
                select(Notification.id)
                .where(col(Notification.status).in_([NoticeStatus.pending, NoticeStatus.sending]))
                .limit(1)
            ).first()
        if events is None and notices is None:
            return True
        time.sleep(0.5)
    return False
