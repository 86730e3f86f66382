"""Observation -> vital signs, weight, age, pregnancy, instrument totals, labs and genetics.

Dispatch is by code: LOINC vital-sign, pregnancy, laboratory and genetics codes from
``fhir/data/codes.yaml``, instrument total codes from the instruments' data, and ptsdrx's
own code systems. A score Observation ``derivedFrom`` a QuestionnaireResponse is the score
of that response (ptsdrx rescores the items), so it adds no fact of its own.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from ptsdrx.fhir import _codes as c
from ptsdrx.fhir._facts import Facts
from ptsdrx.fhir._reader import Reader, code_in, codings, day, instant, number, text_of
from ptsdrx.fhir._tables import VitalCode, tables
from ptsdrx.instruments import instruments
from ptsdrx.records import Administration, Biomarker, Demographics, Genetics

_PHENOTYPES = ("ultrarapid", "rapid", "intermediate", "poor", "normal")
_PHENOTYPE_WORDS = {"extensive": "normal"}


@cache
def _score_codes() -> dict[str, str]:
    """LOINC total code -> instrument id."""
    out = {}
    for iid, inst in instruments().items():
        total = inst.spec.loinc.get("total")
        if total is not None:
            out[total.code] = iid
    return out


def read_observation(r: Reader, facts: Facts) -> None:
    """Map one Observation into ``facts`` (or report it)."""
    o = r.resource
    r.used("status", "code", "category", "effectiveDateTime", "effectiveInstant", "issued")
    if o.status in ("entered-in-error", "cancelled"):
        r.unmapped("status", f"status {o.status!r}: not a fact")
        return
    if o.status not in ("final", "amended", "corrected", "preliminary"):
        r.unmapped("status", f"status {o.status!r}: only final results are imported")
        return
    loincs = [code for s, code, _ in codings(o.code) if s == c.LOINC]
    own = code_in(o.code, c.CS_SCORE)
    biomarker = code_in(o.code, c.CS_BIOMARKER)
    t = tables()
    vital = next((v for v in map(t.vital, loincs) if v is not None), None)
    if any(e.url == c.EXT_SESSION for e in o.extension or ()):
        r.used(*o.model_fields_set)
        r.unmapped("", "dosing-session reading: not part of the record (see `ptsdrx session`)")
        return
    if o.derivedFrom and (own is not None or any(x in _score_codes() for x in loincs)):
        r.used(*o.model_fields_set)  # the score of a QuestionnaireResponse in this Bundle
        return
    if vital is not None:
        _vital(r, facts, vital)
    elif t.pregnancy.loinc in loincs:
        _pregnancy(r, facts)
    elif own is not None or any(x in _score_codes() for x in loincs):
        _total(r, facts, own, loincs)
    elif biomarker is not None or any(t.lab(x) for x in loincs):
        _lab(r, facts, biomarker, loincs)
    elif t.genetics.genotype in loincs:
        _genotype(r, facts)
    elif t.genetics.metabolizer in loincs:
        _metabolizer(r, facts)
    else:
        r.used(*o.model_fields_set)
        shown = ", ".join(f"{s or '?'}|{code}" for s, code, _ in codings(o.code)) or "no coding"
        r.unmapped("code", f"observation code not mapped by ptsdrx ({shown})")


def _when(r: Reader) -> Any:
    o = r.resource
    return o.effectiveDateTime or o.effectiveInstant


def _quantity(r: Reader, q: Any, where: str, units: dict[str, Any]) -> float | None:
    """The quantity in the record's unit (UCUM code conversion), or report why not."""
    if q is None:
        r.unmapped(where, "no valueQuantity")
        return None
    value = number(q.value)
    if value is None:
        r.unmapped(where, "quantity has no value")
        return None
    code = q.code if q.system in (None, c.UCUM) else None
    code = code or (q.unit if q.unit in units else None)
    if code is None:
        r.unmapped(where, f"no UCUM unit (unit {q.unit!r}): value left out")
        return None
    factor = units.get(code)
    if factor is None:
        r.unmapped(where, f"unit {code!r} not accepted; allowed: {', '.join(units)}")
        return None
    if factor == "degF":
        return round((value - 32.0) * 5.0 / 9.0, 6)
    return value * float(factor)


def _vital(r: Reader, facts: Facts, vital: VitalCode) -> None:
    o = r.resource
    when = instant(_when(r))
    if when is None:
        r.unmapped("effective[x]", "no full effective date/time: reading cannot be dated")
        return
    readings: list[tuple[str, float]] = []
    if vital.field == "bp_panel":
        r.used("component")
        for i, comp in enumerate(o.component or ()):
            sub = next((tables().vital(x) for s, x, _ in codings(comp.code) if s == c.LOINC), None)
            if sub is None or sub.field not in ("systolic", "diastolic"):
                r.unmapped(f"component[{i}]", "blood-pressure component not recognised")
                continue
            v = _quantity(r, comp.valueQuantity, f"component[{i}].valueQuantity", sub.units)
            if v is not None:
                readings.append((sub.field, v))
    else:
        v = _quantity(r, r.get("valueQuantity"), "valueQuantity", vital.units)
        if v is not None:
            readings.append((vital.field, v))
    for name, value in readings:
        if name == "age":
            _demographic(r, facts, "age", round(value))
        elif name == "weight_kg":
            facts.weights.append((when, value))
        else:
            facts.vitals.setdefault(when, {})[name] = value
            facts.vital_paths.setdefault(when, []).append(r.path)
    if readings:
        facts.dates.append(when.date())


def _demographic(r: Reader, facts: Facts, name: str, value: Any) -> None:
    try:
        Demographics(**{name: value})
    except ValueError as exc:
        r.unmapped("value[x]", f"{name} {value!r} out of range: {exc.errors()[0]['msg']}")  # type: ignore[attr-defined]
        return
    facts.demographics[name] = value


def _pregnancy(r: Reader, facts: Facts) -> None:
    p = tables().pregnancy
    answer = code_in(r.get("valueCodeableConcept"), c.SNOMED)
    if answer == p.pregnant:
        facts.demographics["pregnant"] = True
    elif answer == p.not_pregnant:
        facts.demographics["pregnant"] = False
    else:
        r.unmapped("valueCodeableConcept", "pregnancy status answer not recognised: unknown")


def _total(r: Reader, facts: Facts, own: str | None, loincs: list[str]) -> None:
    o = r.resource
    iid = next((_score_codes()[x] for x in loincs if x in _score_codes()), None)
    if iid is None and own is not None:
        head, _, role = own.rpartition("-")
        if role != "total" or head not in instruments():
            r.used(*o.model_fields_set)
            r.unmapped("code", f"score code {own!r}: only totals are imported without items")
            return
        iid = head
    assert iid is not None
    when = day(_when(r))
    value = number(o.valueInteger) if o.valueInteger is not None else None
    if value is None and o.valueQuantity is not None:
        value = number(o.valueQuantity.value)
    r.used("valueInteger", "valueQuantity", "interpretation", "performer")
    if when is None or value is None:
        r.unmapped("value[x]" if when else "effective[x]", "a total needs a value and a date")
        return
    by = next((p.display for p in o.performer or () if p.display), None)
    try:
        adm = Administration(instrument=iid, date=when, total=value, administered_by=by)
    except ValueError as exc:
        r.unmapped("value[x]", f"not a total of {iid}: {exc}")
        return
    facts.add("assessments", adm)
    facts.dates.append(when)


def _lab(r: Reader, facts: Facts, own: str | None, loincs: list[str]) -> None:
    t = tables()
    loinc = next((x for x in loincs if t.lab(x) is not None), loincs[0] if loincs else None)
    lab = t.lab(loinc) if loinc else None
    name = own or (lab.name if lab else None)
    q = r.get("valueQuantity")
    assert name is not None  # dispatch guarantees a lab code or ptsdrx's biomarker code
    if q is None or number(q.value) is None:
        r.unmapped("value[x]", "laboratory result without a numeric valueQuantity")
        return
    unit = q.code if q.system == c.UCUM and q.code else None
    if unit is None:
        r.unmapped("valueQuantity", f"no UCUM unit (unit {q.unit!r}): result left out")
        return
    try:
        b = Biomarker(
            name=name,
            value=number(q.value),
            unit=unit,
            loinc=loinc,
            collected=day(_when(r)),
        )
    except ValueError as exc:
        r.unmapped("code", f"not a biomarker: {exc}")
        return
    r.used("referenceRange", "interpretation", "specimen")
    facts.add("biomarkers", b)
    if b.collected:
        facts.dates.append(b.collected)


def _component(o: Any, loinc: str) -> Any:
    return next(
        (x for x in o.component or () if any(code == loinc for _, code, _ in codings(x.code))),
        None,
    )


def _genotype(r: Reader, facts: Facts) -> None:
    g = tables().genetics
    o = r.resource
    r.used("component", "valueString", "valueCodeableConcept")
    comp = _component(o, g.variant_id)
    rsid = None
    if comp is not None:
        rsid = code_in(comp.valueCodeableConcept, c.DBSNP) or text_of(comp.valueCodeableConcept)
    call = o.valueString or text_of(o.valueCodeableConcept)
    if not rsid or not call:
        r.unmapped("component", "genotype needs a dbSNP rsID component and a genotype value")
        return
    try:
        Genetics(genotypes={rsid: call})
    except ValueError as exc:
        r.unmapped("value[x]", f"genotype not read: {exc}")
        return
    facts.genotypes = {**(facts.genotypes or {}), rsid: call.upper()}


def _metabolizer(r: Reader, facts: Facts) -> None:
    g = tables().genetics
    o = r.resource
    r.used("component", "valueCodeableConcept", "interpretation")
    comp = _component(o, g.gene)
    gene = None
    if comp is not None:
        cc = comp.valueCodeableConcept
        gene = next((d for _, _, d in codings(cc) if d), None) or text_of(cc)
    gene = (gene or "").strip().upper()
    phenotype = code_in(o.valueCodeableConcept, c.CS_PHENOTYPE)
    if phenotype is None:
        words = (text_of(o.valueCodeableConcept) or "").lower().replace("-", "")
        words = " ".join(_PHENOTYPE_WORDS.get(w, w) for w in words.split())
        phenotype = next((p for p in _PHENOTYPES if p in words.split()), None)
    try:
        Genetics(metabolizers={gene: phenotype})
    except ValueError:
        r.unmapped("valueCodeableConcept", f"metaboliser gene {gene!r} / phenotype not read")
        return
    facts.metabolizers = {**(facts.metabolizers or {}), gene: phenotype}  # type: ignore[dict-item]
