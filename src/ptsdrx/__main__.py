"""``python -m ptsdrx``."""

from ptsdrx.cli import app

app()
