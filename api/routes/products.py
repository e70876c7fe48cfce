from typing import Annotated

from fastapi import APIRouter, Body, HTTPException, Path, Query, status

from api.deps import SessionDep, WriteSessionDep, allowed
from models.catalogue import (
    ImportReport,
    MasterDataChangePublic,
    ProductCreate,
    ProductPublic,
    ProductUpdate,
)
from models.views import Page
from workflow.config import get_settings
from workflow.master_log import list_changes
from workflow.product_import import ImportRefused, import_products
from workflow.products import create_product, get_product, list_products, update_product
from workflow.rules import Action
from workflow.transitions import Actor

router = APIRouter(prefix="/products", tags=["master data"])

ProductId = Annotated[int, Path(ge=1, le=2**62, description="The product's id.")]
PageSize = Annotated[int, Query(ge=1, le=100, description="Items per page (at most 100).")]
Offset = Annotated[int, Query(ge=0, le=1_000_000)]
CSV_EXAMPLE = "part_number,name,family,active\nP-200,Pump P-200,pumps,true\n"


@router.get(
    "",
    summary="Search the product catalogue",
    description="By part number. `q` searches part number and name; `family` (exact, any "
    "case) and `active` narrow the list.",
)
def search_products(
    session: SessionDep,
    _: Annotated[Actor, allowed(Action.read_complaints)],
    q: Annotated[str | None, Query(min_length=1, max_length=200, pattern=r"^[^\x00]+$")] = None,
    family: Annotated[str | None, Query(min_length=1, max_length=100)] = None,
    active: bool | None = None,
    limit: PageSize = 50,
    offset: Offset = 0,
) -> Page[ProductPublic]:
    limit = min(limit, get_settings().max_page_size)
    return list_products(session, text=q, family=family, active=active, limit=limit, offset=offset)


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    summary="Add a product",
    description="Quality and admins. The part number is unique (any case) and never changes.",
    responses={409: {"description": "A product with this part number exists"}},
)
def add_product(
    data: ProductCreate,
    session: WriteSessionDep,
    actor: Annotated[Actor, allowed(Action.manage_products)],
) -> ProductPublic:
    product = create_product(session, data=data, actor=actor)
    return ProductPublic.model_validate(product, from_attributes=True)


@router.get(
    "/changes",
    summary="The master data change log",
    description="Every change to products and to defect and cause codes, newest first: who, "
    "when, old and new values, why. `entity` is product, defect_code or cause_code.",
)
def master_data_changes(
    session: SessionDep,
    _: Annotated[Actor, allowed(Action.manage_products)],
    entity: Annotated[str | None, Query(pattern=r"^(product|defect_code|cause_code)$")] = None,
    entity_id: Annotated[int | None, Query(ge=1, le=2**62)] = None,
    limit: PageSize = 50,
    offset: Offset = 0,
) -> list[MasterDataChangePublic]:
    rows = list_changes(session, entity=entity, entity_id=entity_id, limit=limit, offset=offset)
    return [MasterDataChangePublic.model_validate(r, from_attributes=True) for r in rows]


@router.get(
    "/{product_id:int}",
    summary="One product",
    description="A product of the catalogue, sold or no longer sold.",
    responses={404: {"description": "No such product"}},
)
def read_product(
    product_id: ProductId,
    session: SessionDep,
    _: Annotated[Actor, allowed(Action.read_complaints)],
) -> ProductPublic:
    return ProductPublic.model_validate(get_product(session, product_id), from_attributes=True)


@router.patch(
    "/{product_id:int}",
    summary="Rename, move or deactivate a product",
    description="Quality and admins. Only the fields given change; a deactivated product "
    "stays on the complaints that point at it but is no longer matched at intake.",
    responses={404: {"description": "No such product"}},
)
def change_product(
    product_id: ProductId,
    update: ProductUpdate,
    session: WriteSessionDep,
    actor: Annotated[Actor, allowed(Action.manage_products)],
) -> ProductPublic:
    product = update_product(session, product_id=product_id, update=update, actor=actor)
    return ProductPublic.model_validate(product, from_attributes=True)


@router.post(
    "/import",
    summary="Import products from CSV",
    description="The body is a UTF-8 CSV file (`Content-Type: text/csv`) with the header "
    "`part_number,name,family,active` (active: true/false, yes/no, 1/0; empty means true). "
    "Upserted by part number. All or nothing: if any line is bad, nothing is imported and "
    "the 422 lists every bad line with its number. At most 1 MB and 20,000 lines.",
    responses={
        413: {"description": "The file is over 1 MB"},
        422: {"description": "Bad lines (each named), a missing column, or not UTF-8"},
    },
)
def import_product_file(
    session: WriteSessionDep,
    actor: Annotated[Actor, allowed(Action.manage_products)],
    content: Annotated[bytes, Body(media_type="text/csv", examples=[CSV_EXAMPLE])],
) -> ImportReport:
    try:
        return import_products(session, content=content, actor=actor)
    except ImportRefused as refused:
        detail = [
            {"loc": ["body", "line", e.line], "msg": e.error, "type": "value_error"}
            for e in refused.errors
        ]
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, detail=detail) from refused
