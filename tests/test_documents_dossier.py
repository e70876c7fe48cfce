"""The complaint dossier: one PDF holding the whole file, read back field by field.

A complaint goes through the real path (logged, routed on the Prefect server, acknowledged by
mail, decided by quality without an investigation, approved by sales, resolution mailed); an
attachment, an action and an effectiveness check are inserted as the quality loop would write
them. The PDF is read with pypdf and every part of the record is looked for in its text."""

import io
import re
import struct
import zlib
from datetime import timedelta
from typing import Any

import httpx
import pytest
from pypdf import PdfReader
from sqlalchemy import text
from sqlmodel import select

from models.attachment import Attachment
from models.complaint import Complaint
from models.enums import ActionKind, ActionStatus, Department, Verdict
from models.quality import CapaAction, EffectivenessCheck
from tests.support import drain_outbox, quality_result
from workflow import db
from workflow.calendar import company_calendar
from workflow.clock import utcnow

CHINESE_NAME = "王秀英"
NOT_INVESTIGATED = "The pump was run dry, outside its specification."


def _png(width: int = 4, height: int = 3) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    raw = b"".join(b"\x00" + b"\xcc\x22\x22" * width for _ in range(height))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


def _complaint(reference: str) -> Complaint:
    with db.read_session() as session:
        found = session.exec(select(Complaint).where(Complaint.reference == reference)).one()
        session.expunge(found)
        return found


def _add_quality_loop_rows(complaint: Complaint, quality_user_id: int) -> None:
    now = utcnow()
    with db.write_session() as session:
        session.add(
            Attachment(
                case_id=complaint.id or 0,
                filename="seal photo.png",
                content_type="image/png",
                size_bytes=len(_png()),
                sha256="ab" * 32,
                data=_png(),
                uploaded_by_id=complaint.received_by_id,
                uploaded_at=complaint.received_at,
            )
        )
        session.add(
            CapaAction(
                complaint_id=complaint.id or 0,
                kind=ActionKind.corrective,
                description="Dry-run protection added to the pump controller.",
                owner_department=Department.technical,
                owner_id=quality_user_id,
                due_at=now + timedelta(days=10),
                status=ActionStatus.done,
                evidence="Firmware 2.4 released with dry-run cut-off.",
                created_by="quality",
                created_at=now,
                closed_by="technical",
                closed_at=now,
            )
        )
        session.add(
            EffectivenessCheck(
                complaint_id=complaint.id or 0,
                round=1,
                actions_closed_at=now,
                scheduled_for=now + timedelta(days=30),
                verdict=Verdict.effective,
                reasoning="No dry-run failure in 90 days of field returns.",
                decided_by="quality",
                decided_at=now,
                created_at=now,
            )
        )
        session.commit()


@pytest.fixture
def resolved(as_user) -> dict[str, Any]:
    """A resolved complaint of a Chinese customer, with the quality loop's rows."""
    sales, quality = as_user("sales"), as_user("quality")
    created = sales.log_complaint(
        customer={
            "name": CHINESE_NAME,
            "company": "上海泵业有限公司",
            "email": "wang@pumps.example",
            "phone": "+86 21 5555 0101",
            "address": "88 Century Avenue, Shanghai",
        },
        serial_number="SN-77-0042",
    )
    reference = created["reference"]
    drain_outbox()
    task = quality.open_task(reference, "quality_assessment")
    decided = quality.post(
        f"/tasks/{task['id']}/complete",
        json=quality_result(investigate=False, no_investigation_reason=NOT_INVESTIGATED),
    )
    assert decided.status_code == 200, decided.text
    drain_outbox()
    review = sales.open_task(reference, "sales_review")
    approved = sales.post(
        f"/tasks/{review['id']}/complete", json={"kind": "sales_review", "approved": True}
    )
    assert approved.status_code == 200, approved.text
    drain_outbox()
    quality_id = quality.get("/auth/me").json()["id"]
    _add_quality_loop_rows(_complaint(reference), quality_id)
    return sales.record(reference)


def _read(pdf: bytes) -> tuple[PdfReader, str]:
    reader = PdfReader(io.BytesIO(pdf))
    return reader, "\n".join(page.extract_text() for page in reader.pages)


def _flat(words: str) -> str:
    return re.sub(r"\s+", " ", words)


def _squeezed(words: str) -> str:
    """Without any white space: table cells wrap their text where the column ends."""
    return re.sub(r"\s+", "", words)


def embedded_fonts(reader: PdfReader) -> set[str]:
    names = set()
    for page in reader.pages:
        for font in (page.get("/Resources", {}).get("/Font") or {}).values():
            font = font.get_object()
            descendants = font.get("/DescendantFonts")
            described = descendants[0].get_object() if descendants else font
            descriptor = described.get("/FontDescriptor")
            embedded = descriptor and any(
                key in descriptor.get_object() for key in ("/FontFile", "/FontFile2", "/FontFile3")
            )
            if embedded:
                names.add(str(font["/BaseFont"]))
    return names


def test_the_dossier_holds_the_whole_file_as_recorded(resolved, as_user):
    reference = resolved["reference"]
    answer = as_user("sales").get(f"/complaints/{reference}/dossier.pdf")
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "application/pdf"
    assert f"{reference}-dossier.pdf" in answer.headers["content-disposition"]
    reader, words = _read(answer.content)
    flat = _flat(words)
    zone = company_calendar().zone

    def local(moment: str) -> str:
        from datetime import datetime

        return datetime.fromisoformat(moment).astimezone(zone).strftime("%Y-%m-%d %H:%M %Z")

    # As received, and the customer (the Chinese name in an embedded CJK font).
    for value in (
        reference,
        resolved["product"],
        resolved["lot_number"],
        resolved["serial_number"],
        resolved["order_reference"],
        str(resolved["quantity_affected"]),
        resolved["description"],
        f"{local(resolved['received_at'])} by sales",
        "88 Century Avenue, Shanghai",
        "wang@pumps.example",
        "+86 21 5555 0101",
    ):
        assert value in flat, value
    assert CHINESE_NAME in words.replace(" ", "")
    assert any("CJK" in name for name in embedded_fonts(reader)), embedded_fonts(reader)
    # Attachments listed, the image drawn small.
    assert "seal photo.png" in flat
    # WeasyPrint shares one image resource among the pages: count the pictures, not references.
    images = {image.data for page in reader.pages for image in page.images}
    assert len(images) == 1
    # Tasks with department, assignee, dates and result.
    for task in resolved["tasks"]:
        assert f"Task {task['id']}: {task['kind'].replace('_', ' ')}" in flat
        assert local(task["created_at"]) in flat
    assert "Assignee quality" in flat
    # Quality's decision, who took it and why nothing was investigated.
    (decision,) = resolved["resolutions"]
    assert f"decided {local(decision['decided_at'])} by quality" in flat
    assert f"Why not investigated {NOT_INVESTIGATED}" in flat
    assert "Approved by sales sales" in flat
    # The quality loop's rows.
    squeezed = _squeezed(words)
    assert _squeezed("1 corrective Dry-run protection added to the pump controller.") in squeezed
    assert _squeezed("done Firmware 2.4 released with dry-run cut-off.") in squeezed
    assert "Verdict effective" in flat
    assert "No dry-run failure in 90 days of field returns." in flat
    # Every notice: subject, recipient, channel, delivery status, its stored text.
    assert len(resolved["notifications"]) >= 2
    for notice in resolved["notifications"]:
        assert notice["subject"] in flat
        assert f"Recipient {notice['recipient']}" in flat
        assert f"Delivery {notice['status']}" in flat
        first_line = next(line for line in notice["body_text"].splitlines() if line.strip())
        assert _flat(first_line.strip()) in flat
    # The whole history with actors, and its chain verified.
    for entry in resolved["history"]:
        at, actor = local(entry["at"]), entry["actor"]
        assert _squeezed(f"{entry['seq']} {at} {actor} {entry['action']}".replace("_", " ")) in (
            squeezed
        ), entry
    assert "Verified: all" in flat
    assert f"all {len(resolved['history'])} history entries" in flat
    # Generated at and by, page N of M.
    pages = len(reader.pages)
    assert "by sales" in flat
    assert "Generated " in flat
    assert f"page 1 of {pages}" in flat
    assert f"page {pages} of {pages}" in flat


def test_the_customers_status_token_is_never_printed(resolved, as_user):
    token = _complaint(resolved["reference"]).status_token
    assert token
    answer = as_user("quality").get(f"/complaints/{resolved['reference']}/dossier.pdf")
    assert answer.status_code == 200
    _, words = _read(answer.content)
    assert token not in words.replace("\n", "").replace(" ", "")
    assert "/status/[customer-only]" in _flat(words)


def test_a_tampered_history_entry_is_reported_in_the_dossier(resolved, as_user):
    complaint = _complaint(resolved["reference"])
    engine = db.get_write_engine()
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("ALTER TABLE history DISABLE TRIGGER USER"))
            restore: list[str] = ["ALTER TABLE history ENABLE TRIGGER USER"]
        else:
            triggers = conn.execute(
                text(
                    "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' "
                    "AND tbl_name = 'history'"
                )
            ).all()
            for name, _ in triggers:
                conn.execute(text(f'DROP TRIGGER "{name}"'))
            restore = [sql for _, sql in triggers]
        conn.execute(
            text("UPDATE history SET actor = 'nobody' WHERE case_id = :id AND seq = 2"),
            {"id": complaint.id},
        )
        for statement in restore:
            conn.execute(text(statement))
    answer = as_user("sales").get(f"/complaints/{resolved['reference']}/dossier.pdf")
    assert answer.status_code == 200
    flat = _flat(_read(answer.content)[1])
    assert "NOT VERIFIED: 1 problem(s)" in flat
    assert "entry 2: its fields were changed after it was written" in flat


def test_the_dossier_of_an_unknown_complaint_is_404(as_user):
    answer = as_user("sales").get("/complaints/CMP-2026-999999/dossier.pdf")
    assert answer.status_code == 404
    assert "CMP-2026-999999" in answer.json()["detail"]


def test_the_customer_cannot_reach_the_dossier_with_the_status_token(resolved, base_url):
    reference = resolved["reference"]
    token = _complaint(reference).status_token
    for headers in ({}, {"Authorization": f"Bearer {token}"}):
        answer = httpx.get(f"{base_url}/api/v1/complaints/{reference}/dossier.pdf", headers=headers)
        assert answer.status_code == 401
    page = httpx.get(f"{base_url}/status/{token}")
    assert page.status_code == 200
    assert "dossier" not in page.text.lower()
    web = httpx.get(f"{base_url}/complaints/{reference}/dossier.pdf", follow_redirects=False)
    assert web.status_code == 303
    assert web.headers["location"].startswith("/login")
