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
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("actor", sa.String(length=128), nullable=False),
        sa.Column("recognizing", sa.String(length=64), nullable=False),
        sa.Column("parties", sa.Text(), nullable=False),
        sa.Column("document", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", "version", name=op.f("pk_agreements")),
        sa.UniqueConstraint("seq", name=op.f("uq_agreements_seq")),
    )
    op.create_index(op.f("ix_agreements_recognizing"), "agreements", ["recognizing"])
    op.create_table(
        "agreement_terms",
        sa.Column("agreement", sa.String(length=64), nullable=False),
        sa.Column("version", sa.String(length=20), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("from_institution", sa.String(length=64), nullable=False),
        sa.Column("from_code", sa.String(length=64), nullable=False),
        sa.Column("outcome", sa.String(length=24), nullable=False),
        sa.Column("framework", sa.String(length=40), nullable=False),
        sa.Column("cents", sa.Integer(), nullable=False),
        sa.Column("completed_from", sa.String(length=10), nullable=False),
        sa.Column("completed_until", sa.String(length=10), nullable=False),
        sa.PrimaryKeyConstraint("agreement", "version", "number", name=op.f("pk_agreement_terms")),
    )
    op.create_index("ix_agreement_terms_course", "agreement_terms", ["from_institution", "from_code"])


def downgrade() -> None:
    op.drop_index("ix_agreement_terms_course", table_name="agreement_terms")
    op.drop_table("agreement_terms")
    op.drop_index(op.f("ix_agreements_recognizing"), table_name="agreements")
    op.drop_table("agreements")
