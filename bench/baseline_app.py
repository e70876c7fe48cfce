"""The intake baseline: a bare FastAPI + SQLModel endpoint that inserts one row.

Same database engine as the product (``workflow.db.build_engine``: SQLite, WAL, BEGIN
IMMEDIATE for writes, the same pragmas), same server (one uvicorn worker, no access log).
With ``CW_DATABASE_URL`` set (the PostgreSQL run) the row goes into that same database.
"""

from datetime import UTC, datetime

from fastapi import FastAPI
from sqlmodel import Field, Session, SQLModel

from models.base import table_of
from workflow.config import get_settings
from workflow.db import build_engine, is_sqlite


class BaselineItem(SQLModel, table=True):
    __tablename__ = "baseline_item"

    id: int | None = Field(default=None, primary_key=True)
    product: str = Field(max_length=200)
    description: str = Field(max_length=10_000)
    created_at: datetime


class BaselineItemCreate(SQLModel):
    product: str = Field(max_length=200)
    description: str = Field(max_length=10_000)


def database_url() -> str:
    return get_settings().database_url or f"sqlite:///{get_settings().var_dir / 'baseline.db'}"


def create_table() -> None:
    """Idempotent, but two uvicorn workers creating the table at once race on PostgreSQL:
    the scale-out harness calls this once before it starts them (bench/scaleout.py)."""
    once = build_engine(database_url())
    SQLModel.metadata.create_all(once, tables=[table_of(BaselineItem)])
    once.dispose()


engine = build_engine(database_url(), immediate=is_sqlite(database_url()))
SQLModel.metadata.create_all(engine, tables=[table_of(BaselineItem)])
app = FastAPI()


@app.post("/items", status_code=201)
def create_item(item: BaselineItemCreate) -> dict[str, int | None]:
    with Session(engine) as session:
        row = BaselineItem(**item.model_dump(), created_at=datetime.now(UTC))
        session.add(row)
        session.commit()
        return {"id": row.id}


@app.get("/health")
def health() -> dict[str, str]:
    return {"status": "ok"}
