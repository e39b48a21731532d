"""Server-side portal sessions and login names.

The throttle's rows from before held the typed login and the client address in clear; they are only
fifteen-minute counters, so they are dropped rather than converted (their text cannot be keyed afterwards
without keeping it).

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "portal_sessions",
        sa.Column("digest", sa.LargeBinary(length=32), nullable=False),
        sa.Column("learner_id", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("digest", name=op.f("pk_portal_sessions")),
    )
    op.create_index(op.f("ix_portal_sessions_learner_id"), "portal_sessions", ["learner_id"])
    op.add_column("learner_accounts", sa.Column("login_digest", sa.LargeBinary(length=32), nullable=True))
    op.create_index(op.f("ix_learner_accounts_login_digest"), "learner_accounts", ["login_digest"], unique=True)
    op.execute("DELETE FROM login_throttle")


def downgrade() -> None:
    op.drop_index(op.f("ix_learner_accounts_login_digest"), table_name="learner_accounts")
    with op.batch_alter_table("learner_accounts") as table:
        table.drop_column("login_digest")
    op.drop_index(op.f("ix_portal_sessions_learner_id"), table_name="portal_sessions")
    op.drop_table("portal_sessions")
