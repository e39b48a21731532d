"""Learner records: learners and their sealed personal data, achievements and their versions,
institutions' signing keys, and remembered idempotent requests.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "idempotent_requests",
        sa.Column("institution_id", sa.String(length=64), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("request_digest", sa.LargeBinary(length=32), nullable=False),
        sa.Column("status", sa.Integer(), nullable=False),
        sa.Column("response", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("institution_id", "key", name=op.f("pk_idempotent_requests")),
    )
    with op.batch_alter_table("idempotent_requests", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_idempotent_requests_created_at"), ["created_at"], unique=False)

    op.create_table(
        "learners",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("enrolled_seq", sa.BigInteger(), nullable=False),
        sa.Column("enrolled_at", sa.String(length=32), nullable=False),
        sa.Column("erased_seq", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_learners")),
    )
    op.create_table(
        "achievements",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("learner_id", sa.String(length=32), nullable=False),
        sa.Column("institution_id", sa.String(length=64), nullable=False),
        sa.Column("record_id", sa.String(length=128), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("data", sa.Text(), nullable=False),
        sa.Column("recorded_seq", sa.BigInteger(), nullable=False),
        sa.Column("last_seq", sa.BigInteger(), nullable=False),
        sa.Column("signed_by", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["institution_id"], ["institutions.id"], name=op.f("fk_achievements_institution_id_institutions")
        ),
        sa.ForeignKeyConstraint(["learner_id"], ["learners.id"], name=op.f("fk_achievements_learner_id_learners")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_achievements")),
        sa.UniqueConstraint("institution_id", "record_id", name=op.f("uq_achievements_institution_id")),
        sa.UniqueConstraint("recorded_seq", name=op.f("uq_achievements_recorded_seq")),
    )
    with op.batch_alter_table("achievements", schema=None) as batch_op:
        batch_op.create_index("ix_achievements_learner_seq", ["learner_id", "recorded_seq"], unique=False)

    op.create_table(
        "enrollments",
        sa.Column("learner_id", sa.String(length=32), nullable=False),
        sa.Column("institution_id", sa.String(length=64), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["institution_id"], ["institutions.id"], name=op.f("fk_enrollments_institution_id_institutions")
        ),
        sa.ForeignKeyConstraint(["learner_id"], ["learners.id"], name=op.f("fk_enrollments_learner_id_learners")),
        sa.PrimaryKeyConstraint("learner_id", "institution_id", name=op.f("pk_enrollments")),
        sa.UniqueConstraint("seq", name=op.f("uq_enrollments_seq")),
    )
    with op.batch_alter_table("enrollments", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_enrollments_institution_id"), ["institution_id"], unique=False)

    op.create_table(
        "institution_keys",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("institution_id", sa.String(length=64), nullable=False),
        sa.Column("public_key", sa.LargeBinary(length=32), nullable=False),
        sa.Column("added_seq", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["institution_id"], ["institutions.id"], name=op.f("fk_institution_keys_institution_id_institutions")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_institution_keys")),
        sa.UniqueConstraint("added_seq", name=op.f("uq_institution_keys_added_seq")),
    )
    with op.batch_alter_table("institution_keys", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_institution_keys_institution_id"), ["institution_id"], unique=False)

    op.create_table(
        "learner_personal_data",
        sa.Column("learner_id", sa.String(length=32), nullable=False),
        sa.Column("id_digest", sa.LargeBinary(length=32), nullable=True),
        sa.Column("wrapped_key", sa.LargeBinary(), nullable=False),
        sa.Column("sealed", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["learner_id"],
            ["learners.id"],
            name=op.f("fk_learner_personal_data_learner_id_learners"),
            initially="DEFERRED",
            deferrable=True,
        ),
        sa.PrimaryKeyConstraint("learner_id", name=op.f("pk_learner_personal_data")),
        sa.UniqueConstraint("id_digest", name=op.f("uq_learner_personal_data_id_digest")),
    )
    op.create_table(
        "achievement_versions",
        sa.Column("achievement_id", sa.String(length=32), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("change", sa.String(length=16), nullable=False),
        sa.Column("time", sa.String(length=32), nullable=False),
        sa.Column("data", sa.Text(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["achievement_id"], ["achievements.id"], name=op.f("fk_achievement_versions_achievement_id_achievements")
        ),
        sa.PrimaryKeyConstraint("achievement_id", "version", name=op.f("pk_achievement_versions")),
        sa.UniqueConstraint("seq", name=op.f("uq_achievement_versions_seq")),
    )


def downgrade() -> None:
    op.drop_table("achievement_versions")
    op.drop_table("learner_personal_data")
    with op.batch_alter_table("institution_keys", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_institution_keys_institution_id"))

    op.drop_table("institution_keys")
    with op.batch_alter_table("enrollments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_enrollments_institution_id"))

    op.drop_table("enrollments")
    with op.batch_alter_table("achievements", schema=None) as batch_op:
        batch_op.drop_index("ix_achievements_learner_seq")

    op.drop_table("achievements")
    op.drop_table("learners")
    with op.batch_alter_table("idempotent_requests", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_idempotent_requests_created_at"))

    op.drop_table("idempotent_requests")
