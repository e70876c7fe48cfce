"""Sending one notice to one target. One fresh Apprise object per message: a reused one is
throttled by the plugin's rate limit to about one message in five seconds.

Staff see only a short, generic reason for a failed send (``last_error``): a raw connection
error would tell an open port from a closed one. The detail goes to the server log.
"""

import logging
import ssl
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import parse_qs, quote, urlsplit

import apprise
import apprise.plugins.email.base as apprise_email

from models.notification import NoticeChannel
from notifications.targets import (
    UnsafeTarget,
    email_target_url,
    is_public_address,
    literal_address,
    resolve_public,
    validate_target,
)
from workflow.config import get_settings

logger = logging.getLogger(__name__)

NOT_DELIVERED = "not delivered: the mail server could not be reached or did not take the message"
DELIVERY_UNKNOWN = "delivery unknown: the connection broke off while the message was being sent"
TARGET_REFUSED = "refused: this notification target is not allowed"
NOTIFIER_FAILED = "not delivered: internal error (see the server log)"


@dataclass(frozen=True)
class DeliveryResult:
    delivered: bool
    error: str | None = None  # short and generic: shown to staff
    ambiguous: bool = False  # the server may have taken the mail: never resend automatically
    permanent: bool = False  # can never succeed as it is (a refused target): no retry


# A mail transaction that broke off like this may have been accepted by the server.
AMBIGUOUS_MARKERS = ("timed out", "unexpectedly closed", "reset by peer", "broken pipe")


def is_ambiguous(log: str) -> bool:
    """Did the failure happen mid-transaction (after the server took the message data)?"""
    lowered = log.lower()
    return "sending email to" in lowered and any(m in lowered for m in AMBIGUOUS_MARKERS)


class Notifier(Protocol):
    def send(
        self,
        *,
        channel: str,
        recipient: str,
        subject: str,
        body_html: str,
        notice_id: int,
        language: str | None = None,
    ) -> DeliveryResult: ...


def with_notice_header(target_url: str, notice_id: int, language: str | None = None) -> str:
    """Add our ``X-Notice-Id`` mail header so a message can be matched to its ledger row, and
    ``Content-Language`` for a mail written in the customer's language (Apprise's e-mail
    plugin sends every ``+Name=value`` of the URL as a header)."""
    if not target_url.lower().startswith(("mailto:", "mailtos:")):
        return target_url
    separator = "&" if "?" in target_url else "?"
    url = f"{target_url}{separator}{quote('+X-Notice-Id')}={notice_id}"
    return f"{url}&{quote('+Content-Language')}={quote(language)}" if language else url


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
        ident, lines = threading.get_ident(), list[str]()
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
            logger.handle(record)


_capture = _ThreadCapture()
_plain_smtp: ContextVar[bool] = ContextVar("plain_smtp", default=False)
_message_id: ContextVar[str | None] = ContextVar("message_id", default=None)
_apprise_make_msgid = apprise_email.make_msgid


def notice_message_id(notice_id: int) -> str:
    """The ``Message-ID`` of a notice's mail: kept in the ledger, so a customer's reply
    (``In-Reply-To``/``References``) and a bounce name the notice it answers."""
    domain = get_settings().mail_from.rpartition("@")[2] or "localhost"
    return f"<notice-{notice_id}@{domain}>"


def _our_message_id(idstring: str | None = None, domain: str | None = None) -> str:
    """Apprise makes a random Message-ID for each mail and does not tell it: a notice's mail
    carries the one the ledger keeps instead."""
    return _message_id.get() or _apprise_make_msgid(idstring, domain)


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


class _PublicOnly:
    """While a customer's target is sent to, every socket this thread connects must reach a
    public address: checked on the address actually connected to, so a name that resolves to
    a public address for our check and to a private one a moment later (DNS rebinding) is
    still refused."""

    def __init__(self) -> None:
        self.refused: list[str] = []


_public_only: ContextVar[_PublicOnly | None] = ContextVar("public_only", default=None)


def _refuse_private_connects(event: str, args: tuple[Any, ...]) -> None:
    if event != "socket.connect":
        return
    guard = _public_only.get()
    if guard is None:
        return
    address = args[1]
    host = str(address[0]) if isinstance(address, tuple) and address else None
    ip = literal_address(host) if host else None
    if ip is None or not is_public_address(ip):
        guard.refused.append(repr(address))
        raise PermissionError(f"connection to the non-public address {address!r} refused")


_install_lock = threading.Lock()
_installed: list[bool] = []


def install() -> None:
    """Once per process: Apprise's log into ours, the plain-SMTP shortcut around its ``ssl``,
    and the guard on the addresses a customer's target connects to (an audit hook)."""
    with _install_lock:
        if _installed:
            return
        apprise_log = logging.getLogger("apprise")
        apprise_log.addHandler(_capture)
        apprise_log.setLevel(logging.DEBUG)
        apprise_log.propagate = False
        apprise_email.ssl = _SslSeenByAppriseEmail()  # type: ignore[assignment]
        apprise_email.make_msgid = _our_message_id
        sys.addaudithook(_refuse_private_connects)
        _installed.append(True)


def is_plain_smtp(target_url: str) -> bool:
    parts = urlsplit(target_url)
    modes = parse_qs(parts.query).get("mode", [])
    return parts.scheme == "mailto" and modes == ["insecure"]


def check_connects_to_public(url: str) -> None:
    """Resolve every host the target would connect to (the SMTP server an e-mail target
    implies, too); UnsafeTarget if any address is not public."""
    plugin = apprise.Apprise.instantiate(url)
    if plugin is None:
        raise UnsafeTarget("Apprise does not accept this target")
    hosts = {h for h in (plugin.host, getattr(plugin, "smtp_host", None)) if h}
    if not hosts:
        raise UnsafeTarget("notification target has no host")
    for host in hosts:
        resolve_public(host, plugin.port or 0)


class AppriseNotifier:
    def __init__(self, from_name: str | None = None) -> None:
        install()
        self.from_name = from_name  # the From: display name of e-mail; None: the settings'

    def send(
        self,
        *,
        channel: str,
        recipient: str,
        subject: str,
        body_html: str,
        notice_id: int,
        language: str | None = None,
    ) -> DeliveryResult:
        if channel == NoticeChannel.email:
            url = email_target_url(recipient, from_name=self.from_name)
            return self._deliver(url, subject, body_html, notice_id, language)
        public_only = not get_settings().allow_private_targets
        try:
            url = validate_target(recipient)
            if public_only:
                check_connects_to_public(url)
        except UnsafeTarget as exc:
            logger.warning("notice %s: target refused before sending: %s", notice_id, exc)
            return DeliveryResult(False, TARGET_REFUSED, permanent=True)
        guard = _PublicOnly() if public_only else None
        token = _public_only.set(guard)
        try:
            result = self._deliver(url, subject, body_html, notice_id, language)
        finally:
            _public_only.reset(token)
        if guard is not None and guard.refused:
            logger.warning("notice %s: refused connections to %s", notice_id, guard.refused)
            return DeliveryResult(False, TARGET_REFUSED, permanent=True)
        return result

    def _deliver(
        self,
        target_url: str,
        subject: str,
        body_html: str,
        notice_id: int,
        language: str | None = None,
    ) -> DeliveryResult:
        token = _plain_smtp.set(is_plain_smtp(target_url))
        message_token = _message_id.set(notice_message_id(notice_id))
        try:
            return self._send(target_url, subject, body_html, notice_id, language)
        finally:
            _message_id.reset(message_token)
            _plain_smtp.reset(token)

    def _send(
        self,
        target_url: str,
        subject: str,
        body_html: str,
        notice_id: int,
        language: str | None = None,
    ) -> DeliveryResult:
        sender = apprise.Apprise()
        if not sender.add(with_notice_header(target_url, notice_id, language)):
            logger.warning("notice %s: Apprise does not accept the target URL", notice_id)
            return DeliveryResult(False, NOT_DELIVERED)
        with _capture.capture() as lines:
            delivered = sender.notify(
                title=subject, body=body_html, body_format=apprise.NotifyFormat.HTML
            )
        if delivered:
            return DeliveryResult(True)
        log = "\n".join(lines)
        reasons = [line for line in lines if line.startswith("WARNING") or "Exception" in line]
        logger.warning("notice %s not delivered: %s", notice_id, "\n".join(reasons) or log)
        if is_ambiguous(log):
            return DeliveryResult(False, DELIVERY_UNKNOWN, ambiguous=True)
        return DeliveryResult(False, NOT_DELIVERED)


def notifier(from_name: str | None = None) -> Notifier:
    """The notifier the workflow sends through, mailing as ``from_name``."""
    return AppriseNotifier(from_name)
