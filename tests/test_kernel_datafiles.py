"""The data-file kernel: one loader, one error naming file, entry and field."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import Field, model_validator

from ptsdrx._datafiles import (
    DataFileError,
    Frozen,
    Sourced,
    describe,
    duplicates,
    load,
    packaged,
    read_yaml,
)


class Dose(Sourced):
    id: str
    dose_mg: float = Field(gt=0)


class DoseFile(Frozen):
    doses: tuple[Dose, ...]

    @model_validator(mode="after")
    def _unique(self) -> DoseFile:
        dup = duplicates(d.id for d in self.doses)
        if dup:
            raise ValueError(f"duplicate ids: {', '.join(dup)}")
        return self


class PackageError(DataFileError):
    """A package's own error type."""


GOOD = """
doses:
  - {id: a, dose_mg: 5, source: a drug label, verification: V}
  - {id: b, dose_mg: 10, source: a drug label, verification: "[V2]"}
"""


def test_both_verification_spellings_accepted() -> None:
    f = load(DoseFile, text=GOOD)
    assert [d.verification for d in f.doses] == ["V", "V2"]


@pytest.mark.parametrize("tag", ["X", "[X]", "v", "[V", ""])
def test_unknown_verification_tag_refused(tag: str) -> None:
    with pytest.raises(DataFileError, match=r"verification"):
        load(Dose, text=f"{{id: a, dose_mg: 1, source: label, verification: '{tag}'}}")


def test_error_names_file_entry_and_field(tmp_path: Path) -> None:
    path = tmp_path / "doses.yaml"
    path.write_text(GOOD.replace("dose_mg: 10", "dose_mg: -3"), encoding="utf-8")
    with pytest.raises(DataFileError) as info:
        load(DoseFile, path)
    message = str(info.value)
    assert message.startswith("doses.yaml: ")
    assert "doses.1.dose_mg" in message  # entry index and field
    assert "greater than 0" in message and "(got -3)" in message


def test_unknown_key_refused() -> None:
    with pytest.raises(DataFileError, match=r"doses\.0\.dose_g: Extra inputs are not permitted"):
        load(DoseFile, text=GOOD.replace("dose_mg: 5", "dose_mg: 5, dose_g: 5"))


def test_frozen_entries_are_immutable() -> None:
    d = load(DoseFile, text=GOOD).doses[0]
    with pytest.raises(ValueError, match="frozen"):
        d.dose_mg = 1  # type: ignore[misc]


def test_file_level_validator_fails_with_the_callers_error_type() -> None:
    with pytest.raises(PackageError, match=r"<text>: .*duplicate ids: a"):
        load(DoseFile, text=GOOD.replace("id: b", "id: a"), error=PackageError)


def test_callers_error_type_also_for_bad_yaml_and_missing_file(tmp_path: Path) -> None:
    with pytest.raises(PackageError, match="not valid YAML"):
        load(DoseFile, text="doses: [unclosed", error=PackageError)
    with pytest.raises(PackageError, match=r"nothere\.yaml: no such file"):
        load(DoseFile, tmp_path / "nothere.yaml", error=PackageError)


def test_bad_yaml_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("a: [1, 2\nb: 3\n", encoding="utf-8")
    with pytest.raises(DataFileError, match=r"^broken\.yaml: not valid YAML"):
        read_yaml(path)
    with pytest.raises(DataFileError, match=r"^broken\.yaml: not valid YAML"):
        read_yaml(str(path))


def test_read_yaml_needs_a_source() -> None:
    with pytest.raises(TypeError, match="source or text"):
        read_yaml()


def test_missing_source_refused() -> None:
    with pytest.raises(DataFileError, match=r"source: Field required"):
        load(Dose, text="{id: a, dose_mg: 1, verification: V}")
    with pytest.raises(DataFileError, match=r"source: String should have at least 3"):
        load(Dose, text="{id: a, dose_mg: 1, source: '', verification: V}")


def test_packaged_file_is_found_and_loads() -> None:
    ref = packaged("ptsdrx.instruments", "instruments.yaml")
    assert ref.name == "instruments.yaml" and ref.is_file()
    assert "instruments" in read_yaml(ref)


def test_describe_one_line_per_field_and_plain_exceptions() -> None:
    try:
        Dose.model_validate({"id": "a", "dose_mg": 0, "source": "x", "verification": "Q"})
    except ValueError as exc:
        lines = describe(exc).splitlines()
    assert sorted(line.split(":")[0] for line in lines) == ["dose_mg", "source", "verification"]
    assert describe(KeyError("plain")) == "'plain'"


def test_duplicates_sorted_and_only_repeats() -> None:
    assert duplicates(["b", "a", "b", "c", "a", "b"]) == ["a", "b"]
    assert duplicates([]) == []
