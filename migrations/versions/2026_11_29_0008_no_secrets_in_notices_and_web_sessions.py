"""no SMTP credentials or status tokens in the notice ledger; server-side web sessions

The ledger stored each notice's Apprise URL, with the SMTP user and password in it: the
column goes (the URL is built from the settings at send time), and a customer's extra
targets are marked by their channel. The customer's status token is withheld from stored
bodies (it is filled in when a notice is sent). ``web_session`` lets a sign-out end a
session on the server.

Only the ``notification`` table is rebuilt on SQLite (batch mode); ``history`` and its
append-only triggers are not touched.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-25 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

import models.base

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

WITHHELD_TOKEN = "[customer-only]"  # noqa: S105 - workflow/notices.py's placeholder


def _withhold_status_tokens() -> None:
    of_complaint = "(SELECT c.status_token FROM complaint c WHERE c.id = notification.complaint_id)"
    for column in ("body_text", "body_html"):  # our column names, not input
        op.execute(
            sa.text(
                f"UPDATE notification SET {column} = REPLACE({column}, {of_complaint}, :withheld) "  # noqa: S608
                f"WHERE {column} IS NOT NULL AND {of_complaint} IS NOT NULL"
            ).bindparams(withheld=WITHHELD_TOKEN)
        )


def upgrade() -> None:
    op.execute("UPDATE notification SET channel = 'apprise' WHERE recipient LIKE '%://%'")
    _withhold_status_tokens()
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.drop_column("target_url")
        # The channel is an enum now, stored like every enum (VARCHAR(32)).
        batch_op.alter_column(
            "channel", existing_type=sa.String(16), type_=sa.String(32), existing_nullable=False
        )

    op.create_table(
        "web_session",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", models.base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["user.id"], name=op.f("fk_web_session_user_id_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_web_session")),
    )
    with op.batch_alter_table("web_session", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_web_session_user_id"), ["user_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("web_session", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_web_session_user_id"))
    op.drop_table("web_session")
    # The URLs cannot be rebuilt here: an empty one makes a notice fail, never go astray.
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "target_url",
                sqlmodel.sql.sqltypes.AutoString(length=1000),
                nullable=False,
                server_default="",
            )
        )
