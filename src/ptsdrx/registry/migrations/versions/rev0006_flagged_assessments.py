"""Assessments say, indexed, whether scoring raised a safety flag.

The dashboard's patient list puts patients whose latest safety screen is positive first; on
10,000 patients, finding them from the JSON ``score_flags`` scanned every assessment on each
page (about 150 ms on SQLite). ``flagged`` (None when the instrument is not scored) is
backfilled from ``score_flags``.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 17:55:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.add_column("assessments", sa.Column("flagged", sa.Boolean(), nullable=True))
    op.execute(
        "UPDATE assessments SET flagged = (CAST(score_flags AS TEXT) <> '[]') "
        "WHERE score_flags IS NOT NULL"
    )
    op.create_index(op.f("ix_assessments_flagged"), "assessments", ["flagged"])


def downgrade() -> None:
    """Revert this revision."""
    op.drop_index(op.f("ix_assessments_flagged"), table_name="assessments")
    with op.batch_alter_table("assessments") as batch:
        batch.drop_column("flagged")
