"""The admin area: its start page, held notices and parked events, each handled with a reason.

Refusals (no reason, a notice someone else settled first) come back on the page as a flash
message in words, after a redirect like every success (post-redirect-get).
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated
from urllib.parse import urlsplit
from uuid import UUID

from fastapi import Form, Path, Request, status
from fastapi.responses import RedirectResponse, Response
from sqlmodel import Session

from api.deps import SessionDep
from api.web.pages import flash, render
from api.web.routes import page_router
from api.web.session import WebActor, page_for
from models.notification import NoticeChannel, NoticeStatus, Notification
from notifications.ledger import count_held_notices, held_notices
from workflow.delivery import mark_notice_done, release_notice
from workflow.errors import NotAllowed, NotFound, RuleViolation
from workflow.outbox import count_failed_events, failed_events, retry_event
from workflow.queries import case_references
from workflow.rules import Action, Actor, may

router = page_router()
NoticeId = Annotated[int, Path(ge=1, le=2**62)]
Reason = Annotated[str, Form(max_length=2_000)]
SHORTEST_REASON = 3
HELD_BECAUSE = {
    NoticeStatus.unknown: "Delivery unknown",
    NoticeStatus.failed: "Every attempt failed",
}
NO_REASON = "Please say why (at least three characters): it goes into the complaint's history."


@dataclass(frozen=True)
class AdminSection:
    title: str
    href: str
    action: Action
    purpose: str
    count: Callable[[Session], int] | None = None


SECTIONS = [
    AdminSection(
        "Held notices",
        "/admin/notices",
        Action.release_notices,
        "Mails whose delivery is unknown or whose retries ran out: release or mark done.",
        count_held_notices,
    ),
    AdminSection(
        "Failed events",
        "/admin/events",
        Action.retry_events,
        "Workflow events whose handler failed on every attempt: retry once the cause is fixed.",
        count_failed_events,
    ),
    AdminSection(
        "History verification",
        "/admin/history",
        Action.verify_history,
        "Check that no entry of the tamper-evident history was changed or removed.",
    ),
    AdminSection(
        "Deadline policies",
        "/admin/policies",
        Action.read_policies,
        "The time each step is given, and every change to it with its reason.",
    ),
    AdminSection(
        "Business calendar",
        "/admin/calendar",
        Action.read_policies,
        "Closure days besides public holidays: deadlines in business time do not count them.",
    ),
    AdminSection(
        "Users",
        "/admin/users",
        Action.manage_users,
        "Staff accounts: create, change role or department, deactivate, send a password link.",
    ),
    AdminSection(
        "Company profile",
        "/admin/company",
        Action.edit_company_profile,
        "The name, logo, address, signature and mail display name on every mail and page.",
    ),
]


@dataclass(frozen=True)
class SectionCard:
    section: AdminSection
    count: int | None


@router.get("/admin")
def admin_start_page(request: Request, session: SessionDep, actor: WebActor) -> Response:
    cards = [
        SectionCard(section, section.count(session) if section.count else None)
        for section in SECTIONS
        if may(actor.role, section.action)
    ]
    if not cards:
        raise NotAllowed(f"role {actor.role!r} has no part of the admin area")
    return render(request, "admin_start.html", {"title": "Administration", "cards": cards})


def masked_recipient(notice: Notification) -> str:
    """An Apprise target's URL may carry its service's token: only its scheme is shown."""
    if notice.channel is NoticeChannel.apprise:
        return f"{urlsplit(notice.recipient).scheme or 'apprise'}://…"
    return notice.recipient


def _back(path: str) -> Response:
    return RedirectResponse(path, status_code=status.HTTP_303_SEE_OTHER)


def _has_reason(request: Request, reason: str) -> bool:
    if len(reason.strip()) >= SHORTEST_REASON:
        return True
    flash(request, NO_REASON, "error")
    return False


@dataclass(frozen=True)
class HeldNoticeRow:
    id: int
    kind: str
    recipient: str
    subject: str
    reference: str | None
    why: str
    since: datetime
    attempts: int


def _notice_row(notice: Notification, references: dict[int, str]) -> HeldNoticeRow:
    assert notice.id is not None
    return HeldNoticeRow(
        id=notice.id,
        kind=notice.kind.value,
        recipient=masked_recipient(notice),
        subject=notice.subject,
        reference=references.get(notice.case_id or -1),
        why=f"{HELD_BECAUSE[notice.status]}: {notice.last_error or 'no error recorded'}",
        since=notice.created_at,
        attempts=notice.attempts,
    )


@router.get("/admin/notices")
def held_notices_page(
    request: Request,
    session: SessionDep,
    _: Annotated[Actor, page_for(Action.release_notices)],
) -> Response:
    notices = held_notices(session)
    references = case_references(session, {n.case_id for n in notices})
    rows = [_notice_row(n, references) for n in notices]
    return render(request, "admin_notices.html", {"title": "Held notices", "notices": rows})


def _settle_notice(
    request: Request, settle: Callable[..., Notification], notice_id: int, actor: Actor, reason: str
) -> bool:
    try:
        settle(notice_id, by=actor.name, reason=reason.strip())
    except NotFound:
        flash(request, f"Notice {notice_id} does not exist.", "error")
        return False
    except RuleViolation:
        flash(
            request,
            f"Notice {notice_id} is no longer held: someone released it or marked it done "
            "already. The list below is up to date.",
            "error",
        )
        return False
    return True


@router.post("/admin/notices/{notice_id}/release")
def release_notice_page(
    request: Request,
    notice_id: NoticeId,
    actor: Annotated[Actor, page_for(Action.release_notices)],
    reason: Reason = "",
) -> Response:
    if _has_reason(request, reason) and _settle_notice(
        request, release_notice, notice_id, actor, reason
    ):
        flash(request, f"Notice {notice_id} released: the relay sends it once more.")
    return _back("/admin/notices")


@router.post("/admin/notices/{notice_id}/done")
def mark_notice_done_page(
    request: Request,
    notice_id: NoticeId,
    actor: Annotated[Actor, page_for(Action.release_notices)],
    reason: Reason = "",
) -> Response:
    if _has_reason(request, reason) and _settle_notice(
        request, mark_notice_done, notice_id, actor, reason
    ):
        flash(request, f"Notice {notice_id} marked done: it counts as sent and is not sent again.")
    return _back("/admin/notices")


@router.get("/admin/events")
def failed_events_page(
    request: Request,
    session: SessionDep,
    _: Annotated[Actor, page_for(Action.retry_events)],
) -> Response:
    events = failed_events(session)
    return render(request, "admin_events.html", {"title": "Failed events", "events": events})


@router.post("/admin/events/{event_id}/retry")
def retry_event_page(
    request: Request,
    event_id: UUID,
    actor: Annotated[Actor, page_for(Action.retry_events)],
    reason: Reason = "",
) -> Response:
    if not _has_reason(request, reason):
        return _back("/admin/events")
    try:
        retry_event(str(event_id), by=actor.name, reason=reason.strip())
    except NotFound:
        flash(request, "That event does not exist.", "error")
    except RuleViolation:
        flash(request, "That event is no longer parked: someone retried it already.", "error")
    else:
        flash(request, "Event sent round again with a fresh count of attempts.")
    return _back("/admin/events")
