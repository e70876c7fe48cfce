"""Stored uploads served to staff, by the API and the pages alike."""

from urllib.parse import quote

from fastapi import Response

from models.attachment import Attachment


def attachment_response(attachment: Attachment) -> Response:
    """A stored upload, served so that it can never run as a page of ours."""
    disposition = "inline" if attachment.content_type.startswith("image/") else "attachment"
    filename = quote(attachment.filename, safe="")
    return Response(
        attachment.data,
        media_type=attachment.content_type,
        headers={
            "Content-Disposition": f"{disposition}; filename*=UTF-8''{filename}",
            "Content-Security-Policy": "sandbox; default-src 'none'",
            "X-Content-Type-Options": "nosniff",
        },
    )
