"""Bulk import of ``PatientRecord`` JSON: a directory of files or a JSON-lines file.

The whole batch is one transaction. A bad record (invalid JSON, a field pydantic refuses,
items a scored instrument refuses, an id already registered or repeated in the batch) is
reported with its file, line and field; by default nothing of the batch is kept. With
``skip_invalid`` the good records are kept and every skipped record is listed. Killing the
process midway leaves the database as before: the transaction is never committed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from ptsdrx.records import PatientRecord
from ptsdrx.registry._errors import RecordFieldError, RegistryError
from ptsdrx.registry._registry import Registry

Progress = Callable[[int, int], None]
JSONL_SUFFIXES = (".jsonl", ".ndjson")


@dataclass(frozen=True)
class FieldProblem:
    """One field of one record, and what is wrong with it."""

    field: str
    message: str


@dataclass(frozen=True)
class ImportProblem:
    """A record that could not be imported: where it is and every field at fault."""

    source: str
    line: int | None
    patient_id: str | None
    problems: tuple[FieldProblem, ...]

    def where(self) -> str:
        """``file:line`` (or just the file for one-record files)."""
        return self.source if self.line is None else f"{self.source}:{self.line}"

    def summary(self) -> str:
        """One line per field: ``file:line: field: message``."""
        return "\n".join(f"{self.where()}: {p.field}: {p.message}" for p in self.problems)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return {
            "source": self.source,
            "line": self.line,
            "patient_id": self.patient_id,
            "problems": [{"field": p.field, "message": p.message} for p in self.problems],
        }


@dataclass(frozen=True)
class ImportReport:
    """What a bulk import kept and what it skipped."""

    imported: tuple[str, ...]
    skipped: tuple[ImportProblem, ...]

    def summary(self) -> str:
        """Counts, then every skipped record with its problems."""
        lines = [f"imported {len(self.imported)} record(s), skipped {len(self.skipped)}"]
        lines += [p.summary() for p in self.skipped]
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return {
            "imported": list(self.imported),
            "skipped": [p.to_dict() for p in self.skipped],
        }


class ImportRejectedError(RegistryError):
    """The batch had bad records and ``skip_invalid`` was not given: nothing was kept."""

    def __init__(self, problems: tuple[ImportProblem, ...]) -> None:
        self.problems = problems
        listing = "\n".join(p.summary() for p in problems)
        super().__init__(
            f"{len(problems)} bad record(s); nothing was imported "
            f"(use --skip-invalid to keep the others):\n{listing}"
        )


@dataclass(frozen=True)
class _Item:
    source: str
    line: int | None
    record: PatientRecord | None
    problem: ImportProblem | None


def _parse(text: str, source: str, line: int | None) -> _Item:
    try:
        return _Item(source, line, PatientRecord.model_validate_json(text), None)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            loc = ".".join(str(p) for p in err["loc"]) or "(record)"
            if err["type"].startswith("json_"):
                loc = "(json)"
            problems.append(FieldProblem(loc, err["msg"]))
        return _Item(source, line, None, ImportProblem(source, line, None, tuple(problems)))


def read_source(path: Path) -> Iterator[_Item]:
    """Records from a directory (``*.json``, sorted), a JSON-lines file or one JSON file."""
    if path.is_dir():
        for file in sorted(path.glob("*.json")):
            yield _parse(file.read_text(encoding="utf-8"), str(file), None)
    elif path.suffix in JSONL_SUFFIXES:
        with path.open(encoding="utf-8") as fh:
            for number, text in enumerate(fh, start=1):
                if text.strip():
                    yield _parse(text, str(path), number)
    elif path.is_file():
        yield _parse(path.read_text(encoding="utf-8"), str(path), None)
    else:
        raise RegistryError(f"{path}: no such file or directory")


def read_text(text: str, source: str, *, jsonl: bool) -> Iterator[_Item]:
    """Records from text: one ``PatientRecord`` JSON, or JSON lines (numbered from 1)."""
    if not jsonl:
        yield _parse(text, source, None)
        return
    for number, line in enumerate(text.splitlines(), start=1):
        if line.strip():
            yield _parse(line, source, number)


def import_path(
    registry: Registry,
    path: Path,
    *,
    skip_invalid: bool = False,
    progress: Progress | None = None,
) -> ImportReport:
    """Import every record under ``path`` in one transaction (see the module docstring)."""
    return import_items(registry, read_source(path), skip_invalid=skip_invalid, progress=progress)


def import_items(
    registry: Registry,
    source: Iterable[_Item],
    *,
    skip_invalid: bool = False,
    progress: Progress | None = None,
) -> ImportReport:
    """Import parsed records (:func:`read_source`, :func:`read_text`) in one transaction."""
    items = list(source)
    bad: list[ImportProblem] = [i.problem for i in items if i.problem is not None]
    seen: dict[str, str] = {}
    good: list[_Item] = []
    for item in items:
        if item.record is None:
            continue
        pid = item.record.patient_id
        if pid is not None and pid in seen:
            msg = f"patient_id {pid!r} appears twice in the batch (first at {seen[pid]})"
            bad.append(
                ImportProblem(item.source, item.line, pid, (FieldProblem("patient_id", msg),))
            )
            continue
        if pid is not None:
            seen[pid] = item.source if item.line is None else f"{item.source}:{item.line}"
        good.append(item)
    if bad and not skip_invalid:
        raise ImportRejectedError(tuple(bad))
    imported: list[str] = []
    with registry.transaction() as session:
        for done, item in enumerate(good, start=1):
            assert item.record is not None
            where = item.source if item.line is None else f"{item.source}:{item.line}"
            try:
                imported.append(registry.insert_record(session, item.record, source=where))
            except RecordFieldError as exc:
                problem = ImportProblem(
                    item.source,
                    item.line,
                    item.record.patient_id,
                    (FieldProblem(exc.field, exc.message),),
                )
                if not skip_invalid:
                    raise ImportRejectedError((*bad, problem)) from exc
                bad.append(problem)
            if progress is not None:
                progress(done, len(good))
    return ImportReport(tuple(imported), tuple(bad))
