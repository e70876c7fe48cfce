"""The intake baseline: a bare FastAPI + SQLModel endpoint that inserts one row.

Same database engine as the product (``workflow.db.build_engine``: SQLite, WAL, BEGIN
IMMEDIATE for writes, the same pragmas), same server (one uvicorn worker, no access log).
"""

from datetime import UTC, datetime

from fastapi import FastAPI
from sqlmodel import Field, Session, SQLModel

from models.base import table_of
from workflow.config import get_settings
from workflow.db import build_engine


class BaselineItem(SQLModel, table=True):
    __tablename__ = "baseline_item"

    id: int | None = Field(default=None, primary_key=True)
    product: str = Field(max_length=200)
    description: str = Field(max_length=10_000)
    created_at: datetime


class BaselineItemCreate(SQLModel):
    product: str = Field(max_length=200)
    description: str = Field(max_length=10_000)


engine = build_engine(f"sqlite:///{get_settings().var_dir / 'baseline.db'}", immediate=True)
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
