"""Sending queued notices, and what their outcome means for the complaint.

The ledger (``notifications/ledger.py``) knows only notices; it reports each outcome through
the hook given here, inside its own transaction, and the workflow records its side in that
same transaction: the history entry, and for a sent acknowledgement the acknowledgement
clock and ``acknowledged_at``. Flows and admin routes call these functions, never the
ledger's directly.
"""

from sqlmodel import Session

from models.complaint import Complaint
from models.enums import HistoryAction
from models.notification import NoticeKind, NoticeStatus, Notification
from notifications import ledger
from notifications.ledger import NoticeEvent, NoticeOutcome
from notifications.sender import notifier
from workflow.calls import meet_acknowledgement
from workflow.cases import lock_case_by_id
from workflow.company import current_company
from workflow.history import record_history
from workflow.notices import personal_body
from workflow.password_links import body_with_link
from workflow.rules import ACKNOWLEDGING_NOTICE

NOTIFIER = "flow:notify"


def record_notice_outcome(session: Session, notice: Notification, outcome: NoticeOutcome) -> None:
    """The workflow's side of a notice's outcome (digests belong to no complaint)."""
    if notice.case_id is None:
        return
    case = lock_case_by_id(session, notice.case_id)
    record_history(
        session,
        case_id=notice.case_id,
        actor=outcome.actor or NOTIFIER,
        action=HistoryAction(outcome.event.value),
        changes={
            "notice_id": notice.id,
            "kind": notice.kind,
            "recipient": notice.recipient,
            "attempts": notice.attempts,
        },
        reason=outcome.reason,
    )
    delivered = outcome.event in (NoticeEvent.sent, NoticeEvent.done_by_hand)
    if delivered and notice.kind.value == ACKNOWLEDGING_NOTICE:
        assert isinstance(case, Complaint), "only a complaint is acknowledged"
        meet_acknowledgement(session, case, outcome.at)


def body_to_send(notice: Notification) -> str:
    """The stored body with what is withheld from the ledger filled in (tokens, links)."""
    if notice.kind is NoticeKind.password_reset:
        return body_with_link(notice)
    return personal_body(notice)


def deliver_notice(notice_id: int) -> NoticeStatus | None:
    """One attempt at one notice; None if it was not due or is someone else's to send."""
    # The company's display name is read for each notice: a change on the admin page shows in
    # the next mail this process sends.
    sender = notifier(from_name=current_company().mail_display_name)
    return ledger.send_notice(
        notice_id, sender, on_outcome=record_notice_outcome, finish_body=body_to_send
    )


def hold_expired_sends() -> int:
    """Notices whose sender died mid-send are held for a person (and said so in history)."""
    return ledger.hold_expired_sends(on_outcome=record_notice_outcome)


def release_notice(notice_id: int, *, by: str, reason: str) -> Notification:
    """A person releases a held notice for one more attempt (the relay sends it)."""
    return ledger.resend_notice(notice_id, by=by, reason=reason, on_outcome=record_notice_outcome)


def mark_notice_done(notice_id: int, *, by: str, reason: str) -> Notification:
    """A person settles a held notice as delivered (found in the mail server's log, or told by
    other means); it is never sent again, and the history says who and why."""
    return ledger.settle_by_hand(notice_id, by=by, reason=reason, on_outcome=record_notice_outcome)
