"""Idempotency records without secrets, with an expiry.

Answers remembered before this revision may hold an enrollment's activation code in clear. They are rewritten the
way answers are now stored (the code replaced by ``"activation_code_issued": true``), and those past the 24-hour
retention are deleted. No column changes: a record expires at ``created_at`` plus the retention, which the service
owns, so the retention can change without a migration.

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

# Frozen here: a migration must do the same thing whatever later releases set the service's retention to.
_RETENTION = timedelta(hours=24)
_SECRET_FIELDS = ("activation_code",)

_requests = sa.table(
    "idempotent_requests",
    sa.column("institution_id", sa.String),
    sa.column("key", sa.String),
    sa.column("response", sa.Text),
    sa.column("created_at", sa.DateTime(timezone=True)),
)


def upgrade() -> None:
    connection = op.get_bind()
    connection.execute(sa.delete(_requests).where(_requests.c.created_at <= datetime.now(UTC) - _RETENTION))
    # Only answers that can hold a code need reading; the LIKE is a cheap filter, the JSON decides.
    candidates = connection.execute(
        sa.select(_requests.c.institution_id, _requests.c.key, _requests.c.response).where(
            sa.or_(*(_requests.c.response.like(f'%"{name}"%') for name in _SECRET_FIELDS))
        )
    ).all()
    for institution_id, key, response in candidates:
        body = json.loads(response)
        if not isinstance(body, dict):
            continue
        changed = False
        for name in _SECRET_FIELDS:
            if body.pop(name, None) is not None:
                body[f"{name}_issued"] = True
                changed = True
        if changed:
            connection.execute(
                sa.update(_requests)
                .where(_requests.c.institution_id == institution_id, _requests.c.key == key)
                .values(response=json.dumps(body, ensure_ascii=False))
            )


def downgrade() -> None:
    # The codes are gone for good; the rewritten answers are valid answers under the older revisions too.
    pass
