"""The identifier store keeps a postal code of its own.

``patient_identifiers.postal_code``: the patient's postal (ZIP) code, a direct identifier
below state level. The FHIR import used to fold it into ``contact``; the research export's
ZIP3 generalisation reads this column.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 16:50:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | None = None
depends_on: str | None = None


def _identifiers() -> sa.Table:
    """``patient_identifiers`` as it stands at this revision.

    ``--sql`` mode on SQLite cannot reflect it, and batch mode needs its shape to copy it on
    downgrade.
    """
    return sa.Table(
        "patient_identifiers",
        sa.MetaData(),
        sa.Column("patient_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=256), nullable=True),
        sa.Column("date_of_birth", sa.Date(), nullable=True),
        sa.Column("mrn", sa.String(length=64), nullable=True),
        sa.Column("contact", sa.String(length=512), nullable=True),
        sa.Column("postal_code", sa.String(length=16), nullable=True),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["patients.patient_id"],
            name="fk_patient_identifiers_patient_id_patients",
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("patient_id", name="pk_patient_identifiers"),
        sa.UniqueConstraint("mrn", name="uq_patient_identifiers_mrn"),
    )


def upgrade() -> None:
    """Apply this revision."""
    op.add_column(
        "patient_identifiers", sa.Column("postal_code", sa.String(length=16), nullable=True)
    )


def downgrade() -> None:
    """Revert this revision (the postal codes are lost)."""
    with op.batch_alter_table("patient_identifiers", copy_from=_identifiers()) as batch:
        batch.drop_column("postal_code")
