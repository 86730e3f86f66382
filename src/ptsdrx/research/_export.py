"""``export_research``: the registry as de-identified Parquet tables, audited.

Reads every (consenting) patient in one transaction, applies the Safe Harbor transforms of
:mod:`ptsdrx.research._safeharbor`, measures k-anonymity and l-diversity on the
quasi-identifiers (pycanon), optionally suppresses patients in classes smaller than ``k``,
and writes one Parquet file per table, the data dictionary and a report. The date-shift
key (per-patient offsets) goes to a separate file outside the export; the pseudonym secret
is never written. Files are written to a temporary directory and moved into place, so a
failed export leaves nothing half-written.
"""

from __future__ import annotations

import json
import math
import secrets
import shutil
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ptsdrx.records import PatientRecord
from ptsdrx.research._safeharbor import (
    DateMode,
    DateShifter,
    age_group,
    age_safe,
    pseudonym,
    zip3,
)
from ptsdrx.research._tables import TABLES, dictionary_rows

if TYPE_CHECKING:
    import pandas as pd

    from ptsdrx.registry import Registry

QUASI_IDENTIFIERS = ("age_group", "sex", "zip3", "index_trauma_year")
SENSITIVE = "index_trauma_type"
SHIFT_DAYS = 365
_LABS = frozenset({"crp", "cortisol", "il6", "bdnf", "tnf", "interleukin_6"})
_UNITS = frozenset(
    {"mg/L", "mg/dL", "ug/dL", "ng/mL", "pg/mL", "nmol/L", "umol/L", "mmol/L", "g/L", "%",
     "z", "mm3", "mL", "cm3", "[IU]/L", "U/L"}
)  # fmt: skip
_IMAGING = frozenset({"amygdala_reactivity", "hippocampal_volume"})


@dataclass(frozen=True)
class Anonymity:
    """k-anonymity and l-diversity of the exported quasi-identifiers."""

    quasi_identifiers: tuple[str, ...]
    sensitive: str
    k: int
    l_diversity: int
    classes: int
    smallest_classes: dict[int, int]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return {
            "quasi_identifiers": list(self.quasi_identifiers),
            "sensitive": self.sensitive,
            "k": self.k,
            "l_diversity": self.l_diversity,
            "classes": self.classes,
            "class_size_counts": {str(k): v for k, v in self.smallest_classes.items()},
        }


@dataclass(frozen=True)
class ResearchExport:
    """What an export wrote."""

    out_dir: Path
    patients: int
    suppressed: int
    rows: dict[str, int]
    before: Anonymity | None
    after: Anonymity | None
    date_mode: DateMode
    key_file: Path | None
    options: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (no secret, no offsets)."""
        return {
            "patients": self.patients,
            "suppressed": self.suppressed,
            "rows": self.rows,
            "anonymity_before_suppression": None if self.before is None else self.before.to_dict(),
            "anonymity": None if self.after is None else self.after.to_dict(),
            "dates": self.date_mode,
            "key_file_written": self.key_file is not None,
            "options": self.options,
        }

    def summary(self) -> str:
        """A few lines."""
        a = self.after
        kl = (
            ""
            if a is None
            else f"; k = {a.k}, l = {a.l_diversity} on {', '.join(a.quasi_identifiers)}"
        )
        rows = ", ".join(f"{t} {n}" for t, n in self.rows.items())
        return (
            f"{self.patients} patient(s) exported to {self.out_dir} ({self.suppressed} suppressed)"
            f"{kl}\n  rows: {rows}"
        )


def _num(x: float) -> float | None:
    return None if x is None or (isinstance(x, float) and math.isnan(x)) else float(x)


class _Rows:
    """Row lists per table, each row checked against the declared columns."""

    def __init__(self) -> None:
        self.tables: dict[str, list[dict[str, Any]]] = {t: [] for t in TABLES}
        self.outcome_owner: list[str] = []  # outcomes rows carry no pseudonym; whose they are

    def add(self, table: str, **row: Any) -> None:
        declared = {c.name for c in TABLES[table]}
        extra = set(row) - declared
        if extra:
            raise RuntimeError(f"research table {table}: undeclared column(s) {sorted(extra)}")
        self.tables[table].append(row)


def _drug(name: str) -> str:
    from ptsdrx.vocabulary import drug_for_name

    return drug_for_name(name) or "(unlisted)"


def _treatment(tid: str) -> str:
    from ptsdrx.treatments import TREATMENT_IDS

    return tid if tid in TREATMENT_IDS else "(other)"


def _patient_rows(
    rows: _Rows, who: str, rec: PatientRecord, age: int | None, zip_: str | None, dates: DateShifter
) -> None:
    d = rec.demographics
    rows.add(
        "patients",
        pseudonym=who,
        age=age,
        age_group=age_group(age),
        sex=None if d is None else d.sex,
        jurisdiction=None if d is None else d.jurisdiction,
        zip3=zip_,
        weight_kg=None if d is None else d.weight_kg,
        pregnant=None if d is None else d.pregnant,
        lactating=None if d is None else d.lactating,
        language=None if d is None else getattr(d, "language", None),
        record_date=dates.day(who, rec.as_of),
        diagnoses_complete=rec.diagnoses_complete,
    )
    t = rec.trauma
    if t is not None:
        year = None
        if t.years_since_trauma is not None and rec.as_of is not None:
            year = int(rec.as_of.year - round(t.years_since_trauma))
        rows.add(
            "trauma",
            pseudonym=who,
            index_trauma_type=None if t.index_trauma_type is None else t.index_trauma_type.value,
            index_trauma_year=year,
            years_since_trauma=t.years_since_trauma,
            childhood_trauma=t.childhood_trauma,
            military=t.military,
            first_responder=t.first_responder,
            multiple_traumas=t.multiple_traumas,
        )
    for a in rec.assessments or ():
        rows.add(
            "assessments",
            pseudonym=who,
            instrument=a.instrument,
            date=dates.day(who, a.date),
            total=_score(a),
            responses=None if a.responses is None else list(a.responses),
        )
    for dx in rec.diagnoses or ():
        rows.add(
            "diagnoses",
            pseudonym=who,
            condition=None if dx.condition is None else dx.condition.value,
            status=dx.status,
            icd10=dx.icd10,
            onset=dates.day(who, dx.onset),
        )
    for m in rec.medications or ():
        rows.add(
            "medications",
            pseudonym=who,
            drug=_drug(m.name),
            dose_mg=m.dose_mg,
            route=m.route,
            start=dates.day(who, m.start),
            stop=dates.day(who, m.stop),
        )
    for v in rec.vitals or ():
        rows.add(
            "vitals",
            pseudonym=who,
            taken=dates.instant(who, v.taken_at),
            systolic=v.systolic,
            diastolic=v.diastolic,
            heart_rate=v.heart_rate,
            spo2=v.spo2,
            temperature_c=v.temperature_c,
            qtc_ms=v.qtc_ms,
        )
    for b in rec.biomarkers or ():
        rows.add(
            "biomarkers",
            pseudonym=who,
            name=b.name.lower() if b.name.lower() in _LABS else "(other)",
            value=b.value,
            unit=b.unit if b.unit in _UNITS else "(other)",
            loinc=b.loinc,
            collected=dates.day(who, b.collected),
        )
    g = rec.genetics
    for rsid, call in ((g.genotypes or {}) if g else {}).items():
        rows.add("genetics", pseudonym=who, kind="genotype", locus=rsid, value=call)
    for gene, phenotype in ((g.metabolizers or {}) if g else {}).items():
        rows.add("genetics", pseudonym=who, kind="metabolizer", locus=gene, value=phenotype)
    for im in rec.imaging or ():
        rows.add(
            "imaging",
            pseudonym=who,
            measure=im.measure if im.measure in _IMAGING else "(other)",
            value=im.value,
            unit=im.unit if im.unit in _UNITS else "(other)",
            acquired=dates.day(who, im.acquired),
        )
    for p in rec.prior_treatments or ():
        rows.add(
            "prior_treatments",
            pseudonym=who,
            treatment=_treatment(p.treatment),
            start=dates.day(who, p.start),
            stop=dates.day(who, p.stop),
            adequate=p.adequate,
            response=p.response,
            stopped_for_adverse_effects=p.stopped_for_adverse_effects,
        )
    f = rec.family_history
    if f is not None:
        rows.add("family_history", pseudonym=who, psychosis=f.psychosis, bipolar=f.bipolar)


def _score(a: Any) -> float | None:
    from ptsdrx.instruments import InstrumentError, score_administration

    try:
        return score_administration(a).total
    except InstrumentError:
        total: float | None = a.total
        return total


def _outcome(rec: PatientRecord, start: date) -> tuple[float, float] | None:
    """PCL-5 total nearest week 12 after ``start`` (weeks 8-16), and its week."""
    best: tuple[float, float, float] | None = None
    for a in rec.administrations("pcl5"):
        weeks = (a.date - start).days / 7
        total = _score(a)
        if 8 <= weeks <= 16 and total is not None:
            cand = (abs(weeks - 12), float(total), weeks)
            best = cand if best is None or cand < best else best
    return None if best is None else (best[1], round(best[2], 2))


def _training_row(rec: PatientRecord, age: int | None, start: date) -> dict[str, Any]:
    """Cohort-frame columns (what ``ptsdrx train`` reads) from the record as of ``start``."""
    from ptsdrx.features import from_records

    base = rec.model_copy(
        update={
            "assessments": [a for a in rec.assessments or () if a.date <= start],
            "as_of": None,
            "demographics": None
            if rec.demographics is None
            else rec.demographics.model_copy(update={"age": age}),
        }
    )
    x = from_records([base]).iloc[0]
    g = rec.genetics
    cyp = None if g is None or g.metabolizers is None else g.metabolizers.get("CYP2D6")
    t = rec.trauma
    d = rec.demographics
    return {
        "age": _num(x["age"]),
        "sex": None if d is None else d.sex,
        "weight_kg": _num(x["weight_kg"]),
        "military": _num(x["military"]),
        "childhood_trauma": _num(x["childhood_trauma"]),
        "years_since_trauma": _num(x["years_since_trauma"]),
        "trauma_type": None
        if t is None or t.index_trauma_type is None
        else t.index_trauma_type.value,
        "pcl5_w0": _num(x["pcl5_baseline"]),
        "caps5_w0": _num(x["caps5_baseline"]),
        "phq9_w0": _num(x["phq9_baseline"]),
        "mdd": _num(x["mdd_current"]),
        "substance_use_history": _num(x["substance_use_disorder"]),
        "dissociative_subtype": _num(x["dissociative_subtype"]),
        "bipolar_i": _num(x["bipolar_i"]),
        "psychotic_disorder": _num(x["psychotic_disorder"]),
        "hypertension": _num(x["hypertension"]),
        "prior_ssri_trials": _num(x["prior_ssri_trials"]),
        "sbp": _num(x["systolic_bp"]),
        "dbp": _num(x["diastolic_bp"]),
        "heart_rate": _num(x["heart_rate"]),
        "crp_mg_l": _num(x["crp_mg_l"]),
        "bdnf_rs6265_met": _num(x["bdnf_val66met_t_alleles"]),
        "cyp2d6": cyp,
        "amygdala_reactivity": _num(x["amygdala_reactivity"]),
        "hippocampal_volume_mm3": _num(x["hippocampal_volume_mm3"]),
    }


def _age(rec: PatientRecord, born: date | None) -> int | None:
    d = rec.demographics
    if d is not None and d.age is not None:
        return age_safe(d.age)
    if born is not None and rec.as_of is not None:
        on = rec.as_of
        return age_safe(on.year - born.year - ((on.month, on.day) < (born.month, born.day)))
    return None


def anonymity(
    frame: pd.DataFrame,
    quasi: Sequence[str] = QUASI_IDENTIFIERS,
    sensitive: str = SENSITIVE,
) -> Anonymity | None:
    """k-anonymity and l-diversity (pycanon) of ``frame``; unknowns are one category."""
    from pycanon import anonymity as canon

    if frame.empty:
        return None
    df = frame[[*quasi, sensitive]].astype(object).where(frame[[*quasi, sensitive]].notna(), "?")
    df = df.astype(str).reset_index(drop=True)  # pycanon indexes rows by position
    sizes = df.groupby(list(quasi)).size()
    counts = sizes.value_counts().sort_index()
    return Anonymity(
        quasi_identifiers=tuple(quasi),
        sensitive=sensitive,
        k=int(canon.k_anonymity(df, list(quasi))),
        l_diversity=int(canon.l_diversity(df, list(quasi), [sensitive])),
        classes=len(sizes),
        smallest_classes={int(str(n)): int(v) for n, v in list(counts.items())[:5]},
    )


def export_research(
    registry: Registry,
    out_dir: Path,
    *,
    secret: bytes,
    dates: DateMode = "year",
    key_file: Path | None = None,
    k: int | None = None,
    require_consent: bool = True,
    overwrite: bool = False,
    random: secrets.SystemRandom | None = None,
) -> ResearchExport:
    """Write the de-identified research export of ``registry`` into ``out_dir``."""
    import pandas as pd
    from sqlalchemy import select

    from ptsdrx.registry._convert import load_record
    from ptsdrx.registry._models import (
        ConsentRow,
        DosingSessionRow,
        Patient,
        PatientIdentifiers,
        TreatmentEpisodeRow,
    )

    if dates not in ("year", "shift"):
        raise ValueError(f"dates must be 'year' or 'shift', got {dates!r}")
    if dates == "shift" and key_file is None:
        raise ValueError("--dates shift needs --key-file (the offsets are kept apart)")
    out_dir = out_dir.resolve()
    if key_file is not None and out_dir in key_file.resolve().parents:
        raise ValueError("the key file must be outside the export directory")
    if out_dir.exists() and any(out_dir.iterdir()) and not overwrite:
        raise ValueError(f"{out_dir} is not empty; pass overwrite to replace it")
    rng = random or secrets.SystemRandom()
    rows = _Rows()
    offsets: dict[str, int] = {}
    with registry.transaction() as session:
        stmt = select(Patient).order_by(Patient.created_at, Patient.patient_id)
        if require_consent:
            stmt = stmt.join(ConsentRow, ConsentRow.patient_id == Patient.patient_id).where(
                ConsentRow.research_use.is_(True)
            )
        patients = list(session.scalars(stmt))
        ids = [p.patient_id for p in patients]
        idents = (
            {
                r.patient_id: r
                for r in session.scalars(
                    select(PatientIdentifiers).where(PatientIdentifiers.patient_id.in_(ids))
                )
            }
            if ids
            else {}
        )
        episodes: dict[str, list[Any]] = {}
        for e in session.scalars(
            select(TreatmentEpisodeRow).order_by(
                TreatmentEpisodeRow.started_on, TreatmentEpisodeRow.id
            )
        ):
            episodes.setdefault(e.patient_id, []).append(e)
        sessions: dict[str, list[Any]] = {}
        for s in session.scalars(
            select(DosingSessionRow).order_by(DosingSessionRow.start, DosingSessionRow.id)
        ):
            sessions.setdefault(s.patient_id, []).append(s)
        pseudo = {pid: pseudonym(secret, pid) for pid in ids}
        for pid in ids:
            offsets[pseudo[pid]] = rng.randint(-SHIFT_DAYS, SHIFT_DAYS)
        shifter = DateShifter(dates, offsets)
        for patient in patients:
            pid = patient.patient_id
            who = pseudo[pid]
            rec = load_record(session, patient)
            ident = idents.get(pid)
            age = _age(rec, None if ident is None else ident.date_of_birth)
            z = zip3(None if ident is None else ident.postal_code)
            _patient_rows(rows, who, rec, age, z, shifter)
            for n, e in enumerate(episodes.get(pid, ()), start=1):
                rows.add(
                    "episodes",
                    pseudonym=who,
                    episode=n,
                    treatment=_treatment(e.treatment),
                    start=shifter.day(who, e.started_on),
                    end=shifter.day(who, e.ended_on),
                    status=e.status,
                )
                found = _outcome(rec, e.started_on)
                if found is not None:
                    rows.outcome_owner.append(who)
                    rows.add(
                        "outcomes",
                        arm=_treatment(e.treatment),
                        pcl5_w12=found[0],
                        weeks_to_outcome=found[1],
                        **_training_row(rec, age, e.started_on),
                    )
            for n, s in enumerate(sessions.get(pid, ()), start=1):
                hours = (
                    None if s.end is None else round((s.end - s.start).total_seconds() / 3600, 2)
                )
                rows.add(
                    "sessions",
                    pseudonym=who,
                    session=n,
                    treatment=_treatment(s.treatment),
                    phase=s.phase,
                    status=s.status,
                    start=shifter.day(who, s.start.date()),
                    hours=hours,
                )
        frames = {
            t: pd.DataFrame(r, columns=[c.name for c in TABLES[t]]) for t, r in rows.tables.items()
        }
        qi = frames["patients"].merge(
            frames["trauma"][["pseudonym", "index_trauma_year", "index_trauma_type"]],
            on="pseudonym",
            how="left",
        )
        before = anonymity(qi)
        suppressed: set[str] = set()
        if k is not None and not qi.empty:
            keys = (
                qi[list(QUASI_IDENTIFIERS)]
                .astype(object)
                .where(qi[list(QUASI_IDENTIFIERS)].notna(), "?")
                .astype(str)
            )
            size = keys.groupby(list(QUASI_IDENTIFIERS))[QUASI_IDENTIFIERS[0]].transform("size")
            suppressed = set(qi.loc[size < k, "pseudonym"])
        kept_ids = [pid for pid in ids if pseudo[pid] not in suppressed]
        if suppressed:
            for t, frame in frames.items():
                if "pseudonym" in frame.columns:
                    frames[t] = frame[~frame["pseudonym"].isin(suppressed)].reset_index(drop=True)
            qi = qi[~qi["pseudonym"].isin(suppressed)]
        after = anonymity(qi) if suppressed else before
        registry.audit(
            session,
            "export",
            "research",
            *kept_ids,
            format="parquet",
            dates=dates,
            suppressed=len(suppressed),
        )
        if suppressed:
            frames["outcomes"] = _outcomes_without(rows, suppressed)
        result = _write(
            out_dir,
            frames,
            dates,
            before,
            after,
            len(kept_ids),
            len(suppressed),
            k,
            require_consent,
            overwrite,
        )
    if key_file is not None and dates == "shift":
        key_file.parent.mkdir(parents=True, exist_ok=True)
        kept = {p: o for p, o in offsets.items() if p not in suppressed}
        tmp = key_file.with_name(key_file.name + ".partial")
        tmp.write_text(json.dumps({"offset_days": kept}, indent=1), encoding="utf-8")
        tmp.replace(key_file)
    return ResearchExport(**{**result.__dict__, "key_file": key_file if dates == "shift" else None})


def _outcomes_without(rows: _Rows, suppressed: set[str]) -> Any:
    import pandas as pd

    pairs = zip(rows.tables["outcomes"], rows.outcome_owner, strict=True)
    kept = [r for r, who in pairs if who not in suppressed]
    return pd.DataFrame(kept, columns=[c.name for c in TABLES["outcomes"]])


def _write(
    out_dir: Path,
    frames: dict[str, Any],
    dates: DateMode,
    before: Anonymity | None,
    after: Anonymity | None,
    patients: int,
    suppressed: int,
    k: int | None,
    require_consent: bool,
    overwrite: bool,
) -> ResearchExport:
    import pandas as pd

    tmp = out_dir.with_name(out_dir.name + ".partial")
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir(parents=True)
    for t, frame in frames.items():
        frame.to_parquet(tmp / f"{t}.parquet", index=False)
    pd.DataFrame(dictionary_rows()).to_csv(tmp / "data_dictionary.csv", index=False)
    result = ResearchExport(
        out_dir=out_dir,
        patients=patients,
        suppressed=suppressed,
        rows={t: len(f) for t, f in frames.items()},
        before=before,
        after=after,
        date_mode=dates,
        key_file=None,
        options={"k": k, "require_consent": require_consent, "free_text": "dropped"},
    )
    (tmp / "report.json").write_text(json.dumps(result.to_dict(), indent=2), encoding="utf-8")
    if out_dir.exists():
        shutil.rmtree(out_dir)
    tmp.replace(out_dir)
    return result
