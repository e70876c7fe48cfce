"""Request and answer shapes of the master data (products, defect and cause codes), and the
change log that keeps every change to it (master data has no complaint to hang history on)."""

from datetime import datetime
from typing import Annotated, Any

from pydantic import StrictBool, StrictInt, StringConstraints, field_validator
from sqlmodel import Field, SQLModel

from models.base import json_field, utc_field
from models.enums import CauseCategory

PART_NUMBER_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._/ -]*$"
CODE_PATTERN = r"^[A-Z0-9][A-Z0-9-]*$"


class MasterDataChange(SQLModel, table=True):
    """One change to a product or a code: who, when, what (old and new), why. Append-only by
    use: nothing in the application updates or deletes a row."""

    __tablename__ = "master_data_change"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = utc_field(nullable=False, index=True)
    actor: str = Field(max_length=100)
    entity: str = Field(max_length=32, description="product, defect_code or cause_code")
    entity_id: int | None = Field(default=None, index=True)
    action: str = Field(max_length=64)
    changes: dict[str, Any] = json_field()
    reason: str | None = Field(default=None, max_length=2_000)


class MasterDataChangePublic(SQLModel):
    at: datetime
    actor: str
    entity: str
    entity_id: int | None
    action: str
    changes: dict[str, Any]
    reason: str | None


def _stripped(value: str | None) -> str | None:
    return value.strip() if isinstance(value, str) else value


class ProductCreate(SQLModel):
    model_config = {
        "json_schema_extra": {
            "examples": [{"part_number": "P-200", "name": "Pump P-200", "family": "pumps"}]
        }
    }

    part_number: Annotated[str, StringConstraints(pattern=PART_NUMBER_PATTERN)] = Field(
        min_length=1, max_length=64, description="Letters, digits and . _ / - or blanks"
    )
    name: str = Field(min_length=1, max_length=200)
    family: str = Field(min_length=1, max_length=100)
    active: StrictBool = True

    @field_validator("part_number", "name", "family", mode="before")
    @classmethod
    def _strip(cls, value: str) -> str | None:
        return _stripped(value)


class ProductUpdate(SQLModel):
    model_config = {
        "json_schema_extra": {"examples": [{"active": False, "reason": "Discontinued in 2026."}]}
    }

    name: str | None = Field(default=None, min_length=1, max_length=200)
    family: str | None = Field(default=None, min_length=1, max_length=100)
    active: StrictBool | None = None
    reason: str | None = Field(default=None, max_length=2_000)

    @field_validator("name", "family", mode="before")
    @classmethod
    def _strip(cls, value: str | None) -> str | None:
        return _stripped(value)


class ProductPublic(SQLModel):
    id: int
    part_number: str
    name: str
    family: str
    active: bool
    created_at: datetime
    updated_at: datetime


class ProductRef(SQLModel):
    """The catalogue product a complaint points at."""

    id: int
    part_number: str
    name: str
    family: str


class ImportLineError(SQLModel):
    line: int = Field(description="Line number in the file (the header is line 1).")
    error: str


class ImportReport(SQLModel):
    created: int
    updated: int
    unchanged: int


class ProductMapping(SQLModel):
    model_config = {
        "json_schema_extra": {
            "examples": [{"product_id": 1, "reason": "'P200 pump' is our part P-200."}]
        }
    }

    product_id: StrictInt = Field(ge=1, le=2**62)
    reason: str = Field(min_length=3, max_length=2_000, description="Why this product")


class DefectCodeCreate(SQLModel):
    model_config = {
        "json_schema_extra": {
            "examples": [{"code": "LK-GASK", "family": "leak", "label": "Gasket leak"}]
        }
    }

    code: Annotated[str, StringConstraints(pattern=CODE_PATTERN)] = Field(
        min_length=2, max_length=32, description="Capitals, digits and -, e.g. LK-SEAL"
    )
    family: str = Field(min_length=1, max_length=100)
    label: str = Field(min_length=1, max_length=200)


class CauseCodeCreate(SQLModel):
    model_config = {
        "json_schema_extra": {
            "examples": [{"code": "MAT-SEAL", "category": "material", "label": "Seal compound"}]
        }
    }

    code: Annotated[str, StringConstraints(pattern=CODE_PATTERN)] = Field(
        min_length=2, max_length=32, description="Capitals, digits and -, e.g. LK-SEAL"
    )
    category: CauseCategory
    label: str = Field(min_length=1, max_length=200)


class CodeUpdate(SQLModel):
    """Relabel, move or deactivate a code; its code string never changes (complaints keep
    pointing at it). A deactivated code stays on old complaints but cannot be chosen."""

    model_config = {
        "json_schema_extra": {"examples": [{"active": False, "reason": "Merged into LK-SEAL."}]}
    }

    label: str | None = Field(default=None, min_length=1, max_length=200)
    family: str | None = Field(
        default=None, min_length=1, max_length=100, description="Defect codes only."
    )
    category: CauseCategory | None = Field(default=None, description="Cause codes only.")
    active: StrictBool | None = None
    reason: str | None = Field(default=None, max_length=2_000)


class CodePublic(SQLModel):
    id: int
    code: str
    label: str
    group: str = Field(description="The defect family, or the cause's 6M category.")
    active: bool


class CodeRef(SQLModel):
    """A defect or cause code as a complaint shows it."""

    code: str
    label: str
    group: str = Field(description="The defect family, or the cause's 6M category.")
