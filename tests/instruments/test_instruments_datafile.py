"""The instruments data file is read through the kernel: errors name instrument and field."""

from __future__ import annotations

from pathlib import Path

import pytest

from ptsdrx._datafiles import DataFileError, packaged
from ptsdrx.instruments import InstrumentFileError
from ptsdrx.instruments._spec import facts, read_facts

PACKAGED = packaged("ptsdrx.instruments", "instruments.yaml").read_text(encoding="utf-8")


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "instruments.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_packaged_file_loads_with_ids_from_keys() -> None:
    f = facts()
    assert {"pcl5", "phq9", "bdi2", "cssrs"} <= set(f.instruments)
    assert all(spec.id == key for key, spec in f.instruments.items())
    assert f.crisis_message.verification == "U"  # "[U]" in the file, one spelling in code


def test_bad_value_names_instrument_and_field(tmp_path: Path) -> None:
    text = PACKAGED.replace("    items: 9\n", "    items: 0\n", 1)
    with pytest.raises(InstrumentFileError, match=r"instruments\.phq9\.items: .*greater than 0"):
        read_facts(_write(tmp_path, text))


def test_unknown_key_refused(tmp_path: Path) -> None:
    text = PACKAGED.replace("    items: 9\n", "    items: 9\n    itmes: 9\n", 1)
    with pytest.raises(InstrumentFileError, match=r"instruments\.phq9\.itmes: Extra inputs"):
        read_facts(_write(tmp_path, text))


def test_cross_field_check_is_a_file_error(tmp_path: Path) -> None:
    text = PACKAGED.replace("  phq9:\n", "  phq9:\n    item_labels: [a, b]\n", 1)
    with pytest.raises(InstrumentFileError, match="phq9: item_labels must have 9 entries"):
        read_facts(_write(tmp_path, text))


def test_bad_yaml_is_an_instrument_file_error(tmp_path: Path) -> None:
    with pytest.raises(InstrumentFileError, match=r"instruments\.yaml: not valid YAML"):
        read_facts(_write(tmp_path, "instruments: [\n"))
    assert issubclass(InstrumentFileError, DataFileError)
