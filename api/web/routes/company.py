"""The company profile's admin page, and its logo served to pages and mail readers.

The logo is linked from mails (``/company/logo?v=<sha256>``), not sent inline as a CID part:
Apprise's e-mail plugin sends attachments as ordinary attachments (no ``Content-ID``, no
``multipart/related``), so a CID logo would need a MIME builder of our own beside Apprise,
and every mail would carry the image again. Linked, one copy serves every page and mail;
the version in the address lets readers cache it for a year. Mail readers that block remote
images still show the company's name, which stands in text beside it.
"""

from typing import Annotated

from fastapi import Query, Request, status
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import UploadFile

from api.deps import SessionDep, WriteSessionDep
from api.web.forms import validate
from api.web.pages import flash, render
from api.web.routes import page_router
from api.web.session import page_for
from models.company import CompanyProfile, CompanyProfileFields, CompanyProfileUpdate
from notifications.templates import render_company_foot
from workflow.company import (
    FIELD_NAMES,
    MAX_LOGO_BYTES,
    current_company,
    logo,
    profile_row,
    set_logo,
    update_company,
)
from workflow.config import get_settings
from workflow.errors import InvalidInput
from workflow.rules import Action
from workflow.transitions import Actor

router = page_router()
Admin = Annotated[Actor, page_for(Action.edit_company_profile)]
FOREVER = "public, max-age=31536000, immutable"
A_WHILE = "public, max-age=300"


@router.get("/company/logo")
def company_logo(
    request: Request,
    session: SessionDep,
    v: Annotated[str | None, Query(max_length=64, pattern=r"^[0-9a-f]+$")] = None,
) -> Response:
    """Public: the logo is on the customer's pages and mails. Cached for good when asked for
    by its version, for five minutes otherwise; 304 when the reader has it."""
    found = logo(session)
    if found is None:
        return Response("no logo", status_code=404, media_type="text/plain")
    data, content_type, digest = found
    etag = f'"{digest}"'
    headers = {
        "ETag": etag,
        "Cache-Control": FOREVER if v and digest.startswith(v) else A_WHILE,
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": "default-src 'none'",
    }
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers=headers)
    return Response(data, media_type=content_type, headers=headers)


def _page(
    request: Request,
    row: CompanyProfile,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    company = current_company()
    context = {
        "title": "Company profile",
        "values": values or row.model_dump(include=set(FIELD_NAMES)),
        "errors": errors or {},
        "profile": row,
        "logo_path": company.logo_path,
        "foot_preview": render_company_foot(company).body_text,
        "max_logo_kb": MAX_LOGO_BYTES // 1024,
        "fallback_name": get_settings().company_name,
    }
    return render(request, "company_admin.html", context, status_code=status_code)


@router.get("/admin/company")
def company_page(request: Request, session: SessionDep, _: Admin) -> Response:
    return _page(request, profile_row(session))


@router.post("/admin/company")
async def save_company(request: Request, session: WriteSessionDep, actor: Admin) -> Response:
    form = await request.form()
    names = (*CompanyProfileFields.model_fields, "reason")
    values = {n: v.strip() if isinstance(v := form.get(n), str) else "" for n in names}
    body, errors = validate(CompanyProfileUpdate, values)
    if errors:
        return _page(request, profile_row(session), values, errors, status_code=422)
    update_company(session, update=body, actor=actor)
    flash(request, "Company profile saved: the next mail and every page show it.")
    return RedirectResponse("/admin/company", status_code=status.HTTP_303_SEE_OTHER)


@router.post("/admin/company/logo")
async def upload_logo(request: Request, session: WriteSessionDep, actor: Admin) -> Response:
    form = await request.form()
    upload, reason = form.get("logo"), str(form.get("logo_reason") or "").strip()
    data = await upload.read(MAX_LOGO_BYTES + 1) if isinstance(upload, UploadFile) else b""
    errors: dict[str, str] = {}
    if len(reason) < 3:
        errors["logo_reason"] = "Say why the logo changes (at least 3 characters)."
    else:
        try:
            set_logo(session, data=data, actor=actor, reason=reason)
        except InvalidInput as refused:
            errors["logo"] = f"Not taken: {str(refused).capitalize()}."
    if errors:
        session.rollback()
        return _page(request, profile_row(session), errors=errors, status_code=422)
    flash(request, "Logo saved: the next mail and every page show it.")
    return RedirectResponse("/admin/company", status_code=status.HTTP_303_SEE_OTHER)
