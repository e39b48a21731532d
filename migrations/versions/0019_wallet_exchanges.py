"""Wallet exchanges (VC-API): a learner's credential waiting for their wallet.

Revision ID: 0019
Revises: 0018
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "wallet_exchanges",
        sa.Column("digest", sa.LargeBinary(length=32), nullable=False),
        sa.Column("learner_id", sa.String(length=32), nullable=False),
        sa.Column("credential_id", sa.String(length=64), nullable=False),
        sa.Column("challenge", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("rounds", sa.Integer(), nullable=False),
        sa.Column("holder_did", sa.String(length=128), nullable=True),
        sa.PrimaryKeyConstraint("digest", name=op.f("pk_wallet_exchanges")),
    )
    op.create_index(op.f("ix_wallet_exchanges_learner_id"), "wallet_exchanges", ["learner_id"])
    op.create_index(op.f("ix_wallet_exchanges_expires_at"), "wallet_exchanges", ["expires_at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_wallet_exchanges_expires_at"), table_name="wallet_exchanges")
    op.drop_index(op.f("ix_wallet_exchanges_learner_id"), table_name="wallet_exchanges")
    op.drop_table("wallet_exchanges")
