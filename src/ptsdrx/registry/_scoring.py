"""Scores stored next to each administration, computed by :mod:`ptsdrx.instruments`."""

from __future__ import annotations

from typing import Any

from ptsdrx.instruments import get, score_administration
from ptsdrx.records import Administration


def score_columns(adm: Administration) -> dict[str, Any]:
    """The score columns of an assessment row; empty for instruments ptsdrx does not score.

    Bad item responses for a scored instrument raise the instrument's ``ValueError`` (which
    names the item), so a record with them is refused rather than stored unscored.
    """
    try:
        get(adm.instrument)
    except KeyError:  # e.g. a proprietary scale recorded as a total only
        return {}
    result = score_administration(adm)
    return {
        "score_total": result.total,
        "score_band": result.band,
        "score_flags": list(result.flags),
        "flagged": bool(result.flags),
        "score_result": result.to_dict(),
    }
