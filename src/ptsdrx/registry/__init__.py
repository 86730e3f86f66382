"""The patient registry: database models, migrations, repositories, import/export, audit.

SQLite by default (a file under ``PTSDRX_DATA_DIR``), PostgreSQL via ``PTSDRX_DATABASE_URL``;
the same code on both. Identifiers live apart from clinical data, every read and write of
patient data is written to an append-only audit log, and bulk imports are all-or-nothing.

Examples
--------
>>> from ptsdrx.records import PatientRecord
>>> from ptsdrx.registry import Registry
>>> reg = Registry.connect("sqlite://", actor="dr.example")
>>> reg.upgrade()
>>> reg.record(reg.add_patient(PatientRecord(patient_id="p1"))) == PatientRecord(patient_id="p1")
True
"""

from ptsdrx.registry._audit import AuditEntry
from ptsdrx.registry._db import make_engine
from ptsdrx.registry._episodes import Episode, end_episode, episodes, start_episode
from ptsdrx.registry._errors import PatientNotFoundError, RecordFieldError, RegistryError
from ptsdrx.registry._importing import (
    FieldProblem,
    ImportProblem,
    ImportRejectedError,
    ImportReport,
    import_path,
)
from ptsdrx.registry._migrate import check as check_schema
from ptsdrx.registry._migrate import current as schema_revision
from ptsdrx.registry._migrate import head as schema_head
from ptsdrx.registry._migrate import upgrade as upgrade_schema
from ptsdrx.registry._registry import Identifiers, PatientSummary, Registry, new_patient_id
from ptsdrx.registry._sessions import SessionStore

__all__ = [
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
    "check_schema",
    "end_episode",
    "episodes",
    "import_path",
    "make_engine",
    "new_patient_id",
    "schema_head",
    "schema_revision",
    "start_episode",
    "upgrade_schema",
]
