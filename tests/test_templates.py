"""Notices are rendered from templates; text a customer typed never becomes markup."""

from datetime import UTC, datetime

from models.notification import NoticeKind
from notifications.sender import with_notice_header
from notifications.templates import render_notice

STATUS_URL = "http://127.0.0.1:8000/status/abcDEF0123456789abcDEF0123456789abcDEF01234"
CONTEXT = {
    "reference": "CMP-2026-000001",
    "kind_label": "complaint",
    "product": "Pump <b>P-200</b>",
    "lot_number": "L1",
    "quantity_affected": 3,
    "severity": "major",
    "description": "<script>alert('x')</script> leaks",
    "customer_name": "Jane & Co",
    "reopen_days": 30,
    "reply_due_at": datetime(2026, 12, 1, 16, 0, tzinfo=UTC),
    "kind": "complaint",
    "investigated": True,
    "resolved_at": datetime(2026, 12, 2, 9, 0, tzinfo=UTC),
    "summary": "<img src=x onerror=alert(1)> replaced",
    "department": "quality",
    "task_label": "Quality assessment",
    "task_due_at": datetime(2026, 11, 30, 16, 0, tzinfo=UTC),
    "step_label": "Quality's first assessment",
    "due_at": datetime(2026, 11, 24, 8, 0, tzinfo=UTC),
    "hours_left": "2.0",
    "business_time": True,
    "late_by": "3.5 business hours",
    "level": 2,
    "level_label": "head of the department",
    "assignee": None,
    "status_url": STATUS_URL,
    "question": "Two photos of the <b>seal</b>, please.",
    "cluster_product": "P-200 Pump",
    "cluster_defect": "SEAL-LEAK Seal leak",
    "cluster_count": 3,
    "cluster_references": ["CMP-2026-000001"],
    "first_seen": datetime(2026, 11, 2, 9, 0, tzinfo=UTC),
    "last_seen": datetime(2026, 11, 24, 9, 0, tzinfo=UTC),
    "window_days": 90,
    "threshold": 3,
    "message_subject": "Re: <b>leak</b>",
    "message_body": "<script>alert('y')</script> still leaks",
    "bounced_subject": "Your complaint",
    "bounced_recipient": "jane@acme.example",
    "score": 2,
    "solved": False,
    "comment": "<b>too slow</b>",
    "answer": "<b>Yes</b>, the seal kit fits.",
    "author_name": "Quinn <b>Quality</b>",
    "comment_body": "<script>alert('z')</script> @technical please test",
    "task_id": 7,
    "assigned_by": "Morgan <b>Manager</b>",
    "assignment_reason": "<script>alert('w')</script> knows the seals",
}
# A contract review's notices (workflow/review_notices.py): a review's own words.
REVIEW_KINDS = frozenset(
    {
        NoticeKind.review_task,
        NoticeKind.review_waiting,
        NoticeKind.review_answer,
        NoticeKind.review_question,
        NoticeKind.demand_notice,
        NoticeKind.contract_progress,
    }
)
REVIEW_CONTEXT = {
    **CONTEXT,
    "reference": "CR-2026-000001",
    "review_kind": "contract",
    "special": True,
    "round": 2,
    "title": "Supply of <b>6,000</b> pumps",
    "order_reference": "BO-<i>FA</i>",
    "requirements": "<script>alert('r')</script> drawing 4711",
    "scope": "equipment, tooling capability, delivery schedule",
    "waiting_for": "The general manager's approval",
    "verdicts": "production: can meet with conditions",
    "answer": "accepted_with_conditions",
    "conditions": ["Production: <b>first</b> delivery in April"],
    "contract_reference": "CT-2026-000001",
    "decision_reason": None,
    "quantity": 6000,
    "requested_delivery": "2027-03-01",
    # A contract's progress (workflow/contracts.py): its figures as the customer reads them.
    "completed": False,
    "contracted_quantity": "6,000",
    "delivered_quantity": "1,500",
    "delivered_share": "25%",
    "delivery_count": "2",
    "on_time_deliveries": "1",
    "on_time_share": "50%",
    "deliveries": [{"delivered_on": "March 10, 2027", "quantity": "500", "on_time": False}],
    "note": "<script>alert('n')</script> next 500 in April",
}


def _context_for(kind: NoticeKind) -> dict:
    return REVIEW_CONTEXT if kind in REVIEW_KINDS else CONTEXT


def test_every_notice_about_a_complaint_renders_with_the_reference():
    for kind in set(NoticeKind) - {NoticeKind.digest, NoticeKind.password_reset} - REVIEW_KINDS:
        rendered = render_notice(kind, CONTEXT)
        assert "CMP-2026-000001" in rendered.subject + rendered.body_text
        assert "CMP-2026-000001" in rendered.body_html


def test_every_notice_about_a_review_names_it_and_escapes_what_people_typed():
    for kind in REVIEW_KINDS:
        rendered = render_notice(kind, REVIEW_CONTEXT)
        assert "CR-2026-000001" in rendered.subject + rendered.body_text, kind
        assert "<script>" not in rendered.body_html
        assert "<b>6,000</b>" not in rendered.body_html
    answer = render_notice(NoticeKind.review_answer, REVIEW_CONTEXT)
    assert "on the following conditions" in answer.body_text
    assert "<strong>Supply of &lt;b&gt;6,000&lt;/b&gt; pumps</strong>" in answer.body_html
    assert "Production: <b>first</b>" not in answer.body_html
    assert "CT-2026-000001" in answer.subject + answer.body_text
    declined = render_notice(
        NoticeKind.review_answer,
        {**REVIEW_CONTEXT, "answer": "declined", "decision_reason": "Capacity is booked."},
    )
    assert "cannot accept" in declined.subject + declined.body_text
    assert "Capacity is booked." in declined.body_text
    assert "CT-2026-000001" not in declined.body_text


def test_the_password_link_mail_names_the_account_and_the_link_and_no_complaint():
    link = "http://127.0.0.1:8000/password-reset/[one-time-token]"
    context = {
        "full_name": "Tom <b>Technical</b>",
        "username": "tom",
        "company_name": "Example Manufacturing",
        "new_account": True,
        "link": link,
        "expires_at": datetime(2026, 12, 1, 9, 0, tzinfo=UTC),
    }
    rendered = render_notice(NoticeKind.password_reset, context)
    assert rendered.subject == "Your new account: choose your password"
    assert f'href="{link}"' in rendered.body_html
    assert "2026-12-01 09:00 UTC" in rendered.body_text
    assert "<b>Technical</b>" not in rendered.body_html
    assert "Reference" not in rendered.body_text
    again = render_notice(NoticeKind.password_reset, {**context, "new_account": False})
    assert again.subject == "Choose a new password"


def test_customer_text_is_escaped_in_html_mail():
    ack = render_notice(NoticeKind.acknowledgement, CONTEXT)
    assert "<script>" not in ack.body_html
    assert "&lt;script&gt;" in ack.body_html
    assert "Jane &amp; Co" in ack.body_html
    resolution = render_notice(NoticeKind.resolution, CONTEXT)
    assert "<img" not in resolution.body_html
    assert "&lt;img src=x" in resolution.body_html
    answer = render_notice(NoticeKind.inquiry_answer, CONTEXT)
    assert "<b>Yes</b>" not in answer.body_html
    assert "&lt;b&gt;Yes&lt;/b&gt;" in answer.body_html


def test_acknowledgement_tells_the_customer_when_to_expect_an_answer():
    ack = render_notice(NoticeKind.acknowledgement, CONTEXT)
    assert "2026-12-01 16:00 UTC" in ack.body_text
    assert "What happens next" in ack.body_text


def test_the_notice_id_travels_as_a_mail_header():
    url = with_notice_header("mailto://127.0.0.1:25?to=a@example.com", 42)
    assert url.endswith("&%2BX-Notice-Id=42")
    assert with_notice_header("json://example.com/hook", 42) == "json://example.com/hook"


def test_escalation_says_who_is_told_why_and_how_late():
    rendered = render_notice(NoticeKind.escalation, CONTEXT)
    assert rendered.subject == (
        "OVERDUE (level 2): Quality's first assessment for CMP-2026-000001, "
        "late by 3.5 business hours"
    )
    assert "head of the department" in rendered.body_text
    assert "nobody has claimed it" in rendered.body_text


def test_the_digest_has_no_reference_footer_and_lists_both_sections():
    rendered = render_notice(
        NoticeKind.digest,
        {
            "reference": "digest",
            "quote_reference": False,
            "name": "Morgan",
            "day": "2026-11-24",
            "overdue": [],
            "due_soon": [],
            "scope": "quality",
        },
    )
    assert rendered.subject == "Daily digest 2026-11-24: 0 overdue, 0 due within a business day"
    assert "Please quote" not in rendered.body_html
    assert rendered.body_text.count("\nnone") == 2


def test_customer_notices_carry_the_status_link_and_staff_notices_do_not():
    link = STATUS_URL
    for kind in (NoticeKind.acknowledgement, NoticeKind.resolution):
        rendered = render_notice(kind, CONTEXT)
        assert link in rendered.body_text
        assert f'href="{link}"' in rendered.body_html
    for kind in (NoticeKind.new_task, NoticeKind.escalation, NoticeKind.critical_alert):
        rendered = render_notice(kind, CONTEXT)
        assert link not in rendered.body_text + rendered.body_html


def test_the_closing_without_an_answer_says_why_and_how_to_reopen():
    rendered = render_notice(NoticeKind.closed_without_answer, CONTEXT)
    assert rendered.subject == "Your complaint CMP-2026-000001 is closed"
    assert "have not heard back from you" in rendered.body_text
    assert "we will reopen it" in rendered.body_text
    assert "reopen it yourself on the page below within 30 days" in rendered.body_text
    assert STATUS_URL in rendered.body_text


def test_a_low_score_tells_the_score_and_escapes_the_customers_comment():
    rendered = render_notice(NoticeKind.low_satisfaction, CONTEXT)
    assert rendered.subject == "Low satisfaction: 2/5 on CMP-2026-000001"
    assert "<b>too slow" not in rendered.body_html
    assert "&lt;b&gt;too slow" in rendered.body_html


def test_the_companys_words_are_escaped_and_its_foot_ends_customer_notices_only():
    from workflow.company import Company
    from workflow.notices import CUSTOMER_KINDS

    company = Company(
        name="Acme <b>Pumps</b>",
        address_lines=("Str. <i>5</i>",),
        phone="+49 30 1",
        email="service@acme.example",
        website="https://acme.example/?a=1&b=<2>",
        signature_lines=("<script>alert('c')</script> Kind regards",),
        mail_display_name="Acme",
        logo_sha256="ab" * 32,
        logo_content_type="image/png",
    )
    for kind in CUSTOMER_KINDS:
        html = render_notice(kind, {**_context_for(kind), "company": company}).body_html
        assert "Acme &lt;b&gt;Pumps&lt;/b&gt;" in html, kind
        assert "&lt;script&gt;alert(&#39;c&#39;)&lt;/script&gt; Kind regards" in html
        assert "<script>" not in html
        assert 'href="https://acme.example/?a=1&amp;b=&lt;2&gt;"' in html
        assert html.index("company-head") < html.index("company-signature"), kind
        assert f"/company/logo?v={'ab' * 8}" in html
    staff = render_notice(NoticeKind.new_task, CONTEXT).body_html
    assert "company-signature" not in staff
    assert "company-head" not in staff
