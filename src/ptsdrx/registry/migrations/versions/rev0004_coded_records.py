"""Records carry codes, organ function and per-history completeness.

The screening round added to ``PatientRecord``: ``demographics.gestational_weeks`` and
``language`` (crisis text), coded diagnoses (``condition`` may be empty when only an ICD-10-CM
or SNOMED CT code is given; ``snomed``), ``medications.rxnorm``, ``vitals.posture`` (orthostatic
drop), family history's (relative, condition) pairs, ``organ_function`` (eGFR, Child-Pugh),
and ``psychiatric_history_complete`` / ``medical_history_complete`` on the patient.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02 16:20:00
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | None = None
depends_on: str | None = None

_BIG = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

_ADDED: tuple[tuple[str, str, sa.types.TypeEngine[Any]], ...] = (
    ("patients", "psychiatric_history_complete", sa.Boolean()),
    ("patients", "medical_history_complete", sa.Boolean()),
    ("demographics", "gestational_weeks", sa.Float()),
    ("demographics", "language", sa.String(length=8)),
    ("family_histories", "conditions", sa.JSON(none_as_null=True)),
    ("diagnoses", "snomed", sa.String(length=18)),
    ("medications", "rxnorm", sa.String(length=8)),
    ("vital_signs", "posture", sa.String(length=16)),
)


def _diagnoses(*, condition_nullable: bool) -> sa.Table:
    """The ``diagnoses`` table as it stands around this revision.

    ``--sql`` mode on SQLite cannot reflect it, and batch mode needs its shape to copy it.
    """
    return sa.Table(
        "diagnoses",
        sa.MetaData(),
        sa.Column("condition", sa.String(length=64), nullable=condition_nullable),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("icd10", sa.String(length=16), nullable=True),
        sa.Column("onset", sa.Date(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("id", _BIG, autoincrement=True, nullable=False),
        sa.Column("patient_id", sa.String(length=64), nullable=False),
        sa.Column("snomed", sa.String(length=18), nullable=True),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["patients.patient_id"],
            name="fk_diagnoses_patient_id_patients",
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_diagnoses"),
        sa.Index("ix_diagnoses_patient_id", "patient_id"),
    )


def upgrade() -> None:
    """Apply this revision."""
    for table, name, type_ in _ADDED:
        op.add_column(table, sa.Column(name, type_, nullable=True))
    with op.batch_alter_table("diagnoses", copy_from=_diagnoses(condition_nullable=False)) as batch:
        batch.alter_column("condition", existing_type=sa.String(length=64), nullable=True)
    op.create_table(
        "organ_functions",
        sa.Column("patient_id", sa.String(length=64), nullable=False),
        sa.Column("egfr", sa.Float(), nullable=True),
        sa.Column("child_pugh", sa.String(length=1), nullable=True),
        sa.Column("assessed", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["patients.patient_id"],
            name=op.f("fk_organ_functions_patient_id_patients"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("patient_id", name=op.f("pk_organ_functions")),
    )


def downgrade() -> None:
    """Revert this revision (coded-only diagnoses cannot go back and are refused)."""
    op.drop_table("organ_functions")
    with op.batch_alter_table("diagnoses", copy_from=_diagnoses(condition_nullable=True)) as batch:
        batch.alter_column("condition", existing_type=sa.String(length=64), nullable=False)
    tables: dict[str, list[str]] = {}
    for table, name, _ in _ADDED:
        tables.setdefault(table, []).append(name)
    for table, names in tables.items():
        with op.batch_alter_table(table) as batch:
            for name in reversed(names):
                batch.drop_column(name)
