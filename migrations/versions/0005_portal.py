"""Learner portal: accounts, activation codes, login throttling and share links.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "learner_accounts",
        sa.Column("learner_id", sa.String(length=32), nullable=False),
        sa.Column("email_digest", sa.LargeBinary(length=32), nullable=True),
        sa.Column("password_hash", sa.String(length=200), nullable=False),
        sa.Column("activated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("password_changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("learner_id", name=op.f("pk_learner_accounts")),
        sa.UniqueConstraint("email_digest", name=op.f("uq_learner_accounts_email_digest")),
    )
    op.create_table(
        "activation_codes",
        sa.Column("digest", sa.LargeBinary(length=32), nullable=False),
        sa.Column("learner_id", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("digest", name=op.f("pk_activation_codes")),
    )
    op.create_index(op.f("ix_activation_codes_learner_id"), "activation_codes", ["learner_id"])
    op.create_table(
        "login_throttle",
        sa.Column("key", sa.String(length=120), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("window_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_login_throttle")),
    )
    op.create_table(
        "share_links",
        sa.Column("digest", sa.LargeBinary(length=32), nullable=False),
        sa.Column("id", sa.String(length=24), nullable=False),
        sa.Column("learner_id", sa.String(length=32), nullable=False),
        sa.Column("achievements", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("opens", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("digest", name=op.f("pk_share_links")),
        sa.UniqueConstraint("id", name=op.f("uq_share_links_id")),
    )
    op.create_index(op.f("ix_share_links_learner_id"), "share_links", ["learner_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_share_links_learner_id"), table_name="share_links")
    op.drop_table("share_links")
    op.drop_table("login_throttle")
    op.drop_index(op.f("ix_activation_codes_learner_id"), table_name="activation_codes")
    op.drop_table("activation_codes")
    op.drop_table("learner_accounts")
