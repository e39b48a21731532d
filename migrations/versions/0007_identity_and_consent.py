"""Learners' consent grants to institutions (a projection of consent.* entries).

What each linking institution submitted is kept inside the learner's sealed personal data, so it needs no column.

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "consent_grants",
        sa.Column("seq", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("learner_id", sa.String(length=32), nullable=False),
        sa.Column("institution_id", sa.String(length=64), nullable=False),
        sa.Column("scope", sa.String(length=16), nullable=False),
        sa.Column("granted_at", sa.String(length=32), nullable=False),
        sa.Column("expires_at", sa.String(length=32), nullable=False),
        sa.Column("withdrawn_seq", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_consent_grants")),
    )
    op.create_index(op.f("ix_consent_grants_learner_id"), "consent_grants", ["learner_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_consent_grants_learner_id"), table_name="consent_grants")
    op.drop_table("consent_grants")
