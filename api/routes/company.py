"""The company profile customers see on every mail and page: read and changed by admins."""

from typing import Annotated

from fastapi import APIRouter, Body, Query

from api.deps import SessionDep, WriteSessionDep, allowed
from models.catalogue import MasterDataChangePublic
from models.company import CompanyInUse, CompanyProfile, CompanyProfilePublic, CompanyProfileUpdate
from workflow.company import (
    ENTITY,
    LOGO_TYPES,
    MAX_LOGO_BYTES,
    current_company,
    profile_row,
    set_logo,
    update_company,
)
from workflow.master_log import list_changes
from workflow.rules import Action
from workflow.transitions import Actor

router = APIRouter(prefix="/admin/company", tags=["admin"])
Reason = Annotated[
    str,
    Query(min_length=3, max_length=2_000, description="Why: kept in the change log"),
]


def profile_public(row: CompanyProfile) -> CompanyProfilePublic:
    company = current_company()
    return CompanyProfilePublic.model_validate(
        row,
        from_attributes=True,
        update={
            "logo_url": company.logo_url,
            "in_use": CompanyInUse(name=company.name, mail_display_name=company.mail_display_name),
        },
    )


@router.get(
    "",
    summary="The company profile",
    description="What every customer mail and page shows: name, address, contact details, "
    "signature, From: display name, logo. Empty fields fall back to the settings "
    "(`in_use` shows what applies).",
)
def read_company(
    session: SessionDep, _: Annotated[Actor, allowed(Action.edit_company_profile)]
) -> CompanyProfilePublic:
    return profile_public(profile_row(session))


@router.put(
    "",
    summary="Change the company profile",
    description="The whole profile (an empty field falls back to the settings) and the reason. "
    "The next mail any process sends, and every page, shows it; the change is in the "
    "change log (`GET /admin/company/changes`).",
)
def change_company(
    update: CompanyProfileUpdate,
    session: WriteSessionDep,
    actor: Annotated[Actor, allowed(Action.edit_company_profile)],
) -> CompanyProfilePublic:
    return profile_public(update_company(session, update=update, actor=actor))


@router.put(
    "/logo",
    summary="Upload the company's logo",
    description=f"The image itself as the body: {' or '.join(LOGO_TYPES.values())}, at most "
    f"{MAX_LOGO_BYTES // 1024} KB, its type read from its bytes. SVG is refused: it can carry "
    "scripts and fetch other addresses. Served at `/company/logo` for pages and mails.",
    responses={422: {"description": "Not a PNG or JPEG, empty, or too large"}},
)
def upload_logo(
    reason: Reason,
    session: WriteSessionDep,
    actor: Annotated[Actor, allowed(Action.edit_company_profile)],
    # Optional here so an empty body meets our words, not "Field required".
    content: Annotated[bytes, Body(media_type="image/png")] = b"",
) -> CompanyProfilePublic:
    return profile_public(set_logo(session, data=content, actor=actor, reason=reason))


@router.get(
    "/changes",
    summary="Every change to the company profile",
    description="Who changed what (old and new values), when and why; newest first.",
)
def company_changes(
    session: SessionDep, _: Annotated[Actor, allowed(Action.edit_company_profile)]
) -> list[MasterDataChangePublic]:
    rows = list_changes(session, entity=ENTITY, entity_id=None, limit=100, offset=0)
    return [MasterDataChangePublic.model_validate(r, from_attributes=True) for r in rows]
