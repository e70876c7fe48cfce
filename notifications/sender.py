"""Sending one notice to one target. One fresh Apprise object per message: a reused one is
throttled by the plugin's rate limit to about one message in five seconds."""

import logging
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import quote

import apprise


@dataclass(frozen=True)
class DeliveryResult:
    delivered: bool
    error: str | None = None


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


class AppriseNotifier:
    def send(
        self, *, target_url: str, subject: str, body_html: str, notice_id: int
    ) -> DeliveryResult:
        sender = apprise.Apprise()
        if not sender.add(with_notice_header(target_url, notice_id)):
            return DeliveryResult(False, "Apprise does not accept this target URL")
        with apprise.LogCapture(level=logging.WARNING) as captured:
            delivered = sender.notify(
                title=subject, body=body_html, body_format=apprise.NotifyFormat.HTML
            )
            reason = captured.getvalue().strip()
        if delivered:
            return DeliveryResult(True)
        return DeliveryResult(False, (reason or "not delivered")[-2000:])
