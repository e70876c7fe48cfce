"""5. Notifications: e-mails per second through the notification path (template, Apprise,
delivery log), against plain smtplib sending the same messages to the same server."""

import smtplib
import time
from concurrent.futures import ThreadPoolExecutor
from email.message import EmailMessage

import httpx
from sqlmodel import select

from bench.report import Figure, Results, at_least
from bench.stack import BenchStack, token
from bench.workload import complaint_body, wait_until_idle
from models.complaint import Complaint
from models.notification import NoticeKind, NoticeStatus
from notifications.ledger import queue_notice
from notifications.templates import render_notice
from workflow.db import write_session
from workflow.delivery import deliver_notice

THREADS = 4


def _queue(count: int, reference: str) -> tuple[list[int], object]:
    with write_session() as session:
        complaint = session.exec(select(Complaint).where(Complaint.reference == reference)).one()
        rendered = render_notice(
            NoticeKind.acknowledgement,
            {
                "reference": reference,
                "kind_label": "complaint",
                "product": complaint.product,
                "customer_name": "Bench",
                "reply_due_at": complaint.reply_due_at,
                "kind": "complaint",
                "investigated": True,
                "description": complaint.description,
                "status_url": None,
            },
        )
        ids = [
            queue_notice(
                session,
                case_id=complaint.id,
                kind=NoticeKind.acknowledgement,
                recipient=f"bench{i}@example.com",
                rendered=rendered,
                dedupe_key=f"bench:{reference}:{i}",
            ).id
            for i in range(count)
        ]
        session.commit()
    return ids, rendered  # type: ignore[return-value]


def _smtplib_send(bench: BenchStack, rendered, index: int) -> None:
    message = EmailMessage()
    message["Subject"] = rendered.subject
    message["From"] = bench.settings.mail_from
    message["To"] = f"floor{index}@example.com"
    message.set_content(rendered.body_text)
    message.add_alternative(rendered.body_html, subtype="html")
    with smtplib.SMTP(bench.settings.smtp_host, bench.settings.smtp_port, timeout=10) as smtp:
        smtp.send_message(message)


def measure_notifications(results: Results, bench: BenchStack, *, count: int) -> None:
    """The relay is stopped meanwhile: it would otherwise take some of the queued notices
    (the ledger's lease lets only one sender have each), and the rate would count skips."""
    wait_until_idle()
    bench.stop_process("relay")
    try:
        _measure(results, bench, count)
    finally:
        bench.start_relay()


def _measure(results: Results, bench: BenchStack, count: int) -> None:
    answer = httpx.post(
        f"{bench.api_url}/api/v1/complaints",
        json=complaint_body(7),
        headers={"Authorization": f"Bearer {token(bench.api_url)}"},
    )
    answer.raise_for_status()
    ids, rendered = _queue(count, answer.json()["reference"])
    mails_before = len(bench.mails())

    began = time.perf_counter()
    with ThreadPoolExecutor(THREADS) as pool:
        outcomes = list(pool.map(deliver_notice, ids))
    ours = count / (time.perf_counter() - began)

    began = time.perf_counter()
    with ThreadPoolExecutor(THREADS) as pool:
        list(pool.map(lambda i: _smtplib_send(bench, rendered, i), range(count)))
    floor = count / (time.perf_counter() - began)

    sent = outcomes.count(NoticeStatus.sent)
    arrived = len(bench.mails()) - mails_before
    results.add(
        Figure(
            "notifications",
            "e-mails per second, template + Apprise + delivery log",
            ours,
            "mails/s",
            floor,
            "plain smtplib, same server",
            ">= 20/s",
            at_least(ours, 20),
            f"{count} notices, {THREADS} threads; {sent} sent; {arrived} arrived incl. the floor's",
        )
    )
