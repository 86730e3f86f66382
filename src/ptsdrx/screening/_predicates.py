"""The domain predicates of the screening condition language: each reads one part of a record.

Every predicate is three-valued: when its input is unknown it returns an unknown verdict
naming the missing field, never "no". Diagnoses and medications are read through the
vocabulary (codes, kinds, salts and brand names), so a record as an EHR holds it matches.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from ptsdrx.records import Administration, Condition, Medication, PatientRecord
from ptsdrx.screening._logic import (
    FALSE,
    TRUE,
    Comparison,
    EvaluationContext,
    Node,
    Param,
    Verdict,
    days_value,
    operand_params,
    unknown,
)
from ptsdrx.vocabulary import (
    condition_status,
    drug_classes,
    drug_for_name,
    drug_for_rxnorm,
    narrower,
)


def medication_drug(med: Medication) -> str | None:
    """The vocabulary id of a recorded medication (by name, else by RxNorm code)."""
    found = drug_for_name(med.name)
    if found is None and med.rxnorm is not None:
        found = drug_for_rxnorm(med.rxnorm)
    return found


def _active(med: Medication, today: date, since: date) -> bool:
    started = med.start is None or med.start <= today
    return started and (med.stop is None or med.stop >= since)


def unrecognised_medications(record: PatientRecord) -> tuple[str, ...]:
    """Names of recorded medications taken now or lately that the vocabulary does not know."""
    today = record.reference_date()
    return tuple(
        dict.fromkeys(
            m.name
            for m in record.medications or []
            if medication_drug(m) is None and (m.start is None or m.start <= today)
        )
    )


def _unrecognised(name: str) -> str:
    return f"medications: {name!r} is not in the drug vocabulary"


# ------------------------------------------------------------------------- diagnoses


@dataclass(frozen=True)
class DiagnosisIs:
    """Any of the conditions (or a kind of one) has one of the statuses.

    With ``onset_within_days`` the diagnosis must also have begun within that many days
    (recent events: a myocardial infarction this year, not one 20 years ago); a matching
    diagnosis without an onset date is unknown.
    """

    conditions: tuple[Condition, ...]
    statuses: frozenset[str]
    onset_within_days: int | Param | None = None

    def evaluate(self, ctx: EvaluationContext) -> Verdict:
        """Reads the vocabulary's ``condition_status`` (kinds count); ``None`` is unknown."""
        if self.onset_within_days is not None:
            return self._recent(ctx)
        missing = []
        for cond in self.conditions:
            status = condition_status(ctx.record, cond)
            if status is None:
                missing.append(f"diagnoses.{cond.value}")
            elif status in self.statuses:
                return TRUE
        return unknown(*missing) if missing else FALSE

    def _recent(self, ctx: EvaluationContext) -> Verdict:
        assert self.onset_within_days is not None
        days = days_value(self.onset_within_days, ctx)
        earliest = ctx.today - timedelta(days=days)
        wanted = set().union(*(narrower(c) for c in self.conditions))
        missing: list[str] = []
        for d in ctx.record.diagnoses or []:
            if d.status not in self.statuses or not wanted & set(d.conditions()):
                continue
            if d.onset is None:
                missing.append(f"diagnoses.{'/'.join(c.value for c in d.conditions())}.onset")
            elif earliest <= d.onset <= ctx.today:
                return TRUE
        if missing:
            return unknown(*missing)
        # not on record as recent: the plain reading decides whether it is known to be absent
        plain = DiagnosisIs(self.conditions, self.statuses).evaluate(ctx)
        return FALSE if plain.value is not None else plain

    def params(self) -> frozenset[str]:
        """The onset window's parameter, when it is one."""
        return operand_params(self.onset_within_days)


# ---------------------------------------------------------------------------- fields

VITAL_FIELDS = ("systolic", "diastolic", "heart_rate", "qtc_ms", "spo2", "temperature_c")
#: Fields a rule may read, with the operand types a comparison on each may use.
FIELDS: Mapping[str, tuple[type, ...]] = {
    "demographics.age": (int, float),
    "demographics.sex": (str,),
    "demographics.weight_kg": (int, float),
    "demographics.pregnant": (bool,),
    "demographics.gestational_weeks": (int, float),
    "demographics.lactating": (bool,),
    "family_history.psychosis": (bool,),
    "family_history.bipolar": (bool,),
    "organ_function.egfr": (int, float),
    "organ_function.child_pugh": (str,),
    **{f"vitals.{v}": (int, float) for v in VITAL_FIELDS},
    "vitals.orthostatic_systolic_drop": (int, float),
}
VITALS_WINDOW = "vitals_max_age_days"
#: Family-history flags and the conditions whose first-degree pairs also answer them.
_FAMILY = {
    "psychosis": (Condition.psychotic_disorder, Condition.schizoaffective_disorder),
    "bipolar": (Condition.bipolar_i, Condition.bipolar_ii),
}
#: A standing reading within this many minutes of a lying or sitting one forms a pair.
ORTHOSTATIC_PAIR_MINUTES = 10


def orthostatic_drop(
    record: PatientRecord, earliest: date, today: date
) -> tuple[datetime, float] | None:
    """Latest systolic drop on standing (supine or sitting, then standing within minutes).

    Returns the standing reading's time with the drop (batch screening keeps the time to
    apply the vitals window over columns), or ``None`` when no pair is on record.
    """
    readings = sorted(
        (v for v in record.vitals or [] if v.systolic is not None and v.posture is not None),
        key=lambda v: v.taken_at,
    )
    best: tuple[datetime, float] | None = None
    for i, stand in enumerate(readings):
        if stand.posture != "standing" or not earliest <= stand.taken_at.date() <= today:
            continue
        for before in readings[:i]:
            gap = (stand.taken_at - before.taken_at).total_seconds() / 60
            if before.posture != "standing" and 0 <= gap <= ORTHOSTATIC_PAIR_MINUTES:
                assert before.systolic is not None and stand.systolic is not None
                if best is None or stand.taken_at > best[0]:
                    best = (stand.taken_at, before.systolic - stand.systolic)
    return best


@dataclass(frozen=True)
class FieldCompare:
    """A whitelisted record field compared with a value; ``None`` is unknown."""

    path: str
    comparison: Comparison
    needed_if: Node | None = None

    def _value(self, ctx: EvaluationContext) -> tuple[Any, str]:
        part, name = self.path.split(".")
        if part == "vitals":
            days = int(ctx.params[VITALS_WINDOW])
            earliest = ctx.today - timedelta(days=days)
            label = f"{self.path} (within {days} days)"
            if name == "orthostatic_systolic_drop":
                pair = orthostatic_drop(ctx.record, earliest, ctx.today)
                return (None if pair is None else pair[1]), label
            readings = [
                (v.taken_at, getattr(v, name))
                for v in ctx.record.vitals or []
                if getattr(v, name) is not None and earliest <= v.taken_at.date() <= ctx.today
            ]
            return (max(readings, key=lambda r: r[0])[1] if readings else None), label
        holder = getattr(ctx.record, part)
        if part == "family_history" and holder is not None and holder.first_degree(*_FAMILY[name]):
            return True, self.path
        return (None if holder is None else getattr(holder, name)), self.path

    def evaluate(self, ctx: EvaluationContext) -> Verdict:
        """Read the field; unknown when absent (or, for vitals, older than the window).

        With ``needed_if``, an absent field is asked for only when that condition may hold
        (an eGFR when kidney disease is on record): when it is known false, so is this.
        """
        value, label = self._value(ctx)
        if value is None:
            if self.needed_if is not None:
                need = self.needed_if.evaluate(ctx)
                if need.value is False:
                    return FALSE
                return Verdict(None, frozenset({label}) | need.missing)
            return unknown(label)
        return Verdict(self.comparison.test(value, ctx))

    def params(self) -> frozenset[str]:
        """The comparison's parameters, plus the vitals window for vitals fields."""
        own = operand_params(self.comparison.operand)
        if self.needed_if is not None:
            own |= self.needed_if.params()
        return own | {VITALS_WINDOW} if self.path.startswith("vitals.") else own


# ----------------------------------------------------------------------- medications


@dataclass(frozen=True)
class MedicationTaken:
    """A medication of the given drugs is taken now or was stopped within N days.

    Recorded names are mapped to drug ids through the vocabulary (salts, brands, RxNorm). A
    medication the vocabulary does not know makes an otherwise negative answer unknown: it
    might be one of the drugs.
    """

    drugs: frozenset[str]
    within_days: int | Param
    excluded: frozenset[str]

    def evaluate(self, ctx: EvaluationContext) -> Verdict:
        """Unknown when the medication list is unknown (``None``); ``[]`` means none."""
        meds = ctx.record.medications
        if meds is None:
            return unknown("medications")
        days = days_value(self.within_days, ctx)
        since = ctx.today - timedelta(days=days)
        ends: list[date] = []
        strangers: list[str] = []
        for med in meds:
            if not _active(med, ctx.today, since):
                continue
            drug = medication_drug(med)
            if drug is None:
                strangers.append(med.name)
                continue
            if drug in self.excluded or drug not in self.drugs:
                continue
            if med.stop is None or med.stop > ctx.today:
                return TRUE  # taking it now: not time-limited
            ends.append(med.stop + timedelta(days=days))
        if ends:
            return Verdict(True, until=max(ends))
        return unknown(*map(_unrecognised, strangers)) if strangers else FALSE

    def params(self) -> frozenset[str]:
        """The window parameter, when it is one."""
        return operand_params(self.within_days)


# ------------------------------------------------------------------------ instruments


@dataclass(frozen=True)
class InstrumentValue:
    """An item, the total, or a scored detail of an instrument's latest administration."""

    instrument: str
    selector: tuple[str, int | str]  # ("item", 9) | ("total", "") | ("detail", "risk_level")
    comparison: Comparison
    within_days: int | Param | None

    def _latest(self, ctx: EvaluationContext) -> tuple[Administration | None, str]:
        name = f"assessments.{self.instrument}"
        if self.within_days is None:
            return ctx.record.latest(self.instrument), name
        days = days_value(self.within_days, ctx)
        earliest = ctx.today - timedelta(days=days)
        found = [a for a in ctx.record.administrations(self.instrument) if a.date >= earliest]
        return (found[-1] if found else None), f"{name} (within {days} days)"

    def evaluate(self, ctx: EvaluationContext) -> Verdict:
        """Unknown when there is no administration in the window or the value is missing."""
        adm, name = self._latest(ctx)
        if adm is None:
            return unknown(name)
        kind, key = self.selector
        value: Any
        if kind == "item":
            assert isinstance(key, int)
            item = f"assessments.{self.instrument}.item{key}"
            if adm.responses is None or len(adm.responses) < key:
                return unknown(item)
            value = adm.responses[key - 1]
            if value is None:
                return unknown(item)
        else:
            try:
                result = ctx.score(adm)
            except ValueError as exc:
                return unknown(f"{name} (not scorable: {exc})")
            value = result.total if kind == "total" else result.details.get(str(key))
            if value is None:
                return unknown(f"{name}.{key or 'total'}")
        return Verdict(self.comparison.test(value, ctx))

    def params(self) -> frozenset[str]:
        """The comparison's and the window's parameters."""
        return operand_params(self.comparison.operand) | operand_params(self.within_days)


@dataclass(frozen=True)
class AssessedAfter:
    """An administration of ``instrument`` on or after the latest one of ``after``."""

    instrument: str
    after: str

    def evaluate(self, ctx: EvaluationContext) -> Verdict:
        """Unknown only when the assessment list itself is unknown."""
        if ctx.record.assessments is None:
            return unknown("assessments")
        mine = ctx.record.latest(self.instrument)
        if mine is None:
            return FALSE
        other = ctx.record.latest(self.after)
        return Verdict(other is None or mine.date >= other.date)

    def params(self) -> frozenset[str]:
        """No parameters."""
        return frozenset()


@dataclass(frozen=True)
class PriorTreatment:
    """A past course of any of the treatments is recorded."""

    treatments: frozenset[str]

    def evaluate(self, ctx: EvaluationContext) -> Verdict:
        """Unknown when prior treatments are unknown; ``[]`` means none."""
        prior = ctx.record.prior_treatments
        if prior is None:
            return unknown("prior_treatments")
        return Verdict(any(p.treatment in self.treatments for p in prior))

    def params(self) -> frozenset[str]:
        """No parameters."""
        return frozenset()


# -------------------------------------------------------------------------- genetics

#: Genes whose phenotype a strong inhibitor converts, with the inhibitor class.
PHENOCONVERTERS = {"CYP2D6": "strong_cyp2d6_inhibitor"}
#: Genotypic phenotypes that a strong inhibitor turns into a poor metaboliser.
CONVERTIBLE = frozenset({"normal", "intermediate"})


@dataclass(frozen=True)
class MetaboliserIs:
    """The patient's metaboliser phenotype for a gene is one of the phenotypes.

    For CYP2D6 the phenotype is the *effective* one: a genotypic normal or intermediate
    metaboliser who takes a strong CYP2D6 inhibitor now (bupropion, fluoxetine,
    paroxetine...) is treated as a poor metaboliser (phenoconversion), and the verdict says so.
    Pharmacogenomic rules act on a result when one is on record: no guideline asks for a
    genotype before these drugs are prescribed, so an untested gene is "not applicable"
    (false) unless ``untested_applies`` makes it unknown.
    """

    gene: str
    phenotypes: frozenset[str]
    phenoconversion: bool = True
    untested_applies: bool = False

    def evaluate(self, ctx: EvaluationContext) -> Verdict:
        """Unknown without the genotype (or, when it could convert, the medication list)."""
        genetics = ctx.record.genetics
        found = None if genetics is None or genetics.metabolizers is None else genetics.metabolizers
        genotype = None if found is None else found.get(self.gene)  # type: ignore[call-overload]
        if genotype is None:
            return unknown(f"genetics.metabolizers.{self.gene}") if self.untested_applies else FALSE
        cls = PHENOCONVERTERS.get(self.gene) if self.phenoconversion else None
        if cls is None or genotype not in CONVERTIBLE:
            return Verdict(genotype in self.phenotypes)
        as_is, converted = genotype in self.phenotypes, "poor" in self.phenotypes
        if as_is == converted:
            return Verdict(as_is)  # the inhibitors cannot change the answer
        inhibitor, strangers = self._inhibitor(ctx, cls)
        if inhibitor is not None:
            if not converted:
                return FALSE
            why = (
                f"{self.gene} treated as a poor metaboliser: genotype {genotype}, taking "
                f"{inhibitor}, a strong {self.gene} inhibitor (phenoconversion)"
            )
            return Verdict(True, because=(why,))
        if ctx.record.medications is None:
            return unknown("medications (strong CYP2D6 inhibitors: phenoconversion)")
        if strangers:
            return unknown(*map(_unrecognised, strangers))
        return Verdict(as_is)

    def _inhibitor(self, ctx: EvaluationContext, cls: str) -> tuple[str | None, list[str]]:
        members = drug_classes()[cls].members
        strangers: list[str] = []
        for med in ctx.record.medications or []:
            started = med.start is None or med.start <= ctx.today
            if not started or (med.stop is not None and med.stop <= ctx.today):
                continue  # only what is taken now converts the phenotype
            drug = medication_drug(med)
            if drug is None:
                strangers.append(med.name)
            elif drug in members:
                return med.name, strangers
        return None, strangers

    def params(self) -> frozenset[str]:
        """No parameters."""
        return frozenset()
