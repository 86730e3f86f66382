"""The ``ptsdrx`` command line: one Typer app; each concept registers its own verbs."""

from __future__ import annotations

import typer

from ptsdrx.commands import batch as _batch
from ptsdrx.commands import cohort as _cohort
from ptsdrx.commands import instruments as _instruments
from ptsdrx.commands import knowledge as _knowledge
from ptsdrx.commands import monitoring as _monitoring
from ptsdrx.commands import recommend as _recommend
from ptsdrx.commands import records as _records
from ptsdrx.commands import registry as _registry
from ptsdrx.commands import response as _response
from ptsdrx.commands import screening as _screening

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
    _registry,
    _cohort,
    _knowledge,
    _response,
    _batch,
):
    _module.register(app)
