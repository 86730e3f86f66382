"""Assessments keep CAPS-5 frequency/intensity ratings and interview criteria.

``Administration`` gained ``frequency``, ``intensity`` (per-item ratings) and ``criteria``
(Criterion A, F, G judgements); stored as JSON next to ``responses``.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 03:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | None = None
depends_on: str | None = None

_COLUMNS = ("frequency", "intensity", "criteria")


def upgrade() -> None:
    """Apply this revision."""
    for name in _COLUMNS:
        op.add_column("assessments", sa.Column(name, sa.JSON(none_as_null=True), nullable=True))


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("assessments") as batch:
        for name in reversed(_COLUMNS):
            batch.drop_column(name)
