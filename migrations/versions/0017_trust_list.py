"""The trust list: issuers whose credentials count as evidence for recognition.

Revision ID: 0017
Revises: 0016
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "trusted_issuers",
        sa.Column("did", sa.String(length=255), nullable=False),
        sa.PrimaryKeyConstraint("did", name=op.f("pk_trusted_issuers")),
    )


def downgrade() -> None:
    op.drop_table("trusted_issuers")
