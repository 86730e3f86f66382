"""The vocabulary: drug names as clinicians write them, drug classes, and coded conditions."""

from __future__ import annotations

import pytest

from ptsdrx._datafiles import DataFileError, load
from ptsdrx.records import Condition, Diagnosis, PatientRecord
from ptsdrx.vocabulary import (
    broader,
    condition_for_code,
    condition_status,
    conditions,
    drug_classes,
    drug_for_name,
    drug_for_rxnorm,
    drugs,
    narrower,
)
from ptsdrx.vocabulary._conditions import ConditionsFile
from ptsdrx.vocabulary._drugs import DrugsFile

# Medication names as they arrive from prescribers and EHR medication lists.
AS_WRITTEN = [
    ("Nardil", "phenelzine"),
    ("phenelzine sulfate", "phenelzine"),
    ("Phenelzine Sulphate 15mg tablets", "phenelzine"),
    ("NARDIL 15 MG", "phenelzine"),
    ("Lithobid", "lithium"),
    ("lithium carbonate", "lithium"),
    ("Lithium Carbonate ER 300 mg", "lithium"),
    ("Priadel 400mg MR", "lithium"),
    ("lithium citrate syrup", "lithium"),
    ("Zoloft", "sertraline"),
    ("sertraline HCl 50 mg", "sertraline"),
    ("Sertraline Hydrochloride", "sertraline"),
    ("Zoloft (sertraline)", "sertraline"),
    ("Paxil CR 25mg", "paroxetine"),
    ("Seroxat", "paroxetine"),
    ("paroxetine mesylate", "paroxetine"),
    ("Effexor XR 75 mg cap", "venlafaxine"),
    ("Efexor-XR", "venlafaxine"),
    ("venlafaxine hydrochloride ER", "venlafaxine"),
    ("Minipress 1 mg", "prazosin"),
    ("prazosin HCl", "prazosin"),
    ("Wellbutrin XL 150", "bupropion"),
    ("Zyban", "bupropion"),
    ("Prozac", "fluoxetine"),
    ("Parnate", "tranylcypromine"),
    ("Emsam patch", "selegiline"),
    ("Zyvox IV", "linezolid"),
    ("methylthioninium chloride", "methylene_blue"),
    ("Methylene Blue", "methylene_blue"),
    ("Seroquel XR", "quetiapine"),
    ("quetiapine fumarate", "quetiapine"),
    ("Depakote ER", "valproate"),
    ("divalproex sodium", "valproate"),
    ("sodium valproate", "valproate"),
    ("Mellaril", "thioridazine"),
    ("Nolvadex-D", "tamoxifen"),
    ("tamoxifen citrate 20mg", "tamoxifen"),
    ("Norvir", "ritonavir"),
    ("Paxlovid", "ritonavir"),
    ("Genvoya", "cobicistat"),
    ("Viagra", "sildenafil"),
    ("sildenafil citrate", "sildenafil"),
    ("Cialis 5mg daily", "tadalafil"),
    ("Ultram", "tramadol"),
    ("tramadol hydrochloride 50mg", "tramadol"),
    ("Methadose", "methadone"),
    ("Imitrex", "sumatriptan"),
    ("Ativan 1mg prn", "lorazepam"),
    ("Xanax XR", "alprazolam"),
    ("Adderall XR 20 mg", "amphetamine"),
    ("Vyvanse", "lisdexamfetamine"),
    ("Toprol-XL", "metoprolol"),
    ("metoprolol succinate ER", "metoprolol"),
    ("Zestril", "lisinopril"),
    ("amlodipine besylate 5mg", "amlodipine"),
    ("Synthroid", "levothyroxine"),
    ("levothyroxine sodium 100 mcg", "levothyroxine"),
    ("prenatal vitamins", "prenatal_vitamins"),
    ("St. John's Wort", "st_johns_wort"),
    ("Spravato 56 mg", "esketamine"),
    ("Ketalar", "ketamine"),
    ("Coumadin", "warfarin"),
    ("Advil", "ibuprofen"),
    ("paracetamol", "acetaminophen"),
    ("Tylenol", "acetaminophen"),
    ("albuterol inhaler", "salbutamol"),
    ("Suboxone film", "buprenorphine"),
    ("pethidine", "meperidine"),
    ("5-MeO-DMT", "five_meo_dmt"),
    ("ecstasy", "mdma"),
]


@pytest.mark.parametrize(("written", "drug"), AS_WRITTEN)
def test_medication_names_as_clinicians_write_them(written: str, drug: str) -> None:
    assert drug_for_name(written) == drug


@pytest.mark.parametrize("written", ["unobtainium", "", "mg", "sertralin", "lith"])
def test_unknown_names_stay_unknown(written: str) -> None:
    assert drug_for_name(written) is None


def test_rxnorm_codes_are_only_where_the_data_has_them() -> None:
    assert drug_for_rxnorm("36437") == "sertraline"
    assert drug_for_rxnorm(" 32937 ") == "paroxetine"
    assert drug_for_rxnorm("42347") == "bupropion"
    assert drug_for_rxnorm("999999999") is None
    assert drugs()["phenelzine"].rxnorm is None  # not in the retrieved CPIC table: not guessed


def test_classes_resolve_members_and_includes() -> None:
    classes = drug_classes()
    assert classes["ssri"].members == {
        "citalopram",
        "escitalopram",
        "fluoxetine",
        "fluvoxamine",
        "paroxetine",
        "sertraline",
    }
    assert {"phenelzine", "linezolid", "methylene_blue"} <= classes["maoi"].members
    assert {"tramadol", "sumatriptan", "lithium", "sertraline"} <= classes["serotonergic"].members
    assert "lamotrigine" not in classes["antimanic"].members  # not antimanic (ISBD 2013)
    assert {"lithium", "quetiapine", "valproate"} <= classes["antimanic"].members
    assert {"bupropion", "fluoxetine", "paroxetine"} <= classes["strong_cyp2d6_inhibitor"].members
    assert "nardil" in classes["maoi"].names  # brand names of members, normalised
    assert "maoi" in drugs()["phenelzine"].classes
    assert classes["maoi"].verification == "[V]"
    for cid, c in classes.items():
        assert c.members <= set(drugs()), cid
        assert c.source


def test_a_name_given_to_two_drugs_is_refused() -> None:
    text = (
        "source: s s\nverification: U\nrxnorm_source: r r\nrxnorm_verification: V2\n"
        "drugs:\n  a: {brands: [Same]}\n  b: {brands: [same]}\n"
    )
    with pytest.raises(DataFileError, match="'same' \\(a, b\\)"):
        load(DrugsFile, text=text)


@pytest.mark.parametrize(
    ("system", "code", "condition"),
    [
        ("icd10cm", "F43.10", "ptsd"),
        ("icd10cm", "f43.12", "ptsd"),
        ("icd10cm", "F31.81", "bipolar_ii"),
        ("icd10cm", "F31.2", "bipolar_i"),
        ("icd10cm", "F32.3", "mdd_with_psychotic_features"),
        ("icd10cm", "F33.1", "major_depressive_disorder"),
        ("icd10cm", "F25.0", "schizoaffective_disorder"),
        ("icd10cm", "F20.9", "psychotic_disorder"),
        ("icd10cm", "I21.4", "myocardial_infarction"),
        ("icd10cm", "I25.2", "myocardial_infarction"),
        ("icd10cm", "I25.10", "coronary_artery_disease"),
        ("icd10cm", "I63.9", "stroke"),
        ("icd10cm", "I61.9", "intracerebral_haemorrhage"),
        ("icd10cm", "I60.7", "subarachnoid_haemorrhage"),
        ("icd10cm", "I71.4", "aneurysmal_vascular_disease"),
        ("icd10cm", "H40.20", "glaucoma"),
        ("icd10cm", "R94.31", "qtc_prolongation"),
        ("icd10cm", "G40.909", "seizure_disorder"),
        ("icd10cm", "Z00.00", None),
        ("snomed", "47505003", "ptsd"),
        ("snomed", "371596008", "bipolar_i"),
        ("snomed", "22298006", "myocardial_infarction"),
        ("snomed", "68890003", "schizoaffective_disorder"),
        ("snomed", "1", None),
    ],
)
def test_condition_for_code(system: str, code: str, condition: str | None) -> None:
    assert condition_for_code(system, code) == condition


def test_unknown_code_system_is_refused() -> None:
    with pytest.raises(ValueError, match="allowed: icd10cm, snomed"):
        condition_for_code("read", "E2")


def test_every_condition_has_an_entry_and_the_hierarchy_is_sound() -> None:
    vocab = conditions()
    assert set(vocab) == set(Condition)
    assert broader(Condition.schizoaffective_disorder) == (Condition.psychotic_disorder,)
    assert Condition.schizoaffective_disorder in narrower(Condition.psychotic_disorder)
    assert narrower(Condition.dementia) == {Condition.dementia}


def test_condition_status_counts_narrower_kinds() -> None:
    def rec(*dx: tuple[str, str]) -> PatientRecord:
        return PatientRecord(
            diagnoses=[Diagnosis(condition=Condition(c), status=s) for c, s in dx]  # type: ignore[arg-type]
        )

    psychosis = Condition.psychotic_disorder
    assert condition_status(rec(("schizoaffective_disorder", "past")), psychosis) == "past"
    assert condition_status(rec(("psychotic_disorder", "absent")), psychosis) == "absent"
    assert condition_status(rec(("ptsd", "current")), psychosis) is None  # not assessed
    both = rec(("psychotic_disorder", "absent"), ("schizoaffective_disorder", "current"))
    assert condition_status(both, psychosis) == "current"  # the positive entry wins


def test_a_code_given_to_two_conditions_is_refused() -> None:
    entries = "\n".join(f"  {c.value}: {{name: {c.value}}}" for c in Condition)
    text = (
        "icd10cm_source: x x\nicd10cm_verification: U\nsnomed_source: y y\n"
        f"snomed_verification: U\nconditions:\n{entries}\n"
    ).replace("  ptsd: {name: ptsd}", "  ptsd: {name: ptsd, icd10cm: [F43.1]}")
    text = text.replace("{name: dementia}", "{name: dementia, icd10cm: [F43.1]}")
    with pytest.raises(DataFileError, match="icd10cm code\\(s\\) given to more than one"):
        load(ConditionsFile, text=text)
