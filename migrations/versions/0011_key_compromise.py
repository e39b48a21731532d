"""When a credential-signing key was reported compromised (a projection of `key.compromised` entries).

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("credential_keys") as table:
        table.add_column(sa.Column("compromised_at", sa.String(length=32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("credential_keys") as table:
        table.drop_column("compromised_at")
