"""The development inbound mail listener: a real local SMTP server (aiosmtpd) that takes
every mail sent to it, to any address, into the same intake as the IMAP reader.

It answers 250 only once the mail's intake has committed, and 451 (try again later) if the
intake failed: the sending server keeps the mail and retries, and the retry is found done if
the first attempt did commit."""

import asyncio
import logging
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from workflow.mail_intake import take_mail

logger = logging.getLogger(__name__)


class IntakeHandler:
    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:  # noqa: N802 - aiosmtpd's name
        raw = envelope.original_content or b""
        try:
            outcome = await asyncio.to_thread(take_mail, raw)
        except Exception:
            logger.exception("inbound mail from %s not taken", envelope.mail_from)
            return "451 Requested action aborted: error in processing"
        return f"250 Message accepted ({outcome.value})"


class InboundSmtp:
    """Start and stop the listener (``with InboundSmtp(host, port): ...``)."""

    def __init__(self, host: str = "127.0.0.1", port: int = 2525) -> None:
        self.host = host
        self.port = port
        self._controller: Controller | None = None

    def start(self) -> "InboundSmtp":
        self._controller = Controller(
            IntakeHandler(), hostname=self.host, port=self.port, decode_data=False
        )
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def __enter__(self) -> "InboundSmtp":
        return self.start()

    def __exit__(self, *_: Any) -> None:
        self.stop()
