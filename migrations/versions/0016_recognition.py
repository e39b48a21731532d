"""Recognition by application: applications with their decisions and appeal, the evidence beside them, credit
lines that name the application and the learning they recognize, and reviewers' declared affiliations.

Revision ID: 0016
Revises: 0015
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "recognition_applications",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("learner_id", sa.String(length=32), nullable=False),
        sa.Column("framework", sa.String(length=40), nullable=False),
        sa.Column("qualification", sa.String(length=40), nullable=True),
        sa.Column("institution_id", sa.String(length=64), nullable=True),
        sa.Column("applied_seq", sa.BigInteger(), nullable=False),
        sa.Column("applied_by", sa.String(length=128), nullable=False),
        sa.Column("applied_at", sa.String(length=32), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("rules_version", sa.String(length=20), nullable=True),
        sa.Column("items", sa.Text(), nullable=False),
        sa.Column("reviewer", sa.String(length=128), nullable=True),
        sa.Column("assigned_seq", sa.BigInteger(), nullable=True),
        sa.Column("due", sa.String(length=10), nullable=True),
        sa.Column("decision", sa.Text(), nullable=True),
        sa.Column("decided_seq", sa.BigInteger(), nullable=True),
        sa.Column("decided_by", sa.String(length=128), nullable=True),
        sa.Column("appeal_until", sa.String(length=10), nullable=True),
        sa.Column("appealed_seq", sa.BigInteger(), nullable=True),
        sa.Column("appeal_reason", sa.Text(), nullable=True),
        sa.Column("appeal_reviewer", sa.String(length=128), nullable=True),
        sa.Column("appeal_decision", sa.Text(), nullable=True),
        sa.Column("appeal_decided_seq", sa.BigInteger(), nullable=True),
        sa.Column("closed_seq", sa.BigInteger(), nullable=True),
        sa.Column("last_seq", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["learner_id"], ["learners.id"], name=op.f("fk_recognition_applications_learner_id_learners")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recognition_applications")),
        sa.UniqueConstraint("applied_seq", name=op.f("uq_recognition_applications_applied_seq")),
    )
    for column in ("learner_id", "institution_id", "state", "reviewer"):
        op.create_index(
            op.f(f"ix_recognition_applications_{column}"), "recognition_applications", [column], unique=False
        )
    op.create_table(
        "recognition_evidence",
        sa.Column("application_id", sa.String(length=32), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("learner_id", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("media_type", sa.String(length=64), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("wrapped_key", sa.LargeBinary(), nullable=False),
        sa.Column("sealed", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("application_id", "number", name=op.f("pk_recognition_evidence")),
    )
    op.create_index(op.f("ix_recognition_evidence_learner_id"), "recognition_evidence", ["learner_id"], unique=False)
    # SQLite changes a column's NOT NULL only by rebuilding the table, and dropping the old credit_lines would break
    # the redemptions' foreign keys to it; they step aside for the rebuild and come back unchanged.
    sqlite = op.get_bind().dialect.name == "sqlite"
    if sqlite:
        op.execute("CREATE TEMPORARY TABLE redemptions_aside AS SELECT * FROM credit_redemptions")
        op.execute("DELETE FROM credit_redemptions")
    with op.batch_alter_table("credit_lines") as table:
        table.alter_column("achievement_id", existing_type=sa.String(length=32), nullable=True)
        table.add_column(sa.Column("application_id", sa.String(length=32), nullable=True))
        table.add_column(sa.Column("learning", sa.String(length=80), nullable=True))
        table.create_index(op.f("ix_credit_lines_application_id"), ["application_id"], unique=False)
        table.create_index(op.f("ix_credit_lines_learning"), ["learning"], unique=False)
    if sqlite:
        op.execute("INSERT INTO credit_redemptions SELECT * FROM redemptions_aside")
        op.execute("DROP TABLE redemptions_aside")
    with op.batch_alter_table("staff_accounts") as table:
        table.add_column(sa.Column("affiliation", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("staff_accounts") as table:
        table.drop_column("affiliation")
    with op.batch_alter_table("credit_lines") as table:
        table.drop_index(op.f("ix_credit_lines_learning"))
        table.drop_index(op.f("ix_credit_lines_application_id"))
        table.drop_column("learning")
        table.drop_column("application_id")
        table.alter_column("achievement_id", existing_type=sa.String(length=32), nullable=False)
    op.drop_index(op.f("ix_recognition_evidence_learner_id"), table_name="recognition_evidence")
    op.drop_table("recognition_evidence")
    for column in ("reviewer", "state", "institution_id", "learner_id"):
        op.drop_index(op.f(f"ix_recognition_applications_{column}"), table_name="recognition_applications")
    op.drop_table("recognition_applications")
