"""The patient registry: database models, migrations, repositories, import/export, audit.

SQLite by default (a file under ``PTSDRX_DATA_DIR``), PostgreSQL via ``PTSDRX_DATABASE_URL``;
the same code on both. Identifiers live apart from clinical data, every read and write of
patient data is written to an append-only audit log, and bulk imports are all-or-nothing.

Running a clinic on PostgreSQL
------------------------------
1. Create a database and a role that owns the schema, e.g. ``createdb ptsdrx`` and
   ``createuser --pwprompt ptsdrx_app`` (``GRANT ALL ON SCHEMA public TO ptsdrx_app``).
2. Point ptsdrx at it (environment or ``.env``)::

       PTSDRX_DATABASE_URL=postgresql+psycopg://ptsdrx_app:SECRET@db.clinic.local:5432/ptsdrx
       PTSDRX_ACTOR=<staff id of the person at the keyboard>   # written to the audit log

3. ``ptsdrx db upgrade`` creates the tables and the audit-log guards (a PL/pgSQL trigger
   refusing UPDATE, DELETE and TRUNCATE on ``audit_log``); run it again after each ptsdrx
   upgrade, then ``ptsdrx db check`` (no drift between models and migrations). A DBA can
   review the DDL first: ``ptsdrx db upgrade --sql`` prints it without touching anything.
4. ``ptsdrx patient import DIR_OR_JSONL`` loads existing records in one transaction; then
   ``ptsdrx assess``, ``ptsdrx session start|vitals|dose|ae|close`` and ``ptsdrx audit`` in
   daily use. Back up with ``pg_dump``; the audit log is append-only even for the app role.
5. For stronger separation, run ``db upgrade`` as a schema-owner role and the application
   as a role with only SELECT and INSERT on ``audit_log`` (and the DML it needs elsewhere):
   then even dropping the trigger needs the owner.

Examples
--------
>>> from ptsdrx.records import PatientRecord
>>> from ptsdrx.registry import Registry
>>> reg = Registry.connect("sqlite://", actor="dr.example")
>>> reg.upgrade()
>>> reg.record(reg.add_patient(PatientRecord(patient_id="p1"))) == PatientRecord(patient_id="p1")
True
"""

from ptsdrx.registry._audit import AuditContext, AuditEntry
from ptsdrx.registry._db import make_engine
from ptsdrx.registry._episodes import Episode, end_episode, episodes, start_episode
from ptsdrx.registry._errors import PatientNotFoundError, RecordFieldError, RegistryError
from ptsdrx.registry._importing import (
    FieldProblem,
    ImportProblem,
    ImportRejectedError,
    ImportReport,
    import_items,
    import_path,
    read_text,
)
from ptsdrx.registry._migrate import check as check_schema
from ptsdrx.registry._migrate import current as schema_revision
from ptsdrx.registry._migrate import head as schema_head
from ptsdrx.registry._migrate import upgrade as upgrade_schema
from ptsdrx.registry._registry import (
    Identifiers,
    PatientSummary,
    Registry,
    StaleVersionError,
    new_patient_id,
)
from ptsdrx.registry._sessions import SessionStore

__all__ = [
    "AuditContext",
    "AuditEntry",
    "Episode",
    "FieldProblem",
    "Identifiers",
    "ImportProblem",
    "ImportRejectedError",
    "ImportReport",
    "PatientNotFoundError",
    "PatientSummary",
    "RecordFieldError",
    "Registry",
    "RegistryError",
    "SessionStore",
    "StaleVersionError",
    "check_schema",
    "end_episode",
    "episodes",
    "import_items",
    "import_path",
    "make_engine",
    "new_patient_id",
    "read_text",
    "schema_head",
    "schema_revision",
    "start_episode",
    "upgrade_schema",
]
