"""Master data pages: the product catalogue (search, add, change, CSV import), the defect and
cause codes, and quality's form that maps a complaint to a product."""

from typing import Annotated, Any

from fastapi import Path, Query, Request, status
from fastapi.responses import RedirectResponse, Response
from sqlmodel import Session
from starlette.datastructures import UploadFile

from api.deps import SessionDep, WriteSessionDep
from api.web.forms import FieldErrors, integer, validate
from api.web.pages import flash, render
from api.web.routes import page_router
from api.web.session import page_for
from models.catalogue import (
    CauseCodeCreate,
    CodeUpdate,
    DefectCodeCreate,
    ProductCreate,
    ProductMapping,
    ProductUpdate,
)
from models.enums import CauseCategory
from workflow.codes import code_public, create_code, list_codes, update_code
from workflow.product_import import MAX_IMPORT_BYTES, ImportRefused, import_products
from workflow.product_mapping import map_product
from workflow.products import create_product, get_product, list_products, update_product
from workflow.rules import Action, Actor, may

router = page_router()
PAGE = 50
Reader = Annotated[Actor, page_for(Action.read_complaints)]
ProductKeeper = Annotated[Actor, page_for(Action.manage_products)]
CodeKeeper = Annotated[Actor, page_for(Action.manage_codes)]
CodeKind = Annotated[str, Path(pattern="^(defect|cause)$")]


async def _form(request: Request) -> dict[str, str]:
    form = await request.form()
    return {k: v.strip() for k, v in form.items() if isinstance(v, str)}


def _products_page(
    request: Request,
    session: Session,
    actor: Actor,
    *,
    q: str = "",
    offset: int = 0,
    values: dict[str, Any] | None = None,
    errors: FieldErrors | None = None,
    import_errors: list[Any] | None = None,
) -> Response:
    page = list_products(
        session, text=q or None, family=None, active=None, limit=PAGE, offset=offset
    )
    context = {
        "title": "Products",
        "page": page,
        "q": q,
        "may_manage": may(actor.role, Action.manage_products),
        "values": values or {},
        "errors": errors or {},
        "import_errors": import_errors or [],
        "max_kb": MAX_IMPORT_BYTES // 1024,
    }
    failed = errors or import_errors
    code = status.HTTP_422_UNPROCESSABLE_CONTENT if failed else status.HTTP_200_OK
    return render(request, "products.html", context, status_code=code)


@router.get("/products")
def products_page(
    request: Request,
    session: SessionDep,
    actor: Reader,
    q: Annotated[str, Query(max_length=200)] = "",
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> Response:
    return _products_page(request, session, actor, q=q, offset=offset)


@router.post("/products")
async def add_product(request: Request, session: WriteSessionDep, actor: ProductKeeper) -> Response:
    values = await _form(request)
    fields = {k: values.get(k, "") for k in ("part_number", "name", "family")}
    body, errors = validate(ProductCreate, fields)
    if errors:
        return _products_page(request, session, actor, values=values, errors=errors)
    product = create_product(session, data=body, actor=actor)
    flash(request, f"Product {product.part_number} added.")
    return RedirectResponse("/products", status_code=status.HTTP_303_SEE_OTHER)


@router.post("/products/import")
async def import_file(request: Request, session: WriteSessionDep, actor: ProductKeeper) -> Response:
    upload = (await request.form()).get("file")
    content = await upload.read(MAX_IMPORT_BYTES + 1) if isinstance(upload, UploadFile) else b""
    try:
        report = import_products(session, content=content, actor=actor)
    except ImportRefused as refused:
        return _products_page(request, session, actor, import_errors=refused.errors)
    flash(
        request,
        f"Imported: {report.created} new, {report.updated} changed, {report.unchanged} unchanged.",
    )
    return RedirectResponse("/products", status_code=status.HTTP_303_SEE_OTHER)


@router.get("/products/{product_id}")
def product_page(
    request: Request,
    session: SessionDep,
    actor: ProductKeeper,
    product_id: Annotated[int, Path(ge=1, le=2**62)],
) -> Response:
    product = get_product(session, product_id)
    return render(request, "product_edit.html", {"title": product.part_number, "p": product})


@router.post("/products/{product_id}")
async def change_product(
    request: Request,
    session: WriteSessionDep,
    actor: ProductKeeper,
    product_id: Annotated[int, Path(ge=1, le=2**62)],
) -> Response:
    values = await _form(request)
    fields = {
        "name": values.get("name") or None,
        "family": values.get("family") or None,
        "active": values.get("active") == "yes",
        "reason": values.get("reason") or None,
    }
    body, errors = validate(ProductUpdate, fields)
    if errors:
        product = get_product(session, product_id)
        context = {"title": product.part_number, "p": product, "errors": errors}
        return render(request, "product_edit.html", context, status_code=422)
    product = update_product(session, product_id=product_id, update=body, actor=actor)
    flash(request, f"Product {product.part_number} saved.")
    return RedirectResponse("/products", status_code=status.HTTP_303_SEE_OTHER)


def _codes_page(
    request: Request, session: Session, actor: Actor, errors: FieldErrors | None = None
) -> Response:
    context = {
        "title": "Defect and cause codes",
        "defects": [code_public(c) for c in list_codes(session, "defect")],
        "causes": [code_public(c) for c in list_codes(session, "cause")],
        "categories": list(CauseCategory),
        "may_manage": may(actor.role, Action.manage_codes),
        "errors": errors or {},
    }
    code = status.HTTP_422_UNPROCESSABLE_CONTENT if errors else status.HTTP_200_OK
    return render(request, "codes.html", context, status_code=code)


@router.get("/codes")
def codes_page(request: Request, session: SessionDep, actor: Reader) -> Response:
    return _codes_page(request, session, actor)


@router.post("/codes/{kind}")
async def add_code(
    request: Request, session: WriteSessionDep, actor: CodeKeeper, kind: CodeKind
) -> Response:
    values = await _form(request)
    model = DefectCodeCreate if kind == "defect" else CauseCodeCreate
    group = "family" if kind == "defect" else "category"
    fields = {"code": values.get("code", ""), "label": values.get("label", "")}
    body, errors = validate(model, {**fields, group: values.get("group", "")})
    if errors:
        return _codes_page(request, session, actor, errors)
    code = create_code(session, data=body, actor=actor)
    flash(request, f"Code {code.code} added.")
    return RedirectResponse("/codes", status_code=status.HTTP_303_SEE_OTHER)


@router.post("/codes/{kind}/{code_id}")
async def switch_code(
    request: Request,
    session: WriteSessionDep,
    actor: CodeKeeper,
    kind: CodeKind,
    code_id: Annotated[int, Path(ge=1, le=2**62)],
) -> Response:
    values = await _form(request)
    update = CodeUpdate(active=values.get("active") == "yes")
    code = update_code(session, kind=kind, code_id=code_id, update=update, actor=actor)
    flash(request, f"Code {code.code} {'in use' if code.active else 'retired'}.")
    return RedirectResponse("/codes", status_code=status.HTTP_303_SEE_OTHER)


@router.post("/complaints/{reference}/product")
async def map_to_product(
    request: Request,
    session: WriteSessionDep,
    actor: Annotated[Actor, page_for(Action.map_product)],
    reference: Annotated[str, Path(max_length=32)],
) -> Response:
    values = await _form(request)
    fields = {
        "product_id": integer(values.get("product_id") or None),
        "reason": values.get("reason"),
    }
    body, errors = validate(ProductMapping, fields)
    if errors:
        flash(request, "Choose a product and say why: " + "; ".join(errors.values()), "error")
    else:
        map_product(session, reference=reference, mapping=body, actor=actor)
        flash(request, "Product mapped.")
    return RedirectResponse(f"/complaints/{reference}", status_code=status.HTTP_303_SEE_OTHER)
