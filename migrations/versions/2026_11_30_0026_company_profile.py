"""the company profile: one row, customers' mails and pages read it

``company_profile`` holds the name, address, contact details, signature, From: display name
and logo (bytes with their type and SHA-256) that every customer mail and page shows. The
row is created empty: empty fields fall back to CW_COMPANY_NAME and CW_MAIL_FROM_NAME, so
an upgraded install reads as before until an admin fills it in.

Revision ID: 0026
Revises: 0025
Create Date: 2026-11-30 03:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from models.base import UTCDateTime

revision: str = "0026"
down_revision: str | None = "0025"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    profile = op.create_table(
        "company_profile",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("address", sa.String(length=500), nullable=False),
        sa.Column("phone", sa.String(length=50), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("website", sa.String(length=200), nullable=False),
        sa.Column("signature", sa.String(length=1000), nullable=False),
        sa.Column("mail_display_name", sa.String(length=100), nullable=False),
        sa.Column("version", sa.String(length=32), nullable=False),
        sa.Column("logo_content_type", sa.String(length=32), nullable=True),
        sa.Column("logo_sha256", sa.String(length=64), nullable=True),
        sa.Column("logo", sa.LargeBinary(), nullable=True),
        sa.Column("updated_at", UTCDateTime(), nullable=True),
        sa.Column("updated_by", sa.String(length=100), nullable=True),
        sa.CheckConstraint("id = 1", name=op.f("ck_company_profile_one_row")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_company_profile")),
    )
    empty = dict.fromkeys(
        ("name", "address", "phone", "email", "website", "signature", "mail_display_name"), ""
    )
    op.bulk_insert(profile, [{"id": 1, "version": "initial", **empty}])


def downgrade() -> None:
    op.drop_table("company_profile")
