"""Keep what a credential's PDF shows (besides the holder's name) at issuance.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("credential_documents") as table:
        table.add_column(sa.Column("page_facts", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("credential_documents") as table:
        table.drop_column("page_facts")
