"""Reading the complaints mailbox over IMAP (imap-tools): every unseen mail goes through the
mail intake, and only after its intake has committed is it flagged seen on the server. A
crash in between leaves it unseen: the next run reads it again and finds it taken."""

import logging
import ssl
from collections import Counter
from dataclasses import dataclass

from imap_tools import AND, BaseMailBox, MailBox, MailBoxUnencrypted, MailMessageFlags

from models.mail import MailOutcome
from workflow.config import Settings, get_settings
from workflow.mail_intake import take_mail

logger = logging.getLogger(__name__)
IMAP_TIMEOUT_SECONDS = 30


@dataclass(frozen=True)
class MailboxRun:
    read: int
    outcomes: dict[str, int]


def _connect(settings: Settings) -> BaseMailBox:
    if settings.imap_tls:
        context = ssl.create_default_context()
        box: BaseMailBox = MailBox(
            settings.imap_host,
            settings.imap_port,
            timeout=IMAP_TIMEOUT_SECONDS,
            ssl_context=context,
        )
    else:
        box = MailBoxUnencrypted(
            settings.imap_host, settings.imap_port, timeout=IMAP_TIMEOUT_SECONDS
        )
    return box.login(settings.imap_user, settings.imap_password, settings.imap_folder)


def _flag_taken(box: BaseMailBox, uid: str) -> None:
    box.flag(uid, MailMessageFlags.SEEN, True)


def read_mailbox(settings: Settings | None = None) -> MailboxRun:
    """Take the unseen mails of the folder (at most ``CW_IMAP_BATCH`` a run)."""
    settings = settings or get_settings()
    if not settings.imap_host:
        return MailboxRun(read=0, outcomes={})
    outcomes: Counter[MailOutcome] = Counter()
    with _connect(settings) as box:
        for message in box.fetch(
            AND(seen=False), mark_seen=False, limit=settings.imap_batch, bulk=False
        ):
            outcomes[take_mail(message.obj.as_bytes())] += 1
            if message.uid:
                _flag_taken(box, message.uid)
    return MailboxRun(
        read=sum(outcomes.values()), outcomes={k.value: v for k, v in outcomes.items()}
    )
