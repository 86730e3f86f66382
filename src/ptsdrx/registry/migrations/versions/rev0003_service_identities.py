"""Clinic service: staff accounts, refresh tokens, record versions, audit context.

``users`` (one role each, Argon2id hash, lockout counters) and ``refresh_tokens`` (hashes
only, one family per login); ``patients.version`` (the API's ETag); the audit log gains the
columns a FHIR AuditEvent needs (role, outcome, route, client address, request id). The
audit log stays append-only: columns are added, its guards are untouched.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02 06:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | None = None
depends_on: str | None = None

_BIG = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_AUDIT = (
    ("role", sa.String(length=32), None),
    ("outcome", sa.String(length=16), "success"),
    ("route", sa.String(length=256), None),
    ("client", sa.String(length=64), None),
    ("request_id", sa.String(length=64), None),
)


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "users",
        sa.Column("id", _BIG, autoincrement=True, nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("password_hash", sa.String(length=256), nullable=False),
        sa.Column("disabled", sa.Boolean(), nullable=False),
        sa.Column("failed_logins", sa.Integer(), nullable=False),
        sa.Column("locked_until", sa.DateTime(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.String(length=128), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("username", name=op.f("uq_users_username")),
    )
    op.create_table(
        "refresh_tokens",
        sa.Column("id", _BIG, autoincrement=True, nullable=False),
        sa.Column("user_id", _BIG, nullable=False),
        sa.Column("family", sa.String(length=64), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("issued_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("used_at", sa.DateTime(), nullable=True),
        sa.Column("revoked_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_refresh_tokens_user_id_users"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_refresh_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_refresh_tokens_token_hash")),
    )
    op.create_index(op.f("ix_refresh_tokens_user_id"), "refresh_tokens", ["user_id"])
    op.create_index(op.f("ix_refresh_tokens_family"), "refresh_tokens", ["family"])
    op.add_column(
        "patients", sa.Column("version", sa.Integer(), server_default="1", nullable=False)
    )
    for name, type_, default in _AUDIT:
        op.add_column(
            "audit_log",
            sa.Column(name, type_, server_default=default, nullable=default is None),
        )
    op.create_index(op.f("ix_audit_log_request_id"), "audit_log", ["request_id"])


def downgrade() -> None:
    """Revert this revision."""
    op.drop_index(op.f("ix_audit_log_request_id"), table_name="audit_log")
    # Plain ALTER TABLE ... DROP COLUMN (SQLite >= 3.35): a batch copy of audit_log would
    # drop its append-only triggers.
    for name, _, _ in reversed(_AUDIT):
        op.drop_column("audit_log", name)
    op.drop_column("patients", "version")
    op.drop_index(op.f("ix_refresh_tokens_family"), table_name="refresh_tokens")
    op.drop_index(op.f("ix_refresh_tokens_user_id"), table_name="refresh_tokens")
    op.drop_table("refresh_tokens")
    op.drop_table("users")
