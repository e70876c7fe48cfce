"""The notice ledger: each notice is a row before it is sent, and is sent at most once.

pending -> sending (leased) -> sent, or failed (retried with backoff until the attempts run
out), or unknown: the lease ran out while sending, so the SMTP server may have taken the
mail before we could record it. Unknown notices are held for a person, never resent
automatically (``resend_notice`` is that person's tool).
"""

from datetime import timedelta

from sqlmodel import Session, col, or_, select, update

from models.notification import NoticeKind, NoticeStatus, Notification
from notifications.sender import Notifier
from notifications.templates import RenderedNotice
from workflow.clock import utcnow
from workflow.config import get_settings
from workflow.db import read_session, write_session
from workflow.deadlines import stop_clocks
from workflow.history import record_history
from workflow.rules import Step
from workflow.transitions import lock_complaint_by_id, touch


def queue_notice(
    session: Session,
    *,
    complaint_id: int | None,
    kind: NoticeKind,
    recipient: str,
    target_url: str,
    rendered: RenderedNotice,
    dedupe_key: str,
) -> Notification:
    """Add the notice to the ledger in the caller's transaction (once per ``dedupe_key``)."""
    existing = session.exec(
        select(Notification).where(Notification.dedupe_key == dedupe_key)
    ).first()
    if existing is not None:
        return existing
    notice = Notification(
        complaint_id=complaint_id,
        kind=kind,
        recipient=recipient,
        target_url=target_url,
        subject=rendered.subject,
        body_text=rendered.body_text,
        body_html=rendered.body_html,
        dedupe_key=dedupe_key,
        created_at=utcnow(),
    )
    session.add(notice)
    session.flush()
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


def _record_sent(notice_id: int) -> None:
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
        if notice.complaint_id is None:  # a digest belongs to no complaint
            session.commit()
            return
        complaint = lock_complaint_by_id(session, notice.complaint_id)
        if notice.kind is NoticeKind.acknowledgement and complaint.acknowledged_at is None:
            touch(session, complaint, acknowledged_at=now)
            stop_clocks(session, notice.complaint_id, {Step.acknowledgement})
        record_history(
            session,
            complaint_id=notice.complaint_id,
            actor="flow:notify",
            action="notice_sent",
            changes={"notice_id": notice.id, "kind": notice.kind, "recipient": notice.recipient},
        )
        session.commit()


def _record_failure(notice_id: int, error: str) -> NoticeStatus:
    settings = get_settings()
    with write_session() as session:
        notice = session.get(Notification, notice_id)
        if notice is None or notice.status != NoticeStatus.sending:
            return notice.status if notice else NoticeStatus.failed
        notice.status = NoticeStatus.failed
        notice.last_error = error[:2000]
        notice.lease_until = None
        gave_up = notice.attempts >= settings.notice_max_attempts
        notice.next_attempt_at = (
            None if gave_up else utcnow() + timedelta(seconds=_backoff_seconds(notice.attempts))
        )
        session.add(notice)
        if gave_up and notice.complaint_id is not None:
            lock_complaint_by_id(session, notice.complaint_id)
            record_history(
                session,
                complaint_id=notice.complaint_id,
                actor="flow:notify",
                action="notice_failed",
                changes={"notice_id": notice.id, "kind": notice.kind, "attempts": notice.attempts},
                reason=notice.last_error,
            )
        session.commit()
        return notice.status


def send_notice(notice_id: int, notifier: Notifier) -> NoticeStatus | None:
    """One attempt at one notice; None if it was not due or is someone else's to send."""
    notice = _claim(notice_id)
    if notice is None:
        return None
    try:
        result = notifier.send(
            target_url=notice.target_url,
            subject=notice.subject,
            body_html=notice.body_html or notice.body_text,
            notice_id=notice_id,
        )
    except Exception as exc:  # a notifier bug must not leave the lease dangling
        return _record_failure(notice_id, f"{type(exc).__name__}: {exc}")
    if result.delivered:
        _record_sent(notice_id)
        return NoticeStatus.sent
    return _record_failure(notice_id, result.error or "not delivered")


def due_notice_ids(limit: int = 500) -> list[int]:
    """Notices waiting for a first attempt or a retry whose time has come."""
    now = utcnow()
    with read_session() as session:
        rows = session.exec(
            select(Notification.id)
            .where(
                or_(
                    Notification.status == NoticeStatus.pending,
                    (Notification.status == NoticeStatus.failed)
                    & col(Notification.next_attempt_at).is_not(None)
                    & (col(Notification.next_attempt_at) <= now),
                )
            )
            .order_by(col(Notification.id))
            .limit(limit)
        ).all()
    return [r for r in rows if r is not None]


def hold_expired_sends() -> int:
    """Notices whose sender died mid-send become ``unknown``: held for a person."""
    now = utcnow()
    with write_session() as session:
        result = session.exec(
            update(Notification)
            .where(
                Notification.status == NoticeStatus.sending,
                col(Notification.lease_until) < now,
            )
            .values(
                status=NoticeStatus.unknown,
                lease_until=None,
                last_error="sender stopped mid-send; delivery unknown, held for review",
            )
        )
        session.commit()
        return result.rowcount or 0


def resend_notice(notice_id: int, *, by: str) -> None:
    """A person releases a held (unknown or given-up) notice for one more attempt."""
    with write_session() as session:
        notice = session.get(Notification, notice_id)
        if notice is None or notice.status not in (NoticeStatus.unknown, NoticeStatus.failed):
            return
        notice.status = NoticeStatus.pending
        notice.next_attempt_at = None
        session.add(notice)
        if notice.complaint_id is None:
            session.commit()
            return
        lock_complaint_by_id(session, notice.complaint_id)
        record_history(
            session,
            complaint_id=notice.complaint_id,
            actor=by,
            action="notice_released",
            changes={"notice_id": notice.id, "kind": notice.kind},
        )
        session.commit()
