"""staff accounts managed by admins: one-time password links and the account change log

- ``password_reset_token``: one row per link mailed; only the SHA-256 of the token (and the
  nonce it is derived from with the secret key), never the token itself.
- ``user_change``: every change an admin makes to an account (who, when, old and new, why),
  append-only by use. The notice kind ``password_reset`` is a new value of a VARCHAR
  without a CHECK constraint.

Revision ID: 0025
Revises: 0024
Create Date: 2026-11-30 03:15:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from models.base import UTCDateTime

revision: str = "0025"
down_revision: str | None = "0024"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "password_reset_token",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("nonce", sa.String(length=64), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.Column("used_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user.id"], name="fk_password_reset_token_user_id_user"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_password_reset_token"),
    )
    op.create_index(
        "ix_password_reset_token_token_hash", "password_reset_token", ["token_hash"], unique=True
    )
    op.create_index("ix_password_reset_token_user_id", "password_reset_token", ["user_id"])
    op.create_table(
        "user_change",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("actor", sa.String(length=100), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("changes", sa.JSON(), nullable=False),
        sa.Column("reason", sa.String(length=2000), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["user.id"], name="fk_user_change_user_id_user"),
        sa.PrimaryKeyConstraint("id", name="pk_user_change"),
    )
    op.create_index("ix_user_change_at", "user_change", ["at"])
    op.create_index("ix_user_change_user_id", "user_change", ["user_id"])


def downgrade() -> None:
    op.drop_index("ix_user_change_user_id", table_name="user_change")
    op.drop_index("ix_user_change_at", table_name="user_change")
    op.drop_table("user_change")
    op.drop_index("ix_password_reset_token_user_id", table_name="password_reset_token")
    op.drop_index("ix_password_reset_token_token_hash", table_name="password_reset_token")
    op.drop_table("password_reset_token")
