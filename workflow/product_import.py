"""Products from a CSV file (``part_number,name,family,active``): upserted by part number,
all or nothing. A bad line refuses the whole file with every bad line named."""

import csv
import io

from pydantic import ValidationError
from sqlmodel import Session

from models.base import id_of
from models.catalogue import ImportLineError, ImportReport, ProductCreate
from models.enums import HistoryAction
from workflow.errors import InvalidInput
from workflow.master_log import log_change
from workflow.products import add_product, apply_product_changes, product_by_part_number
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


def import_products(session: Session, *, content: bytes, actor: Actor) -> ImportReport:
    require_permission(actor.role, Action.manage_products)
    report = ImportReport(created=0, updated=0, unchanged=0)
    changed: list[dict] = []
    for data in parse_products(content):
        product = product_by_part_number(session, data.part_number)
        if product is None:
            product = add_product(session, data)
            report.created += 1
            changed.append({"id": product.id, "part_number": data.part_number, "new": True})
            continue
        fields = data.model_dump(include={"name", "family", "active"})
        changes = apply_product_changes(product, fields)
        if not changes:
            report.unchanged += 1
            continue
        session.add(product)
        report.updated += 1
        changed.append({"id": id_of(product), "part_number": product.part_number, **changes})
    log_change(
        session,
        actor=actor,
        entity="product",
        entity_id=None,
        action=HistoryAction.products_imported,
        changes={**report.model_dump(), "products": changed},
    )
    session.commit()
    return report
