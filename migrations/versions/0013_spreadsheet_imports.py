"""Spreadsheet imports: the uploaded file, its validation and progress, so long work survives a page reload.

Revision ID: 0013
Revises: 0012
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "spreadsheet_imports",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("institution_id", sa.String(length=64), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("created_by", sa.String(length=128), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("file_data", sa.LargeBinary(), nullable=True),
        sa.Column("file_sha256", sa.LargeBinary(length=32), nullable=False),
        sa.Column("file_size", sa.Integer(), nullable=False),
        sa.Column("rows_total", sa.Integer(), nullable=False),
        sa.Column("rows_validated", sa.Integer(), nullable=False),
        sa.Column("rows_written", sa.Integer(), nullable=False),
        sa.Column("problems", sa.Text(), nullable=False),
        sa.Column("problems_total", sa.Integer(), nullable=False),
        sa.Column("notices", sa.Text(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("created_learners", sa.Text(), nullable=False),
        sa.Column("letter_learners", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_spreadsheet_imports")),
    )
    op.create_index(op.f("ix_spreadsheet_imports_institution_id"), "spreadsheet_imports", ["institution_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_spreadsheet_imports_institution_id"), table_name="spreadsheet_imports")
    op.drop_table("spreadsheet_imports")
