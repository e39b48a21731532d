"""Credit bank: published frameworks and rule sets, the outcome catalogue, credit lines, redemptions and
awarded qualifications.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "catalogue_outcomes",
        sa.Column("code", sa.String(length=24), nullable=False),
        sa.Column("framework", sa.String(length=40), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("proposed_seq", sa.Integer(), nullable=False),
        sa.Column("proposed_by", sa.String(length=128), nullable=False),
        sa.Column("approved_seq", sa.Integer(), nullable=True),
        sa.Column("reviewer", sa.String(length=128), nullable=True),
        sa.Column("document", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_catalogue_outcomes")),
    )
    op.create_table(
        "frameworks",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("version", sa.String(length=20), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("document", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", "version", name=op.f("pk_frameworks")),
        sa.UniqueConstraint("seq", name=op.f("uq_frameworks_seq")),
    )
    op.create_table(
        "rule_sets",
        sa.Column("version", sa.String(length=20), nullable=False),
        sa.Column("framework", sa.String(length=40), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("document", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("version", name=op.f("pk_rule_sets")),
        sa.UniqueConstraint("seq", name=op.f("uq_rule_sets_seq")),
    )
    with op.batch_alter_table("rule_sets", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_rule_sets_framework"), ["framework"], unique=False)

    op.create_table(
        "qualification_awards",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("learner_id", sa.String(length=32), nullable=False),
        sa.Column("qualification", sa.String(length=40), nullable=False),
        sa.Column("framework", sa.String(length=40), nullable=False),
        sa.Column("rules_version", sa.String(length=20), nullable=False),
        sa.Column("redeemed_seq", sa.Integer(), nullable=False),
        sa.Column("awarded_seq", sa.Integer(), nullable=False),
        sa.Column("awarded_by", sa.String(length=128), nullable=False),
        sa.Column("time", sa.String(length=32), nullable=False),
        sa.Column("cents", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["learner_id"], ["learners.id"], name=op.f("fk_qualification_awards_learner_id_learners")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_qualification_awards")),
        sa.UniqueConstraint("awarded_seq", name=op.f("uq_qualification_awards_awarded_seq")),
    )
    with op.batch_alter_table("qualification_awards", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_qualification_awards_learner_id"), ["learner_id"], unique=False)

    op.create_table(
        "credit_lines",
        sa.Column("seq", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("learner_id", sa.String(length=32), nullable=False),
        sa.Column("achievement_id", sa.String(length=32), nullable=False),
        sa.Column("source_seq", sa.Integer(), nullable=False),
        sa.Column("institution_id", sa.String(length=64), nullable=False),
        sa.Column("framework", sa.String(length=40), nullable=False),
        sa.Column("rules_version", sa.String(length=20), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("category", sa.String(length=40), nullable=False),
        sa.Column("source", sa.String(length=40), nullable=False),
        sa.Column("outcome", sa.String(length=24), nullable=True),
        sa.Column("cents", sa.Integer(), nullable=False),
        sa.Column("consumed_cents", sa.Integer(), nullable=False),
        sa.Column("reverses", sa.Integer(), nullable=True),
        sa.Column("reversed_seq", sa.Integer(), nullable=True),
        sa.Column("time", sa.String(length=32), nullable=False),
        sa.Column("explanation", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["achievement_id"], ["achievements.id"], name=op.f("fk_credit_lines_achievement_id_achievements")
        ),
        sa.ForeignKeyConstraint(["learner_id"], ["learners.id"], name=op.f("fk_credit_lines_learner_id_learners")),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_credit_lines")),
    )
    with op.batch_alter_table("credit_lines", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_credit_lines_achievement_id"), ["achievement_id"], unique=False)
        batch_op.create_index("ix_credit_lines_learner_framework", ["learner_id", "framework", "seq"], unique=False)

    op.create_table(
        "credit_redemptions",
        sa.Column("redeemed_seq", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("line_seq", sa.Integer(), nullable=False),
        sa.Column("learner_id", sa.String(length=32), nullable=False),
        sa.Column("award_id", sa.String(length=32), nullable=False),
        sa.Column("cents", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["line_seq"], ["credit_lines.seq"], name=op.f("fk_credit_redemptions_line_seq_credit_lines")
        ),
        sa.PrimaryKeyConstraint("redeemed_seq", "line_seq", name=op.f("pk_credit_redemptions")),
    )
    with op.batch_alter_table("credit_redemptions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_credit_redemptions_learner_id"), ["learner_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("credit_redemptions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_credit_redemptions_learner_id"))

    op.drop_table("credit_redemptions")
    with op.batch_alter_table("credit_lines", schema=None) as batch_op:
        batch_op.drop_index("ix_credit_lines_learner_framework")
        batch_op.drop_index(batch_op.f("ix_credit_lines_achievement_id"))

    op.drop_table("credit_lines")
    with op.batch_alter_table("qualification_awards", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_qualification_awards_learner_id"))

    op.drop_table("qualification_awards")
    with op.batch_alter_table("rule_sets", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rule_sets_framework"))

    op.drop_table("rule_sets")
    op.drop_table("frameworks")
    op.drop_table("catalogue_outcomes")
