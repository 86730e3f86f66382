"""Initial registry schema, with the append-only guard on the audit log.

Revision ID: 0001
Revises:
Create Date: 2026-11-22 03:15:17.375905
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

# The audit log is append-only: these guards make the database itself refuse to change or
# remove an entry, whatever client connects (the ORM also has no update/delete path).
_SQLITE_GUARDS = (
    "CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log "
    "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END",
    "CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log "
    "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END",
)
_PG_GUARDS = (
    "CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ "
    "BEGIN RAISE EXCEPTION USING MESSAGE = 'audit_log is append-only (' || TG_OP || "
    "' refused)'; END $$",
    "CREATE TRIGGER audit_log_no_update_delete BEFORE UPDATE OR DELETE ON audit_log "
    "FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()",
    "CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log "
    "FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only()",
)


revision: str = "0001"
down_revision: str | None = None
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "audit_log",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("actor", sa.String(length=128), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("patient_id", sa.String(length=64), nullable=True),
        sa.Column("entity", sa.String(length=64), nullable=False),
        sa.Column("detail", sa.JSON(none_as_null=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    op.create_index(op.f("ix_audit_log_at"), "audit_log", ["at"], unique=False)
    op.create_index(op.f("ix_audit_log_patient_id"), "audit_log", ["patient_id"], unique=False)

    op.create_table(
        "patients",
        sa.Column("patient_id", sa.String(length=64), nullable=False),
        sa.Column("schema_version", sa.String(length=8), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=True),
        sa.Column("diagnoses_complete", sa.Boolean(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.String(length=128), nullable=False),
        sa.PrimaryKeyConstraint("patient_id", name=op.f("pk_patients")),
    )
    op.create_table(
        "assessments",
        sa.Column("instrument", sa.String(length=32), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("responses", sa.JSON(none_as_null=True), nullable=True),
        sa.Column("total", sa.Float(), nullable=True),
        sa.Column("administered_by", sa.String(length=128), nullable=True),
        sa.Column("context", sa.Text(), nullable=True),
        sa.Column("score_total", sa.Float(), nullable=True),
        sa.Column("score_band", sa.String(length=64), nullable=True),
        sa.Column("score_flags", sa.JSON(none_as_null=True), nullable=True),
        sa.Column("score_result", sa.JSON(none_as_null=True), nullable=True),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.Column("recorded_by", sa.String(length=128), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("patient_id", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["patients.patient_id"],
            name=op.f("fk_assessments_patient_id_patients"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assessments")),
    )
    op.create_index(op.f("ix_assessments_patient_id"), "assessments", ["patient_id"], unique=False)

    op.create_table(
        "biomarkers",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("unit", sa.String(length=32), nullable=False),
        sa.Column("loinc", sa.String(length=16), nullable=True),
        sa.Column("collected", sa.Date(), nullable=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("patient_id", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["patients.patient_id"],
            name=op.f("fk_biomarkers_patient_id_patients"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_biomarkers")),
    )
    op.create_index(op.f("ix_biomarkers_patient_id"), "biomarkers", ["patient_id"], unique=False)

    op.create_table(
        "consents",
        sa.Column("treatment_decision_support", sa.Boolean(), nullable=True),
        sa.Column("research_use", sa.Boolean(), nullable=True),
        sa.Column("contact_for_trials", sa.Boolean(), nullable=True),
        sa.Column("patient_id", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["patients.patient_id"],
            name=op.f("fk_consents_patient_id_patients"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("patient_id", name=op.f("pk_consents")),
    )
    op.create_table(
        "demographics",
        sa.Column("age", sa.Integer(), nullable=True),
        sa.Column("sex", sa.String(length=16), nullable=True),
        sa.Column("weight_kg", sa.Float(), nullable=True),
        sa.Column("pregnant", sa.Boolean(), nullable=True),
        sa.Column("lactating", sa.Boolean(), nullable=True),
        sa.Column("jurisdiction", sa.String(length=16), nullable=True),
        sa.Column("patient_id", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["patients.patient_id"],
            name=op.f("fk_demographics_patient_id_patients"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("patient_id", name=op.f("pk_demographics")),
    )
    op.create_table(
        "diagnoses",
        sa.Column("condition", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("icd10", sa.String(length=16), nullable=True),
        sa.Column("onset", sa.Date(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("patient_id", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["patients.patient_id"],
            name=op.f("fk_diagnoses_patient_id_patients"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_diagnoses")),
    )
    op.create_index(op.f("ix_diagnoses_patient_id"), "diagnoses", ["patient_id"], unique=False)

    op.create_table(
        "family_histories",
        sa.Column("psychosis", sa.Boolean(), nullable=True),
        sa.Column("bipolar", sa.Boolean(), nullable=True),
        sa.Column("patient_id", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["patients.patient_id"],
            name=op.f("fk_family_histories_patient_id_patients"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("patient_id", name=op.f("pk_family_histories")),
    )
    op.create_table(
        "genotypes",
        sa.Column("rsid", sa.String(length=32), nullable=False),
        sa.Column("genotype", sa.String(length=32), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("patient_id", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["patients.patient_id"],
            name=op.f("fk_genotypes_patient_id_patients"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_genotypes")),
    )
    op.create_index(op.f("ix_genotypes_patient_id"), "genotypes", ["patient_id"], unique=False)

    op.create_table(
        "imaging_measures",
        sa.Column("measure", sa.String(length=128), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("unit", sa.String(length=32), nullable=False),
        sa.Column("method", sa.String(length=256), nullable=False),
        sa.Column("acquired", sa.Date(), nullable=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("patient_id", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["patients.patient_id"],
            name=op.f("fk_imaging_measures_patient_id_patients"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_imaging_measures")),
    )
    op.create_index(
        op.f("ix_imaging_measures_patient_id"), "imaging_measures", ["patient_id"], unique=False
    )

    op.create_table(
        "medications",
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("dose_mg", sa.Float(), nullable=True),
        sa.Column("frequency", sa.String(length=64), nullable=True),
        sa.Column("route", sa.String(length=16), nullable=True),
        sa.Column("start", sa.Date(), nullable=True),
        sa.Column("stop", sa.Date(), nullable=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("patient_id", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["patients.patient_id"],
            name=op.f("fk_medications_patient_id_patients"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_medications")),
    )
    op.create_index(op.f("ix_medications_patient_id"), "medications", ["patient_id"], unique=False)

    op.create_table(
        "metabolizer_phenotypes",
        sa.Column("gene", sa.String(length=16), nullable=False),
        sa.Column("phenotype", sa.String(length=16), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("patient_id", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["patients.patient_id"],
            name=op.f("fk_metabolizer_phenotypes_patient_id_patients"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_metabolizer_phenotypes")),
    )
    op.create_index(
        op.f("ix_metabolizer_phenotypes_patient_id"),
        "metabolizer_phenotypes",
        ["patient_id"],
        unique=False,
    )

    op.create_table(
        "patient_identifiers",
        sa.Column("patient_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=256), nullable=True),
        sa.Column("date_of_birth", sa.Date(), nullable=True),
        sa.Column("mrn", sa.String(length=64), nullable=True),
        sa.Column("contact", sa.String(length=512), nullable=True),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["patients.patient_id"],
            name=op.f("fk_patient_identifiers_patient_id_patients"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("patient_id", name=op.f("pk_patient_identifiers")),
        sa.UniqueConstraint("mrn", name=op.f("uq_patient_identifiers_mrn")),
    )
    op.create_table(
        "preferences",
        sa.Column("refused_treatments", sa.JSON(none_as_null=True), nullable=True),
        sa.Column("preferred_treatments", sa.JSON(none_as_null=True), nullable=True),
        sa.Column("max_session_hours", sa.Float(), nullable=True),
        sa.Column("max_visits", sa.Integer(), nullable=True),
        sa.Column("willing_psychotherapy", sa.Boolean(), nullable=True),
        sa.Column("willing_psychedelic", sa.Boolean(), nullable=True),
        sa.Column("max_travel_km", sa.Float(), nullable=True),
        sa.Column("willing_to_travel_jurisdiction", sa.Boolean(), nullable=True),
        sa.Column("patient_id", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["patients.patient_id"],
            name=op.f("fk_preferences_patient_id_patients"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("patient_id", name=op.f("pk_preferences")),
    )
    op.create_table(
        "prior_treatments",
        sa.Column("treatment", sa.String(length=64), nullable=False),
        sa.Column("start", sa.Date(), nullable=True),
        sa.Column("stop", sa.Date(), nullable=True),
        sa.Column("adequate", sa.Boolean(), nullable=True),
        sa.Column("response", sa.String(length=16), nullable=True),
        sa.Column("stopped_for_adverse_effects", sa.Boolean(), nullable=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("patient_id", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["patients.patient_id"],
            name=op.f("fk_prior_treatments_patient_id_patients"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_prior_treatments")),
    )
    op.create_index(
        op.f("ix_prior_treatments_patient_id"), "prior_treatments", ["patient_id"], unique=False
    )

    op.create_table(
        "recommendations",
        sa.Column("issued_at", sa.DateTime(), nullable=False),
        sa.Column("issued_by", sa.String(length=128), nullable=False),
        sa.Column("model_version", sa.String(length=128), nullable=False),
        sa.Column("result", sa.JSON(none_as_null=True), nullable=False),
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("patient_id", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["patients.patient_id"],
            name=op.f("fk_recommendations_patient_id_patients"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recommendations")),
    )
    op.create_index(
        op.f("ix_recommendations_patient_id"), "recommendations", ["patient_id"], unique=False
    )

    op.create_table(
        "record_sections",
        sa.Column("patient_id", sa.String(length=64), nullable=False),
        sa.Column("section", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["patients.patient_id"],
            name=op.f("fk_record_sections_patient_id_patients"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("patient_id", "section", name=op.f("pk_record_sections")),
    )
    op.create_table(
        "trauma_histories",
        sa.Column("index_trauma_type", sa.String(length=32), nullable=True),
        sa.Column("childhood_trauma", sa.Boolean(), nullable=True),
        sa.Column("years_since_trauma", sa.Float(), nullable=True),
        sa.Column("military", sa.Boolean(), nullable=True),
        sa.Column("first_responder", sa.Boolean(), nullable=True),
        sa.Column("multiple_traumas", sa.Boolean(), nullable=True),
        sa.Column("patient_id", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["patients.patient_id"],
            name=op.f("fk_trauma_histories_patient_id_patients"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("patient_id", name=op.f("pk_trauma_histories")),
    )
    op.create_table(
        "treatment_episodes",
        sa.Column("treatment", sa.String(length=64), nullable=False),
        sa.Column("started_on", sa.Date(), nullable=False),
        sa.Column("ended_on", sa.Date(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.String(length=128), nullable=False),
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("patient_id", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["patients.patient_id"],
            name=op.f("fk_treatment_episodes_patient_id_patients"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_treatment_episodes")),
    )
    op.create_index(
        op.f("ix_treatment_episodes_patient_id"), "treatment_episodes", ["patient_id"], unique=False
    )

    op.create_table(
        "vital_signs",
        sa.Column("taken_at", sa.DateTime(), nullable=False),
        sa.Column("taken_at_offset_min", sa.Integer(), nullable=True),
        sa.Column("systolic", sa.Float(), nullable=True),
        sa.Column("diastolic", sa.Float(), nullable=True),
        sa.Column("heart_rate", sa.Float(), nullable=True),
        sa.Column("spo2", sa.Float(), nullable=True),
        sa.Column("temperature_c", sa.Float(), nullable=True),
        sa.Column("qtc_ms", sa.Float(), nullable=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("patient_id", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["patients.patient_id"],
            name=op.f("fk_vital_signs_patient_id_patients"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_vital_signs")),
    )
    op.create_index(op.f("ix_vital_signs_patient_id"), "vital_signs", ["patient_id"], unique=False)

    op.create_table(
        "dosing_sessions",
        sa.Column(
            "episode_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("phase", sa.String(length=16), nullable=False),
        sa.Column("treatment", sa.String(length=64), nullable=False),
        sa.Column("start", sa.DateTime(), nullable=False),
        sa.Column("start_offset_min", sa.Integer(), nullable=True),
        sa.Column("end", sa.DateTime(), nullable=True),
        sa.Column("end_offset_min", sa.Integer(), nullable=True),
        sa.Column("staff", sa.JSON(none_as_null=True), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("created_by", sa.String(length=128), nullable=False),
        sa.Column("closed_by", sa.String(length=128), nullable=True),
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("patient_id", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["episode_id"],
            ["treatment_episodes.id"],
            name=op.f("fk_dosing_sessions_episode_id_treatment_episodes"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["patients.patient_id"],
            name=op.f("fk_dosing_sessions_patient_id_patients"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dosing_sessions")),
    )
    op.create_index(
        op.f("ix_dosing_sessions_episode_id"), "dosing_sessions", ["episode_id"], unique=False
    )
    op.create_index(
        op.f("ix_dosing_sessions_patient_id"), "dosing_sessions", ["patient_id"], unique=False
    )

    op.create_table(
        "adverse_events",
        sa.Column("term", sa.String(length=256), nullable=False),
        sa.Column("onset", sa.DateTime(), nullable=False),
        sa.Column("onset_offset_min", sa.Integer(), nullable=True),
        sa.Column("severity", sa.String(length=16), nullable=False),
        sa.Column("serious", sa.Boolean(), nullable=False),
        sa.Column("action", sa.Text(), nullable=True),
        sa.Column("resolved_at", sa.DateTime(), nullable=True),
        sa.Column("resolved_at_offset_min", sa.Integer(), nullable=True),
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column(
            "session_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.Column("recorded_by", sa.String(length=128), nullable=False),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["dosing_sessions.id"],
            name=op.f("fk_adverse_events_session_id_dosing_sessions"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_adverse_events")),
    )
    op.create_index(
        op.f("ix_adverse_events_session_id"), "adverse_events", ["session_id"], unique=False
    )

    op.create_table(
        "session_alerts",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column(
            "session_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("raised_at", sa.DateTime(), nullable=False),
        sa.Column("rule_id", sa.String(length=128), nullable=False),
        sa.Column("severity", sa.String(length=16), nullable=False),
        sa.Column("reading", sa.Text(), nullable=False),
        sa.Column("alert", sa.JSON(none_as_null=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["dosing_sessions.id"],
            name=op.f("fk_session_alerts_session_id_dosing_sessions"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_session_alerts")),
    )
    op.create_index(
        op.f("ix_session_alerts_session_id"), "session_alerts", ["session_id"], unique=False
    )

    op.create_table(
        "session_doses",
        sa.Column("given_at", sa.DateTime(), nullable=False),
        sa.Column("given_at_offset_min", sa.Integer(), nullable=True),
        sa.Column("amount_mg", sa.Float(), nullable=True),
        sa.Column("mg_per_kg", sa.Float(), nullable=True),
        sa.Column("route", sa.String(length=16), nullable=False),
        sa.Column("supplemental", sa.Boolean(), nullable=False),
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column(
            "session_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.Column("recorded_by", sa.String(length=128), nullable=False),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["dosing_sessions.id"],
            name=op.f("fk_session_doses_session_id_dosing_sessions"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_session_doses")),
    )
    op.create_index(
        op.f("ix_session_doses_session_id"), "session_doses", ["session_id"], unique=False
    )

    op.create_table(
        "session_vitals",
        sa.Column("taken_at", sa.DateTime(), nullable=False),
        sa.Column("taken_at_offset_min", sa.Integer(), nullable=True),
        sa.Column("systolic", sa.Float(), nullable=True),
        sa.Column("diastolic", sa.Float(), nullable=True),
        sa.Column("heart_rate", sa.Float(), nullable=True),
        sa.Column("spo2", sa.Float(), nullable=True),
        sa.Column("temperature_c", sa.Float(), nullable=True),
        sa.Column("cadss", sa.Float(), nullable=True),
        sa.Column("taken_by", sa.String(length=128), nullable=True),
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column(
            "session_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.Column("recorded_by", sa.String(length=128), nullable=False),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["dosing_sessions.id"],
            name=op.f("fk_session_vitals_session_id_dosing_sessions"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_session_vitals")),
    )
    op.create_index(
        op.f("ix_session_vitals_session_id"), "session_vitals", ["session_id"], unique=False
    )
    _guard_audit_log()


def downgrade() -> None:
    """Revert this revision."""
    _unguard_audit_log()
    op.drop_index(op.f("ix_session_vitals_session_id"), table_name="session_vitals")

    op.drop_table("session_vitals")
    op.drop_index(op.f("ix_session_doses_session_id"), table_name="session_doses")

    op.drop_table("session_doses")
    op.drop_index(op.f("ix_session_alerts_session_id"), table_name="session_alerts")

    op.drop_table("session_alerts")
    op.drop_index(op.f("ix_adverse_events_session_id"), table_name="adverse_events")

    op.drop_table("adverse_events")
    op.drop_index(op.f("ix_dosing_sessions_patient_id"), table_name="dosing_sessions")
    op.drop_index(op.f("ix_dosing_sessions_episode_id"), table_name="dosing_sessions")

    op.drop_table("dosing_sessions")
    op.drop_index(op.f("ix_vital_signs_patient_id"), table_name="vital_signs")

    op.drop_table("vital_signs")
    op.drop_index(op.f("ix_treatment_episodes_patient_id"), table_name="treatment_episodes")

    op.drop_table("treatment_episodes")
    op.drop_table("trauma_histories")
    op.drop_table("record_sections")
    op.drop_index(op.f("ix_recommendations_patient_id"), table_name="recommendations")

    op.drop_table("recommendations")
    op.drop_index(op.f("ix_prior_treatments_patient_id"), table_name="prior_treatments")

    op.drop_table("prior_treatments")
    op.drop_table("preferences")
    op.drop_table("patient_identifiers")
    op.drop_index(op.f("ix_metabolizer_phenotypes_patient_id"), table_name="metabolizer_phenotypes")

    op.drop_table("metabolizer_phenotypes")
    op.drop_index(op.f("ix_medications_patient_id"), table_name="medications")

    op.drop_table("medications")
    op.drop_index(op.f("ix_imaging_measures_patient_id"), table_name="imaging_measures")

    op.drop_table("imaging_measures")
    op.drop_index(op.f("ix_genotypes_patient_id"), table_name="genotypes")

    op.drop_table("genotypes")
    op.drop_table("family_histories")
    op.drop_index(op.f("ix_diagnoses_patient_id"), table_name="diagnoses")

    op.drop_table("diagnoses")
    op.drop_table("demographics")
    op.drop_table("consents")
    op.drop_index(op.f("ix_biomarkers_patient_id"), table_name="biomarkers")

    op.drop_table("biomarkers")
    op.drop_index(op.f("ix_assessments_patient_id"), table_name="assessments")

    op.drop_table("assessments")
    op.drop_table("patients")
    op.drop_index(op.f("ix_audit_log_patient_id"), table_name="audit_log")
    op.drop_index(op.f("ix_audit_log_at"), table_name="audit_log")

    op.drop_table("audit_log")


def _guard_audit_log() -> None:
    dialect = op.get_bind().dialect.name
    guards: tuple[str, ...]
    if dialect == "sqlite":
        guards = _SQLITE_GUARDS
    elif dialect == "postgresql":
        guards = _PG_GUARDS
    else:
        raise NotImplementedError(f"no append-only guard for dialect {dialect!r}")
    for statement in guards:
        op.execute(statement)


def _unguard_audit_log() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER audit_log_no_truncate ON audit_log")
        op.execute("DROP TRIGGER audit_log_no_update_delete ON audit_log")
        op.execute("DROP FUNCTION audit_log_append_only()")
    else:
        op.execute("DROP TRIGGER audit_log_no_delete")
        op.execute("DROP TRIGGER audit_log_no_update")
