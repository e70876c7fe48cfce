"""The notice ledger: each notice is a row before it is sent, and is sent at most once.

pending -> sending (leased) -> sent, or failed (retried with backoff until the attempts run
out), or unknown: the lease ran out while sending, so the SMTP server may have taken the
mail before we could record it. Unknown notices are held for a person, never resent
automatically (``resend_notice`` is that person's tool).
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import ColumnElement
from sqlmodel import Session, col, func, or_, select, update

from models.base import id_of
from models.notification import NoticeChannel, NoticeKind, NoticeStatus, Notification
from notifications.sender import (
    NOT_DELIVERED,
    NOTIFIER_FAILED,
    DeliveryResult,
    Notifier,
    notice_message_id,
)
from notifications.templates import RenderedNotice
from workflow.clock import utcnow
from workflow.config import get_settings
from workflow.db import read_session, write_session
from workflow.errors import NotFound, RuleViolation

logger = logging.getLogger(__name__)


class NoticeEvent(StrEnum):
    """What became of a notice; the values are the complaint history's action names."""

    sent = "notice_sent"
    gave_up = "notice_failed"
    held = "notice_held"
    released = "notice_released"
    done_by_hand = "notice_done_by_hand"


@dataclass(frozen=True)
class NoticeOutcome:
    event: NoticeEvent
    at: datetime
    actor: str | None = None  # the person who released a notice; None: the notifier
    reason: str | None = None


OutcomeHook = Callable[[Session, Notification, NoticeOutcome], None]
"""Told of each outcome inside the ledger's own transaction, so whatever the caller records
with it (history, clocks) commits or rolls back together with the ledger row."""

BodyFinisher = Callable[[Notification], str]
"""Turns the stored body into the one sent (e.g. fills in what is withheld from staff)."""


def queue_notice(
    session: Session,
    *,
    case_id: int | None,
    kind: NoticeKind,
    recipient: str,
    rendered: RenderedNotice,
    dedupe_key: str,
    channel: NoticeChannel = NoticeChannel.email,
) -> Notification:
    """Add the notice to the ledger in the caller's transaction (once per ``dedupe_key``).

    Only the channel and the recipient are stored: the transport (server, credentials) is
    built from the settings at send time."""
    existing = session.exec(
        select(Notification).where(Notification.dedupe_key == dedupe_key)
    ).first()
    if existing is not None:
        return existing
    notice = Notification(
        case_id=case_id,
        kind=kind,
        channel=channel,
        recipient=recipient,
        subject=rendered.subject,
        body_text=rendered.body_text,
        body_html=rendered.body_html,
        language=rendered.language,
        dedupe_key=dedupe_key,
        created_at=utcnow(),
    )
    session.add(notice)
    session.flush()
    notice.message_id = notice_message_id(id_of(notice))
    session.add(notice)
    return notice


def _claim(notice_id: int) -> Notification | None:
    """Lease the notice for one attempt, or None if it is not ours to send now."""
    settings = get_settings()
    now = utcnow()
    with write_session() as session:
        claimed = session.exec(
            update(Notification)
            .where(
                col(Notification.id) == notice_id,
                col(Notification.status).in_([NoticeStatus.pending, NoticeStatus.failed]),
                or_(
                    col(Notification.next_attempt_at).is_(None),
                    col(Notification.next_attempt_at) <= now,
                ),
            )
            .values(
                status=NoticeStatus.sending,
                attempts=Notification.attempts + 1,
                lease_until=now + timedelta(seconds=settings.notice_lease_seconds),
            )
        )
        session.commit()
        if claimed.rowcount != 1:
            return None
        return session.get(Notification, notice_id)


def _backoff_seconds(attempts: int) -> float:
    base = get_settings().notice_retry_base_seconds
    return min(base * 2 ** (attempts - 1), 3600.0)


def _record_sent(notice_id: int, on_outcome: OutcomeHook) -> None:
    now = utcnow()
    with write_session() as session:
        notice = session.get(Notification, notice_id)
        if notice is None or notice.status != NoticeStatus.sending:
            return
        notice.status = NoticeStatus.sent
        notice.sent_at = now
        notice.lease_until = None
        notice.last_error = None
        session.add(notice)
        on_outcome(session, notice, NoticeOutcome(NoticeEvent.sent, at=now))
        session.commit()


def _record_failure(
    notice_id: int, result: DeliveryResult, on_outcome: OutcomeHook
) -> NoticeStatus:
    settings = get_settings()
    now = utcnow()
    with write_session() as session:
        notice = session.get(Notification, notice_id)
        if notice is None or notice.status != NoticeStatus.sending:
            return notice.status if notice else NoticeStatus.failed
        notice.last_error = (result.error or NOT_DELIVERED)[:2000]
        notice.lease_until = None
        if result.ambiguous:
            _hold_as_unknown(session, notice, on_outcome)
            session.commit()
            return notice.status
        notice.status = NoticeStatus.failed
        gave_up = result.permanent or notice.attempts >= settings.notice_max_attempts
        notice.next_attempt_at = (
            None if gave_up else now + timedelta(seconds=_backoff_seconds(notice.attempts))
        )
        session.add(notice)
        if gave_up:
            outcome = NoticeOutcome(NoticeEvent.gave_up, at=now, reason=notice.last_error)
            on_outcome(session, notice, outcome)
        session.commit()
        return notice.status


def _hold_as_unknown(session: Session, notice: Notification, on_outcome: OutcomeHook) -> None:
    """The SMTP server may have the mail: hold the notice for a person, never resend it."""
    notice.status = NoticeStatus.unknown
    notice.next_attempt_at = None
    session.add(notice)
    reason = f"delivery unknown, held for review: {notice.last_error}"
    on_outcome(session, notice, NoticeOutcome(NoticeEvent.held, at=utcnow(), reason=reason))


def send_notice(
    notice_id: int,
    notifier: Notifier,
    *,
    on_outcome: OutcomeHook,
    finish_body: BodyFinisher | None = None,
) -> NoticeStatus | None:
    """One attempt at one notice; None if it was not due or is someone else's to send."""
    notice = _claim(notice_id)
    if notice is None:
        return None
    try:
        body = finish_body(notice) if finish_body else notice.body_html or notice.body_text
        result = notifier.send(
            channel=notice.channel,
            recipient=notice.recipient,
            subject=notice.subject,
            body_html=body,
            notice_id=notice_id,
            language=notice.language,
        )
    except Exception:  # a notifier bug must not leave the lease dangling
        logger.exception("notice %s: the notifier failed", notice_id)
        result = DeliveryResult(False, NOTIFIER_FAILED)
    if result.delivered:
        _record_sent(notice_id, on_outcome)
        return NoticeStatus.sent
    return _record_failure(notice_id, result, on_outcome)


def due_notice_ids(limit: int = 500) -> list[int]:
    """Notices waiting for a first attempt or a retry whose time has come."""
    now = utcnow()
    with read_session() as session:
        rows = session.exec(
            select(Notification.id)
            .where(
                or_(
                    col(Notification.status) == NoticeStatus.pending,
                    (col(Notification.status) == NoticeStatus.failed)
                    & col(Notification.next_attempt_at).is_not(None)
                    & (col(Notification.next_attempt_at) <= now),
                )
            )
            .order_by(col(Notification.id))
            .limit(limit)
        ).all()
    return [r for r in rows if r is not None]


def hold_expired_sends(*, on_outcome: OutcomeHook) -> int:
    """Notices whose sender died mid-send (lease run out) become ``unknown``: held."""
    now = utcnow()
    with write_session() as session:
        expired = session.exec(
            select(Notification)
            .where(
                Notification.status == NoticeStatus.sending,
                col(Notification.lease_until) < now,
            )
            .with_for_update(skip_locked=True)
        ).all()
        for notice in expired:
            notice.lease_until = None
            notice.last_error = "the sender stopped mid-send; the mail may or may not have gone"
            _hold_as_unknown(session, notice, on_outcome)
        session.commit()
        return len(expired)


def expired_sends_exist() -> bool:
    with read_session() as session:
        query = select(Notification.id).where(
            Notification.status == NoticeStatus.sending, col(Notification.lease_until) < utcnow()
        )
        return session.exec(query.limit(1)).first() is not None


def _is_held() -> ColumnElement[bool]:
    return or_(
        col(Notification.status) == NoticeStatus.unknown,
        (col(Notification.status) == NoticeStatus.failed)
        & col(Notification.next_attempt_at).is_(None),
    )


def count_held_notices(session: Session) -> int:
    return session.exec(select(func.count()).select_from(Notification).where(_is_held())).one()


def held_notices(session: Session, *, limit: int = 100) -> list[Notification]:
    """Notices waiting for a person: delivery unknown, or retries given up."""
    return list(
        session.exec(
            select(Notification).where(_is_held()).order_by(col(Notification.id)).limit(limit)
        )
    )


def _lock_held(session: Session, notice_id: int) -> Notification:
    notice = session.exec(
        select(Notification).where(Notification.id == notice_id).with_for_update()
    ).first()
    if notice is None:
        raise NotFound(f"no notice {notice_id}")
    held = notice.status is NoticeStatus.unknown or (
        notice.status is NoticeStatus.failed and notice.next_attempt_at is None
    )
    if not held:
        raise RuleViolation(f"notice {notice_id} is {notice.status.value}, not held")
    return notice


def resend_notice(notice_id: int, *, by: str, reason: str, on_outcome: OutcomeHook) -> Notification:
    """A person releases a held notice for one more attempt (the relay sends it)."""
    with write_session() as session:
        notice = _lock_held(session, notice_id)
        notice.status = NoticeStatus.pending
        notice.next_attempt_at = None
        session.add(notice)
        outcome = NoticeOutcome(NoticeEvent.released, at=utcnow(), actor=by, reason=reason)
        on_outcome(session, notice, outcome)
        session.commit()
        return notice


def settle_by_hand(
    notice_id: int, *, by: str, reason: str, on_outcome: OutcomeHook
) -> Notification:
    """A person found a held notice delivered after all (or delivered it by other means): it
    counts as sent from now and is never tried again."""
    now = utcnow()
    with write_session() as session:
        notice = _lock_held(session, notice_id)
        notice.status = NoticeStatus.sent
        notice.sent_at = now
        notice.next_attempt_at = None
        session.add(notice)
        on_outcome(
            session,
            notice,
            NoticeOutcome(NoticeEvent.done_by_hand, at=now, actor=by, reason=reason),
        )
        session.commit()
        return notice
