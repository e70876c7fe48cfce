"""Fault injection for the fault tests: slow mail servers, crashing senders, relay processes."""

import asyncio
import os
import signal
import subprocess
import sys
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP
from sqlmodel import col, func, select

from models.complaint import Complaint
from models.notification import Notification
from models.task import Task
from notifications.sender import AppriseNotifier, DeliveryResult
from notifications.smtp_catcher import MailStore
from workflow.db import read_session


class SlowMailStore(MailStore):
    """A real SMTP server that takes ``delay`` seconds to answer each message."""

    def __init__(self, delay: float) -> None:
        super().__init__(None)
        self.delay = delay

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        await asyncio.sleep(self.delay)
        return await super().handle_DATA(server, session, envelope)


def start_smtp(store: MailStore, port: int) -> Controller:
    controller = Controller(store, hostname="127.0.0.1", port=port)
    controller.start()
    return controller


class _SlowToGreet(SMTP):
    greeting_delay = 30.0

    async def _handle_client(self) -> None:
        await asyncio.sleep(self.greeting_delay)
        await super()._handle_client()


class SlowGreetingController(Controller):
    """A real SMTP server that waits ``delay`` seconds after a connection before its greeting,
    as an overloaded or tarpitting mail server does."""

    def __init__(self, store: MailStore, port: int, delay: float) -> None:
        super().__init__(store, hostname="127.0.0.1", port=port)
        self.delay = delay

    def factory(self) -> SMTP:
        server = _SlowToGreet(self.handler, **self.SMTP_kwargs)
        server.greeting_delay = self.delay
        return server


class ProcessDies(BaseException):
    """Stands for the process being killed: not an Exception, so nothing catches it."""


class DiesAfterSending(AppriseNotifier):
    """Sends for real, then the process 'dies' before the ledger records it."""

    def send(self, **kwargs: Any) -> DeliveryResult:
        super().send(**kwargs)
        raise ProcessDies


class DiesBeforeSending(AppriseNotifier):
    def send(self, **kwargs: Any) -> DeliveryResult:
        raise ProcessDies


def start_relay() -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "flows.relay"], env=dict(os.environ))


def relay_whose_handler_kills_it() -> None:
    """The relay, with a handler for new complaints that kills the process (``python -c``)."""
    from flows import relay
    from workflow import routing
    from workflow.rules import EventKind

    def die(*_: object) -> list:
        os._exit(9)

    routing.HANDLERS[EventKind.complaint_logged] = die
    relay.main()


def start_relay_whose_handler_kills_it() -> subprocess.Popen:
    code = "from tests.faults import relay_whose_handler_kills_it; relay_whose_handler_kills_it()"
    return subprocess.Popen([sys.executable, "-c", code], env=dict(os.environ))


def stop(process: subprocess.Popen, sig: int = signal.SIGTERM) -> None:
    if process.poll() is None:
        process.send_signal(sig)
    process.wait(timeout=30)


def counts() -> dict[str, int]:
    with read_session() as session:
        return {
            "complaints": session.exec(select(func.count()).select_from(Complaint)).one(),
            "tasks": session.exec(select(func.count()).select_from(Task)).one(),
            "notices": session.exec(select(func.count()).select_from(Notification)).one(),
        }


def tasks_per_complaint() -> dict[str, int]:
    with read_session() as session:
        rows = session.exec(
            select(Complaint.reference, func.count(col(Task.id)))
            .join(Task, col(Task.case_id) == Complaint.id, isouter=True)
            .group_by(Complaint.reference)
        ).all()
    return dict(rows)


def notices() -> list[Notification]:
    with read_session() as session:
        return list(session.exec(select(Notification).order_by(col(Notification.id))))
