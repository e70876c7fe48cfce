"""Notices are rendered from templates; text a customer typed never becomes markup."""

from datetime import UTC, datetime

from models.notification import NoticeKind
from notifications.sender import with_notice_header
from notifications.templates import render_notice

CONTEXT = {
    "reference": "CMP-2026-000001",
    "kind_label": "complaint",
    "product": "Pump <b>P-200</b>",
    "lot_number": "L1",
    "quantity_affected": 3,
    "severity": "major",
    "description": "<script>alert('x')</script> leaks",
    "customer_name": "Jane & Co",
    "reply_due_at": datetime(2026, 12, 1, 16, 0, tzinfo=UTC),
    "next_steps": "quality assesses it.",
    "summary": "<img src=x onerror=alert(1)> replaced",
    "department": "quality",
    "task_label": "Quality assessment",
    "task_due_at": datetime(2026, 11, 30, 16, 0, tzinfo=UTC),
}


def test_every_notice_kind_renders_with_the_reference():
    for kind in NoticeKind:
        rendered = render_notice(kind, CONTEXT)
        assert "CMP-2026-000001" in rendered.subject + rendered.body_text
        assert "CMP-2026-000001" in rendered.body_html


def test_customer_text_is_escaped_in_html_mail():
    ack = render_notice(NoticeKind.acknowledgement, CONTEXT)
    assert "<script>" not in ack.body_html
    assert "&lt;script&gt;" in ack.body_html
    assert "Jane &amp; Co" in ack.body_html
    resolution = render_notice(NoticeKind.resolution, CONTEXT)
    assert "<img" not in resolution.body_html
    assert "&lt;img src=x" in resolution.body_html


def test_acknowledgement_tells_the_customer_when_to_expect_an_answer():
    ack = render_notice(NoticeKind.acknowledgement, CONTEXT)
    assert "2026-12-01 16:00 UTC" in ack.body_text
    assert "What happens next" in ack.body_text


def test_the_notice_id_travels_as_a_mail_header():
    url = with_notice_header("mailto://127.0.0.1:25?to=a@example.com", 42)
    assert url.endswith("&%2BX-Notice-Id=42")
    assert with_notice_header("json://example.com/hook", 42) == "json://example.com/hook"
