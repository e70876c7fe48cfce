"""Products from a CSV file (``part_number,name,family,active``): upserted by part number,
all or nothing. A bad line refuses the whole file with every bad line named."""

import csv
import io

from pydantic import ValidationError
from sqlmodel import Session, select

from models.base import id_of
from models.catalogue import ImportLineError, ImportReport, ProductCreate
from models.enums import HistoryAction
from models.quality import Product
from workflow.clock import utcnow
from workflow.errors import InvalidInput
from workflow.master_log import log_change
from workflow.products import apply_product_changes
from workflow.rules import Action, Actor, require_permission

MAX_IMPORT_BYTES = 2 * 1024 * 1024
MAX_IMPORT_LINES = 20_000
COLUMNS = ("part_number", "name", "family", "active")
TRUE_WORDS = {"true": True, "yes": True, "1": True, "false": False, "no": False, "0": False}


class ImportRefused(InvalidInput):
    """The file has bad lines: nothing was imported (422 with the list)."""

    def __init__(self, errors: list[ImportLineError]) -> None:
        super().__init__("file", f"{len(errors)} bad line(s): nothing was imported")
        self.errors = errors


def _decode(content: bytes) -> str:
    if len(content) > MAX_IMPORT_BYTES:
        raise InvalidInput("file", f"the file is over {MAX_IMPORT_BYTES // 1024} KB")
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidInput("file", "the file is not UTF-8 text") from exc


def _line_product(row: dict[str, str | None]) -> ProductCreate:
    active = (row.get("active") or "true").strip().lower()
    if active not in TRUE_WORDS:
        raise ValueError(f"active must be true or false, not {active[:20]!r}")
    return ProductCreate.model_validate(
        {
            "part_number": row.get("part_number") or "",
            "name": row.get("name") or "",
            "family": row.get("family") or "",
            "active": TRUE_WORDS[active],
        }
    )


def _words(error: ValidationError) -> str:
    return "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in error.errors())


def parse_products(content: bytes) -> list[ProductCreate]:
    """Every line as a product, or ImportRefused naming each bad line."""
    reader = csv.DictReader(io.StringIO(_decode(content)))
    missing = [c for c in COLUMNS[:3] if c not in (reader.fieldnames or [])]
    if missing:
        raise InvalidInput("file", f"the header must name {', '.join(COLUMNS)}; missing: "
                           f"{', '.join(missing)}")  # fmt: skip
    products: list[ProductCreate] = []
    errors: list[ImportLineError] = []
    seen: dict[str, int] = {}
    for row in reader:
        line = reader.line_num
        if len(products) + len(errors) >= MAX_IMPORT_LINES:
            raise InvalidInput("file", f"at most {MAX_IMPORT_LINES} lines per file")
        try:
            product = _line_product(row)
        except ValidationError as exc:
            errors.append(ImportLineError(line=line, error=_words(exc)))
            continue
        except ValueError as exc:
            errors.append(ImportLineError(line=line, error=str(exc)))
            continue
        key = product.part_number.lower()
        if key in seen:
            errors.append(ImportLineError(line=line, error=f"part number repeats line {seen[key]}"))
            continue
        seen[key] = line
        products.append(product)
    if errors:
        raise ImportRefused(errors)
    return products


def _products_by_part_number(session: Session) -> dict[str, Product]:
    """The whole catalogue, read once: one query per line made a 20,000-line file take 100 s."""
    return {p.part_number.lower(): p for p in session.exec(select(Product))}


def import_products(session: Session, *, content: bytes, actor: Actor) -> ImportReport:
    require_permission(actor.role, Action.manage_products)
    lines = parse_products(content)
    report = ImportReport(created=0, updated=0, unchanged=0)
    known = _products_by_part_number(session)
    created: list[Product] = []
    changed: list[dict] = []
    now = utcnow()
    for data in lines:
        product = known.get(data.part_number.lower())
        if product is None:
            created.append(
                Product.model_validate(data, update={"created_at": now, "updated_at": now})
            )
            continue
        changes = apply_product_changes(
            product, data.model_dump(include={"name", "family", "active"})
        )
        if changes:
            changed.append({"id": id_of(product), "part_number": product.part_number, **changes})
    session.add_all(created)
    session.flush()
    report.created, report.updated = len(created), len(changed)
    report.unchanged = len(lines) - report.created - report.updated
    new = [{"id": p.id, "part_number": p.part_number, "new": True} for p in created]
    log_change(
        session,
        actor=actor,
        entity="product",
        entity_id=None,
        action=HistoryAction.products_imported,
        changes={**report.model_dump(), "products": new + changed},
    )
    session.commit()
    return report
