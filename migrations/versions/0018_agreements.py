"""Mutual recognition agreements and their terms.

Revision ID: 0018
Revises: 0017
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "agreements",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("version", sa.String(length=20), nullable=False),
        sa.PrimaryKeyConstraint("id", "version", name=op.f("pk_agreements")),
    )
    op.create_table(
        "agreement_terms",
        sa.Column("agreement", sa.String(length=64), nullable=False),
        sa.Column("version", sa.String(length=20), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("agreement", "version", "number", name=op.f("pk_agreement_terms")),
    )


def downgrade() -> None:
    op.drop_table("agreement_terms")
    op.drop_table("agreements")
