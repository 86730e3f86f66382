"""The figures layer: matplotlib's object API (no pyplot, no backend switching), atomic saves.

Library code never calls ``matplotlib.use``: that would change the caller's Jupyter session.
A :class:`matplotlib.figure.Figure` needs no backend to draw or save, which is what matplotlib
recommends for servers. Saves go to a temporary file in the same folder and are renamed into
place, so a reader never sees half a PNG.
"""

from __future__ import annotations

import base64
import io
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["FORMATS", "atomic_write", "new_figure", "save", "to_png_b64", "to_svg"]

#: Suffixes a figure can be saved as.
FORMATS = (".png", ".pdf", ".svg")


def new_figure(width: float = 8.0, height: float = 4.5, **kwargs: Any) -> Figure:
    """A new figure, independent of any pyplot state or backend."""
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), **kwargs)


def atomic_write(path: str | Path, data: bytes | str) -> Path:
    """Write ``data`` to ``path`` through a temporary file and a rename (never half-written)."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    raw = data.encode("utf-8") if isinstance(data, str) else data
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(raw)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target


def _encode(fig: Figure, fmt: str, dpi: int) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format=fmt, dpi=dpi, bbox_inches="tight")
    return buf.getvalue()


def save(fig: Figure, path: str | Path, *, dpi: int = 150) -> Path:
    """Save ``fig`` atomically as PNG, PDF or SVG, chosen by the suffix of ``path``."""
    target = Path(path)
    suffix = target.suffix.lower()
    if suffix not in FORMATS:
        raise ValueError(f"figure path must end in one of {', '.join(FORMATS)}: {target.name!r}")
    return atomic_write(target, _encode(fig, suffix[1:], dpi))


def to_png_b64(fig: Figure, *, dpi: int = 150) -> str:
    """The figure as a base64 PNG, for ``<img src="data:image/png;base64,...">``."""
    return base64.b64encode(_encode(fig, "png", dpi)).decode("ascii")


def to_svg(fig: Figure) -> str:
    """The figure as SVG text, for inline embedding in HTML."""
    return _encode(fig, "svg", 72).decode("utf-8")
