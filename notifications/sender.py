"""Sending one notice to one target. One fresh Apprise object per message: a reused one is
throttled by the plugin's rate limit to about one message in five seconds."""

import logging
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import parse_qs, quote, urlsplit

import apprise
import apprise.plugins.email.base as apprise_email


@dataclass(frozen=True)
class DeliveryResult:
    delivered: bool
    error: str | None = None
    ambiguous: bool = False  # the server may have taken the mail: never resend automatically


# A mail transaction that broke off like this may have been accepted by the server.
AMBIGUOUS_MARKERS = ("timed out", "unexpectedly closed", "reset by peer", "broken pipe")


def is_ambiguous(log: str) -> bool:
    """Did the failure happen mid-transaction (after the server took the message data)?"""
    lowered = log.lower()
    return "sending email to" in lowered and any(m in lowered for m in AMBIGUOUS_MARKERS)


class Notifier(Protocol):
    def send(
        self, *, target_url: str, subject: str, body_html: str, notice_id: int
    ) -> DeliveryResult: ...


def with_notice_header(target_url: str, notice_id: int) -> str:
    """Add our ``X-Notice-Id`` mail header so a message can be matched to its ledger row."""
    if not target_url.lower().startswith(("mailto:", "mailtos:")):
        return target_url
    separator = "&" if "?" in target_url else "?"
    return f"{target_url}{separator}{quote('+X-Notice-Id')}={notice_id}"


class _ThreadCapture(logging.Handler):
    """Apprise reports a failure's reason only in its (global) log, and sends run in several
    threads at once: each send collects the lines of its own thread, and warnings go on to
    our log. Nothing of Apprise's debug output reaches the application's handlers."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self._lines: dict[int, list[str]] = {}
        self.setFormatter(logging.Formatter("%(levelname)s - %(message)s"))

    @contextmanager
    def capture(self) -> Iterator[list[str]]:
        ident, lines = threading.get_ident(), []
        self._lines[ident] = lines
        try:
            yield lines
        finally:
            self._lines.pop(ident, None)

    def emit(self, record: logging.LogRecord) -> None:
        lines = self._lines.get(record.thread or 0)
        if lines is not None:
            lines.append(self.format(record))
        if record.levelno >= logging.WARNING:
            logging.getLogger(__name__).handle(record)


_capture = _ThreadCapture()
_apprise_log = logging.getLogger("apprise")
_apprise_log.addHandler(_capture)
_apprise_log.setLevel(logging.DEBUG)
_apprise_log.propagate = False


_plain_smtp: ContextVar[bool] = ContextVar("plain_smtp", default=False)


class _SslSeenByAppriseEmail:
    """The ``ssl`` module as Apprise's e-mail plugin sees it.

    The plugin builds a certificate-verifying context (loading the whole CA bundle) for every
    message, even one sent over plain SMTP that never uses it: in a burst that was 40 % of the
    relay's CPU. A send to a plain-SMTP target (``mode=insecure``) gets a bare context it will
    not use; every TLS send still gets the full default context.
    """

    def __getattr__(self, name: str) -> Any:
        return getattr(ssl, name)

    @staticmethod
    def create_default_context(*args: Any, **kwargs: Any) -> ssl.SSLContext:
        if _plain_smtp.get():
            return ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        return ssl.create_default_context(*args, **kwargs)


apprise_email.ssl = _SslSeenByAppriseEmail()  # type: ignore[assignment]


def is_plain_smtp(target_url: str) -> bool:
    parts = urlsplit(target_url)
    modes = parse_qs(parts.query).get("mode", [])
    return parts.scheme == "mailto" and modes == ["insecure"]


class AppriseNotifier:
    def send(
        self, *, target_url: str, subject: str, body_html: str, notice_id: int
    ) -> DeliveryResult:
        token = _plain_smtp.set(is_plain_smtp(target_url))
        try:
            return self._send(target_url, subject, body_html, notice_id)
        finally:
            _plain_smtp.reset(token)

    def _send(
        self, target_url: str, subject: str, body_html: str, notice_id: int
    ) -> DeliveryResult:
        sender = apprise.Apprise()
        if not sender.add(with_notice_header(target_url, notice_id)):
            return DeliveryResult(False, "Apprise does not accept this target URL")
        with _capture.capture() as lines:
            delivered = sender.notify(
                title=subject, body=body_html, body_format=apprise.NotifyFormat.HTML
            )
        if delivered:
            return DeliveryResult(True)
        log = "\n".join(lines)
        reasons = [line for line in lines if line.startswith("WARNING") or "Exception" in line]
        reason = "\n".join(reasons).strip() or "not delivered"
        return DeliveryResult(False, reason[-2000:], ambiguous=is_ambiguous(log))
