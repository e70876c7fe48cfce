from typing import Annotated, Any

from fastapi import APIRouter, Path, status

from api.deps import SessionDep, WriteSessionDep, allowed
from models.catalogue import CauseCodeCreate, CodePublic, CodeUpdate, DefectCodeCreate
from workflow.codes import code_public, create_code, list_codes, update_code
from workflow.rules import Action
from workflow.transitions import Actor

router = APIRouter(prefix="/codes", tags=["master data"])

CodeId = Annotated[int, Path(ge=1, le=2**62, description="The code's id.")]
NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"description": "No such code"}}
EXISTS: dict[int | str, dict[str, Any]] = {409: {"description": "The code exists already"}}


@router.get(
    "/defects",
    summary="Defect codes",
    description="Two levels: `group` is the family (leak, dimension, ...). Inactive codes are "
    "listed too (`active: false`): they stay on old complaints but cannot be chosen.",
)
def defect_codes(
    session: SessionDep, _: Annotated[Actor, allowed(Action.read_complaints)]
) -> list[CodePublic]:
    return [code_public(c) for c in list_codes(session, "defect")]


@router.post(
    "/defects",
    status_code=status.HTTP_201_CREATED,
    summary="Add a defect code",
    description="Quality and admins.",
    responses=EXISTS,
)
def add_defect_code(
    data: DefectCodeCreate,
    session: WriteSessionDep,
    actor: Annotated[Actor, allowed(Action.manage_codes)],
) -> CodePublic:
    return code_public(create_code(session, data=data, actor=actor))


@router.patch(
    "/defects/{code_id}",
    summary="Relabel, move or deactivate a defect code",
    description="Quality and admins. The code string never changes.",
    responses=NOT_FOUND,
)
def change_defect_code(
    code_id: CodeId,
    update: CodeUpdate,
    session: WriteSessionDep,
    actor: Annotated[Actor, allowed(Action.manage_codes)],
) -> CodePublic:
    return code_public(
        update_code(session, kind="defect", code_id=code_id, update=update, actor=actor)
    )


@router.get(
    "/causes",
    summary="Cause codes",
    description="Two levels: `group` is the 6M category (man, machine, method, material, "
    "measurement, environment). Inactive codes are listed too.",
)
def cause_codes(
    session: SessionDep, _: Annotated[Actor, allowed(Action.read_complaints)]
) -> list[CodePublic]:
    return [code_public(c) for c in list_codes(session, "cause")]


@router.post(
    "/causes",
    status_code=status.HTTP_201_CREATED,
    summary="Add a cause code",
    description="Quality and admins.",
    responses=EXISTS,
)
def add_cause_code(
    data: CauseCodeCreate,
    session: WriteSessionDep,
    actor: Annotated[Actor, allowed(Action.manage_codes)],
) -> CodePublic:
    return code_public(create_code(session, data=data, actor=actor))


@router.patch(
    "/causes/{code_id}",
    summary="Relabel, recategorise or deactivate a cause code",
    description="Quality and admins. The code string never changes.",
    responses=NOT_FOUND,
)
def change_cause_code(
    code_id: CodeId,
    update: CodeUpdate,
    session: WriteSessionDep,
    actor: Annotated[Actor, allowed(Action.manage_codes)],
) -> CodePublic:
    return code_public(
        update_code(session, kind="cause", code_id=code_id, update=update, actor=actor)
    )
