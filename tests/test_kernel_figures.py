"""The figures layer: object API, suffix check, atomic saves that never leave half a file."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
from matplotlib.figure import Figure

from ptsdrx import _figures
from ptsdrx._figures import atomic_write, new_figure, save, to_png_b64, to_svg


def _figure() -> Figure:
    fig = new_figure(3, 2)
    fig.add_subplot().plot([0, 1], [1, 0])
    return fig


@pytest.mark.parametrize("suffix", [".png", ".pdf", ".svg", ".PNG"])
def test_save_by_suffix(tmp_path: Path, suffix: str) -> None:
    out = save(_figure(), tmp_path / "sub" / f"f{suffix}", dpi=50)
    assert out.is_file() and out.stat().st_size > 100
    assert [p.name for p in out.parent.iterdir()] == [out.name]  # no temporary left


def test_save_refuses_unknown_suffix(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"\.png, \.pdf, \.svg: 'f\.jpg'"):
        save(_figure(), tmp_path / "f.jpg")
    assert list(tmp_path.iterdir()) == []


def test_failed_save_leaves_no_partial_and_keeps_old_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "f.png"
    target.write_bytes(b"old")

    def boom(src: str, dst: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(_figures.os, "replace", boom)
    with pytest.raises(OSError, match="disk full"):
        save(_figure(), target, dpi=50)
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["f.png"]


def test_failed_encode_writes_nothing(tmp_path: Path) -> None:
    fig = _figure()

    def boom(*args: object, **kwargs: object) -> None:
        raise RuntimeError("render failed")

    fig.savefig = boom  # type: ignore[method-assign]
    with pytest.raises(RuntimeError):
        save(fig, tmp_path / "f.svg")
    assert list(tmp_path.iterdir()) == []


def test_atomic_write_text_and_bytes(tmp_path: Path) -> None:
    assert atomic_write(tmp_path / "a.txt", "é").read_text(encoding="utf-8") == "é"
    assert atomic_write(tmp_path / "b.bin", b"\x00\x01").read_bytes() == b"\x00\x01"


def test_png_b64_and_svg() -> None:
    raw = base64.b64decode(to_png_b64(_figure(), dpi=30))
    assert raw.startswith(b"\x89PNG")
    assert to_svg(_figure()).lstrip().startswith("<?xml")


def test_no_backend_switch() -> None:
    import matplotlib

    before = matplotlib.get_backend()
    to_png_b64(_figure(), dpi=20)
    assert matplotlib.get_backend() == before
