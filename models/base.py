"""Column types and conventions shared by every table."""

from datetime import UTC, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from sqlalchemy import JSON, DateTime, String, Table, TypeDecorator
from sqlalchemy import Enum as SAEnum
from sqlalchemy.engine import Dialect
from sqlmodel import Column, Field, SQLModel

SQLModel.metadata.naming_convention = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Stores aware UTC datetimes and always returns them aware (SQLite drops the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class DecimalText(TypeDecorator[Decimal]):
    """An exact amount of money, kept as its decimal text (SQLite has no exact decimal)."""

    impl = String(40)
    cache_ok = True

    def process_bind_param(self, value: Decimal | None, dialect: Dialect) -> str | None:
        return None if value is None else str(Decimal(value))

    def process_result_value(self, value: str | None, dialect: Dialect) -> Decimal | None:
        return None if value is None else Decimal(value)


def money_field(*, nullable: bool = True) -> Any:
    return Field(default=None, sa_column=Column(DecimalText(), nullable=nullable))


def utc_field(*, nullable: bool = True, index: bool = False, default: Any = None) -> Any:
    return Field(
        default=default,
        sa_column=Column(UTCDateTime(), nullable=nullable, index=index),
    )


def json_field(default_factory: Any = dict) -> Any:
    return Field(default_factory=default_factory, sa_column=Column(JSON, nullable=False))


def table_of(model: type[SQLModel]) -> Table:
    """The SQLAlchemy table of a table model (SQLModel sets ``__table__`` without a type)."""
    table = model.__dict__.get("__table__")
    if not isinstance(table, Table):
        raise TypeError(f"{model.__name__} is not a table model")
    return table


def id_of(row: SQLModel) -> int:
    """The primary key of a row that is in the database (flushed): tables type it
    ``int | None`` because a new row has none yet."""
    ident = getattr(row, "id", None)
    if not isinstance(ident, int):
        raise ValueError(f"this {type(row).__name__} has no id yet: flush it first")
    return ident


def utcnow() -> datetime:
    from workflow.clock import utcnow as clock_now

    return clock_now()


def enum_field(enum_cls: type[Enum], default: Any = ..., **kwargs: Any) -> Any:
    """An enum stored as its value in a VARCHAR (no native PostgreSQL enum types to migrate)."""
    sa_type = SAEnum(
        enum_cls,
        native_enum=False,
        length=32,
        values_callable=lambda members: [m.value for m in members],
        validate_strings=True,
    )
    return Field(default=default, sa_type=sa_type, **kwargs)
