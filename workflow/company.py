"""The company profile: read by every process that writes to customers, changed by admins.

The API, the relay and the worker's flows are separate processes, and a change made on the
admin page must show in the next mail any of them renders or sends. Each process keeps the
profile it read and, before using it, asks the database for the row's ``version`` (one
indexed read of a short string), reading the whole row again only when it changed. Empty
fields fall back to the settings, applied on every read so a settings change shows too.
"""

import hashlib
import threading
import uuid
from dataclasses import dataclass
from typing import Any

import filetype
from sqlalchemy import text
from sqlalchemy.orm import defer
from sqlmodel import Session, select

from models.company import PROFILE_ID, CompanyProfile, CompanyProfileFields, CompanyProfileUpdate
from models.enums import HistoryAction
from workflow.clock import utcnow
from workflow.config import get_settings
from workflow.db import get_side_engine
from workflow.errors import InvalidInput
from workflow.master_log import log_change
from workflow.rules import Action, Actor, require_permission

ENTITY = "company_profile"
LOGO_TYPES = {"image/png": "PNG", "image/jpeg": "JPEG"}
MAX_LOGO_BYTES = 512 * 1024
LOGO_PATH = "/company/logo"


@dataclass(frozen=True)
class Company:
    """The company as customers see it, fallbacks applied."""

    name: str
    address_lines: tuple[str, ...]
    phone: str
    email: str
    website: str
    signature_lines: tuple[str, ...]
    mail_display_name: str
    logo_sha256: str | None
    logo_content_type: str | None

    @property
    def logo_path(self) -> str | None:
        """The logo's address on this site; its version in the query, so a new logo is a new
        address and the old one may be cached for good."""
        return f"{LOGO_PATH}?v={self.logo_sha256[:16]}" if self.logo_sha256 else None

    @property
    def logo_url(self) -> str | None:
        """The logo's absolute address, for mails."""
        path = self.logo_path
        return f"{get_settings().public_base_url.rstrip('/')}{path}" if path else None

    @property
    def has_contact_details(self) -> bool:
        return bool(self.address_lines or self.phone or self.email or self.website)


@dataclass(frozen=True)
class _Stored:
    database: str
    version: str
    fields: dict[str, Any]


_cache: dict[str, _Stored] = {}
_cache_lock = threading.Lock()
FIELD_NAMES = tuple(CompanyProfileFields.model_fields)


# Asked before every use: plain SQL on a pooled connection costs a fraction of an ORM session
# (0.5 to 1.1 ms against 2.3 ms a call, measured in docs/architecture.md, "Company profile").
VERSION_QUERY = text("SELECT version FROM company_profile WHERE id = 1")


def _version() -> str | None:
    with get_side_engine().connect() as connection:
        found = connection.execute(VERSION_QUERY).scalar()
    return str(found) if found is not None else None


def _read_fields(session: Session) -> dict[str, Any]:
    query = select(CompanyProfile).options(defer(CompanyProfile.logo))  # type: ignore[arg-type]
    row = session.exec(query.where(CompanyProfile.id == PROFILE_ID)).first()
    if row is None:
        return {}
    names = (*FIELD_NAMES, "logo_sha256", "logo_content_type")
    return {name: getattr(row, name) for name in names}


def _stored_fields() -> dict[str, Any]:
    database = get_settings().sqlalchemy_url
    version = _version() or "none"
    cached = _cache.get(database)
    if cached is not None and cached.version == version:
        return cached.fields
    with Session(get_side_engine()) as session:  # not the main pool: see get_side_engine
        fields = _read_fields(session)
    with _cache_lock:
        _cache[database] = _Stored(database, version, fields)
    return fields


def _lines(text: str | None) -> tuple[str, ...]:
    return tuple(line.strip() for line in (text or "").splitlines() if line.strip())


def current_company() -> Company:
    """The profile in force now, as every mail and page shows it."""
    stored, settings = _stored_fields(), get_settings()
    name = stored.get("name") or settings.company_name
    return Company(
        name=name,
        address_lines=_lines(stored.get("address")),
        phone=stored.get("phone") or "",
        email=stored.get("email") or "",
        website=stored.get("website") or "",
        signature_lines=_lines(stored.get("signature")),
        mail_display_name=stored.get("mail_display_name") or settings.mail_from_name or name,
        logo_sha256=stored.get("logo_sha256"),
        logo_content_type=stored.get("logo_content_type"),
    )


def profile_row(session: Session) -> CompanyProfile:
    """The one row, made if a database lacks it (it is created by migration 0026)."""
    row = session.get(CompanyProfile, PROFILE_ID)
    if row is None:
        row = CompanyProfile(id=PROFILE_ID)
        session.add(row)
    return row


def _touch(row: CompanyProfile, actor: Actor) -> None:
    row.version = uuid.uuid4().hex
    row.updated_at, row.updated_by = utcnow(), actor.name


def update_company(
    session: Session, *, update: CompanyProfileUpdate, actor: Actor
) -> CompanyProfile:
    """Set the profile to ``update`` (the whole of it) and log what changed, by whom, why."""
    require_permission(actor.role, Action.edit_company_profile)
    row = profile_row(session)
    wanted = update.model_dump(include=set(FIELD_NAMES))
    changes = {
        name: {"old": getattr(row, name), "new": value}
        for name, value in wanted.items()
        if getattr(row, name) != value
    }
    if changes:
        row.sqlmodel_update(wanted)
        _touch(row, actor)
        log_change(
            session,
            actor=actor,
            entity=ENTITY,
            entity_id=PROFILE_ID,
            action=HistoryAction.company_profile_changed,
            changes=changes,
            reason=update.reason,
        )
    session.commit()
    return row


def check_logo(data: bytes) -> str:
    """The logo's type, read from its bytes (the declared type is not trusted)."""
    if not data:
        raise InvalidInput("logo", "the logo file is empty")
    if len(data) > MAX_LOGO_BYTES:
        raise InvalidInput(
            "logo",
            f"the logo is {len(data) / 1024:.0f} KB; at most {MAX_LOGO_BYTES // 1024} KB",
        )
    kind = filetype.guess(data)
    if kind is None or kind.mime not in LOGO_TYPES:
        # SVG is refused: it is a document that can carry scripts and fetch other addresses,
        # shown on our own site and in customers' mail readers.
        raise InvalidInput("logo", "the logo must be a PNG or JPEG image (SVG is not taken)")
    return str(kind.mime)


def set_logo(session: Session, *, data: bytes, actor: Actor, reason: str) -> CompanyProfile:
    require_permission(actor.role, Action.edit_company_profile)
    content_type = check_logo(data)
    row = profile_row(session)
    digest = hashlib.sha256(data).hexdigest()
    change = {"logo_sha256": {"old": row.logo_sha256, "new": digest}}
    row.logo, row.logo_content_type, row.logo_sha256 = data, content_type, digest
    _touch(row, actor)
    log_change(
        session,
        actor=actor,
        entity=ENTITY,
        entity_id=PROFILE_ID,
        action=HistoryAction.company_logo_changed,
        changes=change,
        reason=reason,
    )
    session.commit()
    return row


def logo(session: Session) -> tuple[bytes, str, str] | None:
    """The logo's bytes, type and SHA-256, or None."""
    row = session.get(CompanyProfile, PROFILE_ID)
    if row is None or not row.logo or not row.logo_content_type or not row.logo_sha256:
        return None
    return row.logo, row.logo_content_type, row.logo_sha256
