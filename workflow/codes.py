"""Defect and cause codes: the two small catalogues quality keeps, and the look-up the
assessment and the result use to accept a code (known and active) or refuse it (422)."""

from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from models.base import id_of
from models.catalogue import CauseCodeCreate, CodePublic, CodeRef, CodeUpdate, DefectCodeCreate
from models.enums import HistoryAction
from models.quality import CauseCode, DefectCode
from workflow.clock import utcnow
from workflow.errors import InvalidInput, NotFound, RuleViolation
from workflow.master_log import apply_changes, log_change
from workflow.rules import Action, Actor, require_permission

AnyCode = DefectCode | CauseCode


def entity_of(code: AnyCode) -> str:
    return "defect_code" if isinstance(code, DefectCode) else "cause_code"


def find_code(
    session: Session, kind: str, *, code_id: int | None = None, code: str = "", lock: bool = False
) -> AnyCode | None:
    """A defect (``kind`` "defect") or cause code by id or by code string."""
    if kind == "defect":
        defect = DefectCode.id == code_id if code_id is not None else DefectCode.code == code
        query = select(DefectCode).where(defect)
        return session.exec(query.with_for_update() if lock else query).first()
    cause = CauseCode.id == code_id if code_id is not None else CauseCode.code == code
    causes = select(CauseCode).where(cause)
    return session.exec(causes.with_for_update() if lock else causes).first()


def group_of(code: AnyCode) -> str:
    return code.family if isinstance(code, DefectCode) else code.category.value


def code_public(code: AnyCode) -> CodePublic:
    return CodePublic(
        id=id_of(code), code=code.code, label=code.label, group=group_of(code), active=code.active
    )


def code_ref(code: AnyCode | None) -> CodeRef | None:
    if code is None:
        return None
    return CodeRef(code=code.code, label=code.label, group=group_of(code))


def list_codes(session: Session, kind: str) -> list[AnyCode]:
    """A catalogue ordered by family (or category), then code."""
    if kind == "defect":
        defects = select(DefectCode).order_by(col(DefectCode.family), col(DefectCode.code))
        return list(session.exec(defects).all())
    causes = select(CauseCode).order_by(col(CauseCode.category), col(CauseCode.code))
    return list(session.exec(causes).all())


def code_groups(session: Session, kind: str) -> list[tuple[str, list[AnyCode]]]:
    """The active codes by family (or category), in order: for a select with optgroups."""
    groups: dict[str, list[AnyCode]] = {}
    for code in list_codes(session, kind):
        if code.active:
            groups.setdefault(group_of(code), []).append(code)
    return list(groups.items())


def create_code(
    session: Session, *, data: DefectCodeCreate | CauseCodeCreate, actor: Actor
) -> AnyCode:
    require_permission(actor.role, Action.manage_codes)
    kind = "defect" if isinstance(data, DefectCodeCreate) else "cause"
    if find_code(session, kind, code=data.code) is not None:
        raise RuleViolation(f"the code {data.code} exists already")
    code: AnyCode = (
        DefectCode.model_validate(data, update={"created_at": utcnow()})
        if isinstance(data, DefectCodeCreate)
        else CauseCode.model_validate(data, update={"created_at": utcnow()})
    )
    session.add(code)
    try:
        session.flush()
    except IntegrityError as exc:  # a concurrent request created it first
        session.rollback()
        raise RuleViolation(f"the code {data.code} exists already") from exc
    log_change(
        session,
        actor=actor,
        entity=entity_of(code),
        entity_id=id_of(code),
        action=HistoryAction.code_created,
        changes=data.model_dump(mode="json"),
    )
    session.commit()
    return code


def _wanted(code: AnyCode, update: CodeUpdate) -> dict[str, Any]:
    wanted = update.model_dump(exclude_unset=True, exclude={"reason"})
    if isinstance(code, DefectCode) and "category" in wanted:
        raise InvalidInput("category", "a defect code has a family, not a category")
    if isinstance(code, CauseCode) and "family" in wanted:
        raise InvalidInput("family", "a cause code has a category, not a family")
    return wanted


def update_code(
    session: Session, *, kind: str, code_id: int, update: CodeUpdate, actor: Actor
) -> AnyCode:
    require_permission(actor.role, Action.manage_codes)
    code = find_code(session, kind, code_id=code_id, lock=True)
    if code is None:
        raise NotFound(f"no {kind} code {code_id}")
    changes = apply_changes(code, _wanted(code, update))
    if not changes:
        return code
    session.add(code)
    log_change(
        session,
        actor=actor,
        entity=entity_of(code),
        entity_id=code_id,
        action=HistoryAction.code_changed,
        changes={"code": code.code, **changes},
        reason=update.reason,
    )
    session.commit()
    return code


def choosable_code(session: Session, kind: str, code: str, field: str) -> AnyCode:
    """The active ``kind`` code ``code``; InvalidInput naming ``field`` otherwise."""
    found = find_code(session, kind, code=code)
    if found is None:
        raise InvalidInput(field, f"{code[:40]!r} is not a {kind} code")
    if not found.active:
        raise InvalidInput(field, f"the {kind} code {code} is no longer in use")
    return found
