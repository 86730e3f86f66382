"""CLI start-up stays light: importing it, or asking any verb for --help, loads no heavy library.

Heavy libraries (pandas, scipy, scikit-learn, LightGBM, SQLAlchemy, WeasyPrint, matplotlib)
take seconds to import; they belong inside the commands that use them. Each check runs in a
fresh interpreter, because this test process has long since imported them.
"""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = ("pandas", "scipy", "sklearn", "lightgbm", "sqlalchemy", "weasyprint", "matplotlib")

_REPORT = """
import json, sys
heavy = set(sys.argv[1:])
print(json.dumps(sorted({m.split('.')[0] for m in sys.modules} & heavy)))
"""

_EVERY_HELP = """
import contextlib, io
import typer
from ptsdrx.cli import app

group = typer.main.get_command(app)

def paths(cmd, prefix):
    yield prefix
    for name, sub in getattr(cmd, "commands", {}).items():  # a group's verbs
        yield from paths(sub, [*prefix, name])

shown = 0
for args in paths(group, []):
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = group.main([*args, "--help"], prog_name="ptsdrx", standalone_mode=False)
    assert code == 0 and "Usage" in out.getvalue(), (args, code, out.getvalue())
    shown += 1
assert shown > 20, shown  # every verb and sub-verb, not just the top level
"""


def _heavy_loaded(code: str) -> list[str]:
    """Run ``code`` in a fresh interpreter; the heavy top-level packages it left imported."""
    done = subprocess.run(
        [sys.executable, "-c", code + _REPORT, *HEAVY],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    loaded: list[str] = json.loads(done.stdout.strip().splitlines()[-1])
    return loaded


def test_cli_startup_import_loads_no_heavy_library() -> None:
    assert _heavy_loaded("import ptsdrx.cli") == []


def test_cli_startup_every_help_loads_no_heavy_library() -> None:
    assert _heavy_loaded(_EVERY_HELP) == []


def test_cli_startup_check_sees_a_heavy_import() -> None:
    """The probe itself works: a heavy import is reported (so the checks above can fail)."""
    assert _heavy_loaded("import ptsdrx.cli, sqlalchemy") == ["sqlalchemy"]
