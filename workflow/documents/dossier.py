"""A complaint's dossier: its whole file as one PDF, as an auditor asks for it.

Every field as received, the customer, the attachments (images shown small), every task,
quality's decisions and who took them, the corrective and preventive actions and the
effectiveness checks where they exist, every notice as stored (the customer's status token is
never stored, so never printed), the whole history, and whether that history's part of the
chain verifies. Dates are in the company's time zone."""

import base64
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from models.attachment import Attachment
from models.base import id_of
from models.quality import CapaAction, EffectivenessCheck
from models.user import User
from models.views import ComplaintRecord
from workflow.attachments import list_attachments
from workflow.clock import utcnow
from workflow.company import current_company
from workflow.complaints import get_complaint
from workflow.documents.chain_check import ChainCheck, check_complaint_chain
from workflow.documents.render import local_time, pdf_document
from workflow.eight_d import eight_d_report
from workflow.queries import complaint_record
from workflow.rules import Actor

# Pillow (under WeasyPrint) draws these; others (HEIC, PDF) are listed without a picture.
DRAWN_IMAGE_TYPES = frozenset({"image/jpeg", "image/png", "image/webp", "image/gif"})
MAX_THUMBNAIL_SOURCE_BYTES = 10 * 1_048_576


@dataclass(frozen=True)
class AttachmentLine:
    filename: str
    content_type: str
    size_kb: float
    sha256: str
    uploaded_at: datetime
    thumbnail: str | None  # a data: URL


@dataclass(frozen=True)
class Dossier:
    record: ComplaintRecord
    attachments: list[AttachmentLine]
    actions: list[CapaAction]
    effectiveness_checks: list[EffectivenessCheck]
    usernames: dict[int, str]
    chain: ChainCheck
    generated_at: datetime
    generated_by: str


def _attachment_line(attachment: Attachment) -> AttachmentLine:
    thumbnail = None
    drawable = attachment.content_type in DRAWN_IMAGE_TYPES
    if drawable and attachment.size_bytes <= MAX_THUMBNAIL_SOURCE_BYTES:
        encoded = base64.b64encode(attachment.data).decode("ascii")
        thumbnail = f"data:{attachment.content_type};base64,{encoded}"
    return AttachmentLine(
        filename=attachment.filename,
        content_type=attachment.content_type,
        size_kb=round(attachment.size_bytes / 1024, 1),
        sha256=attachment.sha256,
        uploaded_at=attachment.uploaded_at,
        thumbnail=thumbnail,
    )


def _usernames(session: Session, ids: set[int | None]) -> dict[int, str]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    users = session.exec(select(User).where(col(User.id).in_(wanted)))
    return {id_of(u): f"{u.full_name} ({u.username})" for u in users}


def gather_dossier(session: Session, reference: str, actor: Actor) -> Dossier:
    complaint = get_complaint(session, reference)
    complaint_id = id_of(complaint)
    actions = list(
        session.exec(
            select(CapaAction)
            .where(CapaAction.complaint_id == complaint_id)
            .order_by(col(CapaAction.round), col(CapaAction.id))
        )
    )
    checks = list(
        session.exec(
            select(EffectivenessCheck)
            .where(EffectivenessCheck.complaint_id == complaint_id)
            .order_by(col(EffectivenessCheck.round))
        )
    )
    return Dossier(
        record=complaint_record(session, reference),
        attachments=[_attachment_line(a) for a in list_attachments(session, complaint_id)],
        actions=actions,
        effectiveness_checks=checks,
        usernames=_usernames(session, {a.owner_id for a in actions}),
        chain=check_complaint_chain(session, complaint_id),
        generated_at=utcnow(),
        generated_by=actor.name,
    )


def dossier_context(dossier: Dossier) -> dict[str, Any]:
    record = dossier.record
    return {
        "d": dossier,
        "c": record,
        "tasks": sorted(record.tasks, key=lambda t: (t.created_at, t.id)),
        "generated": f"Generated {local_time(dossier.generated_at)} by {dossier.generated_by}",
    }


def dossier_pdf(session: Session, reference: str, actor: Actor) -> bytes:
    return pdf_document("dossier.html", dossier_context(gather_dossier(session, reference, actor)))


def eight_d_pdf(session: Session, reference: str, actor: Actor) -> bytes:
    """The 8D report as the customer receives it: the company's name, no internal notes."""
    report = eight_d_report(session, reference)
    return pdf_document(
        "eight_d.html",
        {
            "r": report,
            "company": current_company().name,
            "generated": f"Generated {local_time(report.generated_at)} by {actor.name}",
        },
    )
