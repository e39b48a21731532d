"""Catalogue proposals reviewed in the console: rejections with a reason.

Revision ID: 0014
Revises: 0013
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("catalogue_outcomes") as table:
        table.add_column(sa.Column("rejected_seq", sa.Integer(), nullable=True))
        table.add_column(sa.Column("reason", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("catalogue_outcomes") as table:
        table.drop_column("reason")
        table.drop_column("rejected_seq")
