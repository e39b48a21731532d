"""The last result of the scheduler's ledger checks (the daily audit and the checkpoint monitor).

Web workers cannot see the scheduler process, yet ``/ready`` must fail while either check has found damage, so the
result lives in the database. The table describes this deployment's checks, not the bank: it is not one of the
models' tables, and a backup does not carry it.

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "operations_findings",
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("ok", sa.Boolean(), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("checked_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_operations_findings")),
    )


def downgrade() -> None:
    op.drop_table("operations_findings")
