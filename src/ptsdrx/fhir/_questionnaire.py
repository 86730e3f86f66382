"""QuestionnaireResponse <-> ``Administration`` for each instrument ptsdrx knows.

The instrument is matched by ptsdrx's Questionnaire canonical (``.../Questionnaire/pcl5``),
by its LOINC panel code as the canonical's last segment (``http://loinc.org/q/44249-1``) or
by the instrument id. Items are matched by linkId: ``N``, ``item-N`` or ``<id>-N`` for item
N, a LOINC item code the instrument lists, ``frequency-N``/``intensity-N`` for CAPS-5
ratings, ``total`` for a recorded total and the CAPS-5 criterion names.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

from ptsdrx.fhir import _codes as c
from ptsdrx.fhir._facts import Facts
from ptsdrx.fhir._reader import Reader, day
from ptsdrx.instruments import instruments
from ptsdrx.records import Administration, format_validation_error

_ITEM = re.compile(r"^(?:[a-z0-9]+[-_.])?(?:item[-_.]?|q)?(\d{1,3})$", re.IGNORECASE)
_RATING = re.compile(r"^(frequency|intensity)[-_.](\d{1,3})$", re.IGNORECASE)
CRITERIA = ("criterion_a", "duration_over_1_month", "distress_or_impairment")


@cache
def _panels() -> dict[str, str]:
    """LOINC panel code -> instrument id."""
    out = {}
    for iid, inst in instruments().items():
        panel = inst.spec.loinc.get("panel")
        if panel is not None:
            out[panel.code] = iid
    return out


def instrument_for(canonical: str | None) -> str | None:
    """The instrument id a Questionnaire canonical names, else ``None``."""
    if not canonical:
        return None
    last = canonical.split("|")[0].rstrip("/").rsplit("/", 1)[-1]
    if last in instruments():
        return last
    return _panels().get(last)


def _item_codes(iid: str) -> dict[str, int]:
    """LOINC item code -> item number for the roles ``itemN`` an instrument lists."""
    out = {}
    for role, code in instruments()[iid].spec.loinc.items():
        if role.startswith("item") and role[4:].isdigit():
            out[code.code] = int(role[4:])
    return out


def _flat(items: Any, path: str) -> list[tuple[str, Any]]:
    out: list[tuple[str, Any]] = []
    for i, it in enumerate(items or ()):
        here = f"{path}[{i}]"
        if it.answer or not it.item:  # an answer, or a question left unanswered
            out.append((here, it))
        for j, ans in enumerate(it.answer or ()):
            if ans.item:
                out += _flat(ans.item, f"{here}.answer[{j}].item")
        if it.item:
            out += _flat(it.item, f"{here}.item")
    return out


def _value(ans: Any) -> int | float | bool | None:
    if ans.valueBoolean is not None:
        return bool(ans.valueBoolean)
    if ans.valueInteger is not None:
        return int(ans.valueInteger)
    if ans.valueDecimal is not None:
        return float(ans.valueDecimal)
    coding = ans.valueCoding
    if coding is not None:
        for ext in coding.extension or ():
            if ext.url in (c.ORDINAL_VALUE, c.ITEM_WEIGHT) and ext.valueDecimal is not None:
                return float(ext.valueDecimal)
        if coding.code is not None and str(coding.code).lstrip("-").isdigit():
            return int(str(coding.code))
    return None


def read_questionnaire_response(r: Reader, facts: Facts) -> None:
    """Map a QuestionnaireResponse of a known instrument into an ``Administration``."""
    qr = r.resource
    r.used(*qr.model_fields_set)  # each element is read or reported below
    iid = instrument_for(qr.questionnaire)
    if iid is None:
        r.unmapped(
            "questionnaire",
            f"questionnaire {qr.questionnaire!r} is not an instrument ptsdrx knows; the whole "
            "response was left out",
        )
        return
    if qr.status not in ("completed", "amended"):
        r.unmapped("status", f"status {qr.status!r}: only completed responses are imported")
        return
    when = day(qr.authored)
    if when is None:
        r.unmapped("authored", "no full authored date: the administration cannot be dated")
        return
    spec = instruments()[iid].spec
    n_items = spec.items + len(spec.extra_items)
    codes = _item_codes(iid)
    responses: dict[int, Any] = {}
    ratings: dict[str, dict[int, Any]] = {"frequency": {}, "intensity": {}}
    criteria: dict[str, bool] = {}
    total: float | None = None
    for path, item in _flat(qr.item, "item"):
        link = str(item.linkId).strip().lstrip("/")
        value = _value(item.answer[0]) if item.answer else None
        if item.answer and len(item.answer) > 1:
            r.unmapped(f"{path}.answer[1:]", "more than one answer: only the first is read")
        if item.answer and value is None:
            r.unmapped(f"{path}.answer[0]", "answer is not a number, score or boolean")
            continue
        rating, item_no = _RATING.match(link), None
        if link.lower() == "total" or link == (
            spec.loinc.get("total") and spec.loinc["total"].code
        ):
            total = None if value is None else float(value)
        elif link in CRITERIA and (value is None or isinstance(value, bool)):
            if value is not None:
                criteria[link] = value
        elif rating is not None and iid == "caps5":
            ratings[rating.group(1).lower()][int(rating.group(2))] = value
        elif (m := _ITEM.match(link)) is not None or link in codes:
            item_no = codes[link] if link in codes else int(m.group(1))  # type: ignore[union-attr]
            if not 1 <= item_no <= n_items:
                r.unmapped(path, f"linkId {link!r}: {iid} has items 1-{n_items}")
                continue
            responses[item_no] = value
        else:
            r.unmapped(path, f"linkId {link!r} is not an item of {iid}")
    size = max([spec.items, *responses]) if responses else 0
    values: dict[str, Any] = {
        "instrument": iid,
        "date": when,
        "responses": [responses.get(i) for i in range(1, size + 1)] if responses else None,
        "total": total,
        "criteria": criteria or None,
    }
    if ratings["frequency"] or ratings["intensity"]:  # seen, answered or not
        values["frequency"] = [ratings["frequency"].get(i) for i in range(1, spec.items + 1)]
        values["intensity"] = [ratings["intensity"].get(i) for i in range(1, spec.items + 1)]
    if qr.author is not None and qr.author.display:
        values["administered_by"] = qr.author.display
    elif qr.author is not None:
        r.unmapped("author", "author has no display name: administered_by left unknown")
    for i, ext in enumerate(qr.extension or ()):
        if ext.url == c.EXT_CONTEXT and ext.valueString:
            values["context"] = ext.valueString
        else:
            r.unmapped(f"extension[{i}]", f"extension {ext.url} is not mapped by ptsdrx")
    try:
        adm = Administration(**values)
    except ValueError as exc:
        r.unmapped("item", f"not an administration: {format_validation_error(exc)}")
        return
    facts.add("assessments", adm)
    facts.dates.append(when)


def write_questionnaire_response(adm: Administration) -> dict[str, Any]:
    """The FHIR JSON of a QuestionnaireResponse carrying every item of ``adm``."""
    items: list[dict[str, Any]] = []

    def add(link: str, value: Any) -> None:
        if value is None:
            items.append({"linkId": link})
        elif isinstance(value, bool):
            items.append({"linkId": link, "answer": [{"valueBoolean": value}]})
        elif float(value).is_integer():
            items.append({"linkId": link, "answer": [{"valueInteger": int(value)}]})
        else:
            items.append({"linkId": link, "answer": [{"valueDecimal": value}]})

    for i, v in enumerate(adm.responses or (), start=1):
        add(str(i), v)
    for kind in ("frequency", "intensity"):
        for i, v in enumerate(getattr(adm, kind) or (), start=1):
            add(f"{kind}-{i}", v)
    for name, v in (adm.criteria or {}).items():
        add(name, v)
    if adm.total is not None:
        add("total", adm.total)
    out: dict[str, Any] = {
        "resourceType": "QuestionnaireResponse",
        "questionnaire": f"{c.QUESTIONNAIRE}/{adm.instrument}",
        "status": "completed",
        "authored": adm.date.isoformat(),
        "item": items,
    }
    if adm.administered_by is not None:
        out["author"] = {"display": adm.administered_by}
    if adm.context is not None:
        out["extension"] = [{"url": c.EXT_CONTEXT, "valueString": adm.context}]
    return out
