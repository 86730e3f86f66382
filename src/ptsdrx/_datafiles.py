"""Clinical data files, packaged or a site's: YAML in, pydantic out, errors that name the field.

Every clinical data file (rules, catalog, trials, instruments, policies, site files) is read
through this one module, so a malformed file always fails the same way: a
:class:`DataFileError` naming the file, the entry and the field, with what was allowed.

Examples
--------
>>> from pydantic import Field
>>> class Entry(Sourced):
...     dose_mg: float = Field(gt=0)
>>> load(Entry, text="{dose_mg: 5, source: a label, verification: '[V]'}").verification
'V'
>>> load(Entry, text="{dose_mg: -1, source: a label, verification: V}")
Traceback (most recent call last):
...
ptsdrx._datafiles.DataFileError: <text>: dose_mg: Input should be greater than 0 (got -1)
"""

from __future__ import annotations

from collections.abc import Iterable
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar

import yaml
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

__all__ = [
    "DataFileError",
    "Frozen",
    "Source",
    "Sourced",
    "Verification",
    "describe",
    "duplicates",
    "load",
    "packaged",
    "read_yaml",
]

#: libyaml's safe loader when available (about 10x faster), else the pure-Python one.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

M = TypeVar("M", bound=BaseModel)

Source = str | Path | Traversable


class DataFileError(ValueError):
    """A clinical data file is malformed; the message names the file, entry and field."""


class Frozen(BaseModel):
    """The one immutable base for data-file entries: unknown keys are refused, not ignored."""

    model_config = ConfigDict(extra="forbid", frozen=True)


def _strip_brackets(value: object) -> object:
    """Accept the ``[V]`` spelling of FACTS.md as well as the bare ``V``."""
    if isinstance(value, str) and value.startswith("[") and value.endswith("]"):
        return value[1:-1]
    return value


#: Verification tag of FACTS.md: [V] verified, [V2] verified from a secondary source,
#: [U] unverified (configurable, never truth), [D] derived. Written ``V`` or ``[V]``.
Verification = Annotated[Literal["V", "V2", "U", "D"], BeforeValidator(_strip_brackets)]


class Sourced(Frozen):
    """A clinical statement with its source and verification tag."""

    source: str = Field(min_length=3)
    verification: Verification


def packaged(package: str, name: str) -> Traversable:
    """The packaged data file ``name`` in ``package``'s ``data/`` folder."""
    return resources.files(package).joinpath("data", name)


def _label(source: Source) -> str:
    """The file's name, the same whether ``source`` is given as a string or a path."""
    if isinstance(source, str):
        source = Path(source)
    return getattr(source, "name", None) or str(source)


def read_yaml(source: Source | None = None, *, text: str | None = None) -> Any:
    """Parse YAML from a path, a packaged resource or a string; bad YAML is a DataFileError."""
    label = "<text>" if source is None else _label(source)
    try:
        if text is None:
            if source is None:
                raise TypeError("read_yaml needs a source or text")
            if isinstance(source, str):
                source = Path(source)
            text = source.read_text(encoding="utf-8")
        return yaml.load(text, Loader=_LOADER)
    except FileNotFoundError as exc:
        raise DataFileError(f"{label}: no such file") from exc
    except yaml.YAMLError as exc:
        raise DataFileError(f"{label}: not valid YAML: {exc}") from exc


def describe(exc: Exception) -> str:
    """Render a pydantic ``ValidationError`` as one line per field: ``field.path: message``."""
    if not isinstance(exc, ValidationError):
        return str(exc)
    lines = []
    for err in exc.errors():
        loc = ".".join(str(p) for p in err["loc"]) or "(record)"
        got = err.get("input")
        shown = "" if isinstance(got, dict | list) or "input" not in err else f" (got {got!r})"
        lines.append(f"{loc}: {err['msg']}{shown}")
    return "\n".join(lines)


def load(
    model: type[M],
    source: Source | None = None,
    *,
    text: str | None = None,
    error: type[DataFileError] = DataFileError,
    context: dict[str, Any] | None = None,
) -> M:
    """Read ``source`` (or ``text``) and validate it as ``model``; ``error`` names every field.

    File-level checks (unique ids, dangling references) belong on ``model`` as
    ``model_validator(mode="after")``, so they fail here with the same error type.
    """
    label = "<text>" if source is None else _label(source)
    try:
        raw = read_yaml(source, text=text)
    except DataFileError as exc:
        raise error(str(exc)) from exc
    try:
        return model.model_validate(raw, context=context)
    except ValidationError as exc:
        raise error(f"{label}: {describe(exc)}") from exc


def duplicates(ids: Iterable[str]) -> list[str]:
    """The ids that occur more than once, sorted (for file-level validators)."""
    seen: set[str] = set()
    dup: set[str] = set()
    for i in ids:
        (dup if i in seen else seen).add(i)
    return sorted(dup)
