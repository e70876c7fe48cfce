"""A real local SMTP server (aiosmtpd) that keeps every mail it receives, for development and
tests. Each message is stored as an ``.eml`` file and kept in memory."""

import threading
import time
import uuid
from email import message_from_bytes
from email.message import Message
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session


class MailStore:
    def __init__(self, directory: Path | None) -> None:
        self.directory = directory
        self.messages: list[Message] = []
        self._lock = threading.Lock()
        if directory:
            directory.mkdir(parents=True, exist_ok=True)

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:  # noqa: N802 - aiosmtpd's name
        raw = envelope.original_content or b""
        message = message_from_bytes(raw)
        with self._lock:
            self.messages.append(message)
        if self.directory:
            name = f"{time.strftime('%Y%m%dT%H%M%S')}-{uuid.uuid4().hex[:8]}.eml"
            (self.directory / name).write_bytes(raw)
        return "250 Message accepted for delivery"

    def snapshot(self) -> list[Message]:
        with self._lock:
            return list(self.messages)


class SmtpCatcher:
    """Start and stop the server; ``store.messages`` holds what arrived."""

    def __init__(
        self, host: str = "127.0.0.1", port: int = 1025, directory: Path | None = None
    ) -> None:
        self.store = MailStore(directory)
        self.host = host
        self.port = port
        self._controller: Controller | None = None

    def start(self) -> "SmtpCatcher":
        self._controller = Controller(
            self.store, hostname=self.host, port=self.port, decode_data=False
        )
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def __enter__(self) -> "SmtpCatcher":
        return self.start()

    def __exit__(self, *_: Any) -> None:
        self.stop()
