"""The ``ptsdrx`` command line: one Typer app; each concept registers its own verbs."""

from __future__ import annotations

import typer

from ptsdrx.commands import assess as _assess
from ptsdrx.commands import audit as _audit
from ptsdrx.commands import batch as _batch
from ptsdrx.commands import cohort as _cohort
from ptsdrx.commands import db as _db
from ptsdrx.commands import episodes as _episodes
from ptsdrx.commands import export as _export
from ptsdrx.commands import fhir as _fhir
from ptsdrx.commands import instruments as _instruments
from ptsdrx.commands import knowledge as _knowledge
from ptsdrx.commands import monitoring as _monitoring
from ptsdrx.commands import patients as _patients
from ptsdrx.commands import recommend as _recommend
from ptsdrx.commands import records as _records
from ptsdrx.commands import response as _response
from ptsdrx.commands import screening as _screening
from ptsdrx.commands import serve as _serve
from ptsdrx.commands import sessions as _sessions
from ptsdrx.commands import users as _users

app = typer.Typer(
    name="ptsdrx",
    help="Open precision medicine for PTSD: score, screen, predict, recommend, follow up.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

for _module in (
    _records,
    _instruments,
    _screening,
    _monitoring,
    _recommend,
    _db,
    _patients,
    _episodes,
    _sessions,
    _assess,
    _audit,
    _cohort,
    _knowledge,
    _response,
    _fhir,
    _export,
    _serve,
    _users,
    _batch,
):
    _module.register(app)
