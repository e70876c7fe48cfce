"""Photos and PDFs kept with a case (a complaint; a contract review's requirements): what is
accepted, and storing them."""

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

import filetype
from sqlmodel import Session, col, select

from models.attachment import Attachment
from models.base import id_of
from workflow.cases import CaseRecord
from workflow.clock import utcnow
from workflow.errors import NotFound
from workflow.transitions import Actor

ALLOWED_TYPES = {
    "image/jpeg": "JPEG photo",
    "image/png": "PNG image",
    "image/webp": "WebP image",
    "image/heic": "HEIC photo",
    "application/pdf": "PDF",
}
MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024
MAX_ATTACHMENTS = 5


class AttachmentRefused(ValueError):
    """An upload of the wrong type, too large, or one too many (422, field ``attachments``).

    ``template`` and ``values`` let a customer's page say it in their language (the templates
    are in the catalogues: ``api/web/routes/customer.py``)."""

    def __init__(self, template: str, **values: object) -> None:
        super().__init__(template % values)
        self.template = template
        self.values = values


@dataclass(frozen=True)
class NewAttachment:
    filename: str
    content_type: str
    data: bytes


def _clean_filename(name: str) -> str:
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    base = "".join(ch for ch in base if ch.isprintable()).strip() or "attachment"
    return base[-255:]


def check_upload(filename: str, data: bytes) -> NewAttachment:
    """Accept photos and PDFs by their bytes (the declared type is not trusted)."""
    name = _clean_filename(filename)
    if not data:
        raise AttachmentRefused("%(name)s is empty", name=name)
    if len(data) > MAX_ATTACHMENT_BYTES:
        raise AttachmentRefused(
            "%(name)s is %(size).1f MB; at most %(limit)d MB per file",
            name=name,
            size=len(data) / 1_048_576,
            limit=MAX_ATTACHMENT_BYTES // 1_048_576,
        )
    kind = filetype.guess(data)
    if kind is None or kind.mime not in ALLOWED_TYPES:
        raise AttachmentRefused(
            "%(name)s is not a photo (JPEG, PNG, WebP, HEIC) or a PDF", name=name
        )
    return NewAttachment(filename=name, content_type=kind.mime, data=data)


def check_uploads(uploads: Sequence[tuple[str, bytes]]) -> list[NewAttachment]:
    if len(uploads) > MAX_ATTACHMENTS:
        raise AttachmentRefused("at most %(count)d attachments", count=MAX_ATTACHMENTS)
    return [check_upload(name, data) for name, data in uploads]


def add_attachments(
    session: Session, case: CaseRecord, attachments: Sequence[NewAttachment], actor: Actor
) -> list[Attachment]:
    """Stage the attachments in the caller's transaction (committed with the case's change)."""
    assert actor.user_id is not None
    rows = [
        Attachment(
            case_id=id_of(case),
            filename=a.filename,
            content_type=a.content_type,
            size_bytes=len(a.data),
            sha256=hashlib.sha256(a.data).hexdigest(),
            data=a.data,
            uploaded_by_id=actor.user_id,
            uploaded_at=utcnow(),
        )
        for a in attachments
    ]
    session.add_all(rows)
    return rows


def list_attachments(session: Session, case_id: int) -> list[Attachment]:
    return list(
        session.exec(
            select(Attachment).where(Attachment.case_id == case_id).order_by(col(Attachment.id))
        )
    )


def get_attachment(session: Session, case_id: int, attachment_id: int) -> Attachment:
    attachment = session.get(Attachment, attachment_id)
    if attachment is None or attachment.case_id != case_id:
        raise NotFound(f"no attachment {attachment_id} here")
    return attachment
