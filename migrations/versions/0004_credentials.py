"""Credentials: issued credentials, their signed documents, the credential-signing keys and status lists.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "credentials",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("learner_id", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("subject", sa.String(length=32), nullable=True),
        sa.Column("institution_id", sa.String(length=64), nullable=True),
        sa.Column("issued_seq", sa.BigInteger(), nullable=False),
        sa.Column("issued_at", sa.String(length=32), nullable=False),
        sa.Column("hash", sa.String(length=80), nullable=False),
        sa.Column("key_id", sa.String(length=64), nullable=False),
        sa.Column("status_list", sa.Integer(), nullable=False),
        sa.Column("status_index", sa.Integer(), nullable=False),
        sa.Column("sources", sa.Text(), nullable=False),
        sa.Column("revoked_seq", sa.BigInteger(), nullable=True),
        sa.Column("suspended", sa.Boolean(), nullable=False),
        sa.Column("status_seq", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(["learner_id"], ["learners.id"], name=op.f("fk_credentials_learner_id_learners")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_credentials")),
        sa.UniqueConstraint("issued_seq", name=op.f("uq_credentials_issued_seq")),
        sa.UniqueConstraint("status_list", "status_index", name=op.f("uq_credentials_status_list")),
    )
    op.create_index(op.f("ix_credentials_learner_id"), "credentials", ["learner_id"])
    op.create_table(
        "credential_documents",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("document", sa.Text(), nullable=False),
        sa.Column("language_order", sa.String(length=8), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_credential_documents")),
    )
    op.create_table(
        "credential_keys",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("public_key", sa.String(length=64), nullable=False),
        sa.Column("active_from", sa.String(length=32), nullable=False),
        sa.Column("retired_at", sa.String(length=32), nullable=True),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_credential_keys")),
        sa.UniqueConstraint("seq", name=op.f("uq_credential_keys_seq")),
    )
    op.create_table(
        "status_list_documents",
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("document", sa.Text(), nullable=False),
        sa.Column("as_of_seq", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_status_list_documents")),
    )


def downgrade() -> None:
    op.drop_table("status_list_documents")
    op.drop_table("credential_keys")
    op.drop_table("credential_documents")
    op.drop_index(op.f("ix_credentials_learner_id"), table_name="credentials")
    op.drop_table("credentials")
