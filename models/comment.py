"""Internal comments on a complaint or one of its tasks: staff talk inside the record."""

from datetime import datetime

from sqlmodel import Field, SQLModel

from models.base import json_field, utc_field

MAX_COMMENT_CHARACTERS = 5_000


class CommentCreate(SQLModel):
    model_config = {"extra": "forbid"}

    body: str = Field(
        min_length=1,
        max_length=MAX_COMMENT_CHARACTERS,
        description="The comment. `@username` mentions a colleague, who gets a mail.",
        schema_extra={"examples": ["@technical can you bench-test lot L-2026-114 at 6 bar?"]},
    )
    task_id: int | None = Field(
        default=None, ge=1, description="The task of this complaint the comment is about."
    )


class Comment(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="case_file.id", index=True)
    task_id: int | None = Field(default=None, foreign_key="task.id")
    author_id: int = Field(foreign_key="user.id")
    body: str = Field(max_length=MAX_COMMENT_CHARACTERS)
    mentions: list[str] = json_field(default_factory=list)
    created_at: datetime = utc_field(nullable=False)


class CommentPublic(SQLModel):
    id: int
    task_id: int | None
    author: str = Field(description="The author's username.")
    author_name: str
    body: str
    mentions: list[str] = Field(description="Usernames mentioned, each sent a mail.")
    created_at: datetime
