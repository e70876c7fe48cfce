"""The admin area's pages over real HTTP: the start page, held notices and parked events, each
form's success, its refusals in words, the 403 for other roles and the CSRF check."""

import html
import re
import uuid

import pytest
from sqlmodel import select
from typer.testing import CliRunner

from models.complaint import Complaint
from models.history import HistoryEntry
from models.notification import NoticeChannel, NoticeKind, NoticeStatus, Notification
from models.outbox import EventStatus, OutboxEvent
from tests.support import Api
from tests.test_web_pages import browser  # noqa: F401  (the signed-in page client)
from workflow.cli import app as cli
from workflow.clock import utcnow
from workflow.db import read_session, write_session

OTHER_ROLES = ("sales", "quality", "technical", "manager", "gm")
READERS_OF_POLICIES = ("manager", "gm")


def held_notice(
    reference: str,
    *,
    channel: NoticeChannel = NoticeChannel.email,
    kind: NoticeKind = NoticeKind.resolution,
) -> int:
    """A notice the sender stopped sending mid-way: held for a person."""
    with write_session() as session:
        complaint = session.exec(select(Complaint).where(Complaint.reference == reference)).one()
        notice = Notification(
            kind=kind,
            recipient="jane@acme.example"
            if channel is NoticeChannel.email
            else "tgram://123456:SECRET-TOKEN/4242",
            channel=channel,
            subject=f"{reference}: our answer",
            status=NoticeStatus.unknown,
            attempts=1,
            last_error="the sender stopped mid-send; the mail may or may not have gone",
            created_at=utcnow(),
            case_id=complaint.id,
            dedupe_key=f"test:{uuid.uuid4()}",
            body_text="Our answer.",
        )
        session.add(notice)
        session.commit()
        assert notice.id is not None
        return notice.id


def parked_event(reference: str, error: str = "<script>alert(1)</script> boom") -> str:
    with write_session() as session:
        complaint = session.exec(select(Complaint).where(Complaint.reference == reference)).one()
        event = session.exec(select(OutboxEvent).where(OutboxEvent.case_id == complaint.id)).first()
        assert event is not None
        event.status = EventStatus.failed
        event.attempts = 5
        event.last_error = error
        event.failed_at = utcnow()
        session.add(event)
        session.commit()
        return event.id


def notice_status(notice_id: int) -> NoticeStatus:
    with read_session() as session:
        notice = session.get(Notification, notice_id)
        assert notice is not None
        return notice.status


def history_of(reference: str, action: str) -> list[HistoryEntry]:
    with read_session() as session:
        complaint = session.exec(select(Complaint).where(Complaint.reference == reference)).one()
        return list(
            session.exec(
                select(HistoryEntry).where(
                    HistoryEntry.case_id == complaint.id, HistoryEntry.action == action
                )
            )
        )


def flash_text(page: str) -> list[str]:
    found = re.findall(r'class="flash[^"]*"[^>]*>([^<]*)<', page)
    return [html.unescape(re.sub(r"\s+", " ", m)) for m in found]


@pytest.fixture
def reference(base_url) -> str:
    return Api(base_url, "sales").log_complaint()["reference"]


def test_the_start_page_shows_each_admin_section_with_what_waits(browser, reference):  # noqa: F811
    held_notice(reference)
    admin = browser("admin")
    page = admin.client.get("/admin")
    assert page.status_code == 200, page.text
    for title in ("Held notices", "Failed events", "History verification", "Deadline policies"):
        assert title in page.text
    assert re.search(
        r'href="/admin/notices">Held notices</a>.*?<strong>1</strong>', page.text, re.S
    )
    assert '<a href="/admin">Admin</a>' in page.text
    sales = browser("sales")
    assert '<a href="/admin">Admin</a>' not in sales.client.get("/complaints").text
    assert sales.client.get("/admin").status_code == 403


def test_an_admin_releases_a_held_notice_with_a_reason_and_history_says_so(browser, reference):  # noqa: F811
    notice_id = held_notice(reference)
    admin = browser("admin")
    page = admin.client.get("/admin/notices")
    assert page.status_code == 200
    assert "jane@acme.example" in page.text
    assert f'href="/complaints/{reference}"' in page.text
    assert "Delivery unknown: the sender stopped mid-send" in page.text
    answer = admin.form(
        f"/admin/notices/{notice_id}/release",
        {"reason": "Mail server log: never left."},
        page="/admin/notices",
    )
    assert answer.status_code == 303
    assert answer.headers["location"] == "/admin/notices"
    assert notice_status(notice_id) is NoticeStatus.pending
    after = admin.client.get("/admin/notices").text
    assert flash_text(after) == [f"Notice {notice_id} released: the relay sends it once more."]
    assert "No notice is held." in after
    (entry,) = history_of(reference, "notice_released")
    assert (entry.actor, entry.reason) == ("admin", "Mail server log: never left.")


def test_an_admin_marks_a_held_notice_done_and_it_is_never_sent_again(
    base_url,
    browser,  # noqa: F811
    reference,
):
    notice_id = held_notice(reference)
    admin = browser("admin")
    answer = admin.form(
        f"/admin/notices/{notice_id}/done",
        {"reason": "The log shows it delivered at 10:02."},
        page="/admin/notices",
    )
    assert answer.status_code == 303
    assert notice_status(notice_id) is NoticeStatus.sent
    assert "marked done" in flash_text(admin.client.get("/admin/notices").text)[0]
    (entry,) = history_of(reference, "notice_done_by_hand")
    assert (entry.actor, entry.reason) == ("admin", "The log shows it delivered at 10:02.")
    again = Api(base_url, "admin").post(
        f"/admin/notices/{notice_id}/done", json={"reason": "Once more"}
    )
    assert again.status_code == 409, again.text


def test_a_held_acknowledgement_marked_done_counts_as_the_acknowledgement(browser, reference):  # noqa: F811
    notice_id = held_notice(reference, kind=NoticeKind.acknowledgement)
    admin = browser("admin")
    admin.form(f"/admin/notices/{notice_id}/done", {"reason": "Delivered."}, page="/admin")
    with read_session() as session:
        complaint = session.exec(select(Complaint).where(Complaint.reference == reference)).one()
        assert complaint.acknowledged_at is not None


def test_the_api_and_the_cli_mark_a_held_notice_done_too(base_url, reference):
    by_api, by_cli = held_notice(reference), held_notice(reference)
    answer = Api(base_url, "admin").post(
        f"/admin/notices/{by_api}/done", json={"reason": "The log shows it delivered."}
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["status"] == "sent"
    marked = CliRunner().invoke(cli, ["mark-notice-done", str(by_cli), "--reason", "Phoned."])
    assert marked.exit_code == 0, marked.output
    assert marked.output.strip() == f"notice {by_cli} marked done"
    again = CliRunner().invoke(cli, ["mark-notice-done", str(by_cli), "--reason", "Again."])
    assert again.exit_code == 1
    assert "not held" in again.output
    assert {notice_status(by_api), notice_status(by_cli)} == {NoticeStatus.sent}
    reasons = {e.reason for e in history_of(reference, "notice_done_by_hand")}
    assert reasons == {"The log shows it delivered.", "Phoned."}


def test_a_notice_without_a_reason_or_settled_already_is_refused_in_words(browser, reference):  # noqa: F811
    notice_id = held_notice(reference)
    admin = browser("admin")
    blank = admin.form(
        f"/admin/notices/{notice_id}/release", {"reason": "  "}, page="/admin/notices"
    )
    assert blank.status_code == 303
    page = admin.client.get("/admin/notices").text
    assert flash_text(page) == [
        "Please say why (at least three characters): it goes into the complaint's history."
    ]
    assert notice_status(notice_id) is NoticeStatus.unknown
    admin.form(f"/admin/notices/{notice_id}/done", {"reason": "Delivered."}, page="/admin")
    late = admin.form(
        f"/admin/notices/{notice_id}/release", {"reason": "Send it again."}, page="/admin"
    )
    assert late.status_code == 303
    words = flash_text(admin.client.get("/admin/notices").text)
    assert words[0].startswith(f"Notice {notice_id} is no longer held: someone released it")
    assert notice_status(notice_id) is NoticeStatus.sent
    missing = admin.form("/admin/notices/999999/done", {"reason": "Delivered."}, page="/admin")
    assert missing.status_code == 303
    assert flash_text(admin.client.get("/admin").text) == ["Notice 999999 does not exist."]


def test_an_apprise_targets_token_never_shows_on_the_page(browser, reference):  # noqa: F811
    held_notice(reference, channel=NoticeChannel.apprise)
    page = browser("admin").client.get("/admin/notices").text
    assert "SECRET-TOKEN" not in page
    assert "tgram://…" in page


def test_an_admin_retries_a_parked_event_and_its_error_is_shown_escaped(browser, reference):  # noqa: F811
    event_id = parked_event(reference)
    admin = browser("admin")
    page = admin.client.get("/admin/events")
    assert page.status_code == 200
    assert "<script>alert(1)</script>" not in page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt; boom" in page.text
    assert f'href="/complaints/{reference}"' in page.text
    blank = admin.form(f"/admin/events/{event_id}/retry", {"reason": ""}, page="/admin/events")
    assert blank.status_code == 303
    assert "Please say why" in flash_text(admin.client.get("/admin/events").text)[0]
    done = admin.form(
        f"/admin/events/{event_id}/retry", {"reason": "Fixed the policy."}, page="/admin/events"
    )
    assert done.status_code == 303
    after = admin.client.get("/admin/events").text
    assert flash_text(after) == ["Event sent round again with a fresh count of attempts."]
    assert "No event is parked." in after
    (entry,) = history_of(reference, "event_retried")
    assert (entry.actor, entry.reason) == ("admin", "Fixed the policy.")
    again = admin.form(f"/admin/events/{event_id}/retry", {"reason": "Again."}, page="/admin")
    assert again.status_code == 303
    assert "no longer parked" in flash_text(admin.client.get("/admin").text)[0]


@pytest.mark.parametrize("user", OTHER_ROLES)
def test_the_admin_pages_are_refused_to_other_roles(browser, reference, user):  # noqa: F811
    notice_id = held_notice(reference)
    event_id = parked_event(reference)
    client = browser(user)
    # Managers see the admin area for its read-only deadline policies, nothing else.
    refused = ["/admin/notices", "/admin/events"]
    if user not in READERS_OF_POLICIES:
        refused.append("/admin")
    for path in refused:
        answer = client.client.get(path)
        assert answer.status_code == 403, path
        assert "Not for your role" in answer.text
    for path in (
        f"/admin/notices/{notice_id}/release",
        f"/admin/notices/{notice_id}/done",
        f"/admin/events/{event_id}/retry",
    ):
        assert client.form(path, {"reason": "Trying."}, page="/complaints").status_code == 403
    assert notice_status(notice_id) is NoticeStatus.unknown


def test_the_admin_forms_refuse_a_request_without_this_sessions_token(browser, reference):  # noqa: F811
    notice_id = held_notice(reference)
    event_id = parked_event(reference)
    admin = browser("admin")
    for path in (
        f"/admin/notices/{notice_id}/release",
        f"/admin/notices/{notice_id}/done",
        f"/admin/events/{event_id}/retry",
    ):
        answer = admin.client.post(path, data={"reason": "Forged.", "csrf_token": "forged"})
        assert answer.status_code == 403, path
        assert "did not come from this site" in answer.text
    assert notice_status(notice_id) is NoticeStatus.unknown
