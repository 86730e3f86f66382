"""Past courses and stated preferences survive the columnar layout and its Arrow round trip."""

from __future__ import annotations

from datetime import date

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ptsdrx.batch._facts import (
    facts_from_records,
    from_arrow,
    needs,
    row_courses,
    row_preferences,
    to_arrow,
)
from ptsdrx.records import PatientRecord, Preferences, PriorTreatment
from ptsdrx.screening import load_rules
from ptsdrx.treatments import catalog

NEED = needs(load_rules())
TREATMENTS = [t.id for t in catalog()]


def _maybe(s: st.SearchStrategy) -> st.SearchStrategy:  # type: ignore[type-arg]
    return st.none() | s


days = st.dates(min_value=date(2000, 1, 1), max_value=date(2019, 12, 31))
courses = st.builds(
    lambda t, a, b, adequate, response, ae: PriorTreatment(
        treatment=t,
        start=None if a is None else min(a, b or a),
        stop=None if b is None else max(b, a or b),
        adequate=adequate,
        response=response,
        stopped_for_adverse_effects=ae,
    ),
    st.sampled_from(TREATMENTS),
    _maybe(days),
    _maybe(days),
    _maybe(st.booleans()),
    _maybe(st.sampled_from(["remission", "response", "partial", "none", "worsened"])),
    _maybe(st.booleans()),
)
preferences = st.builds(
    Preferences,
    refused_treatments=_maybe(st.lists(st.sampled_from(TREATMENTS), max_size=3)),
    preferred_treatments=_maybe(st.lists(st.sampled_from(TREATMENTS), max_size=2)),
    max_session_hours=_maybe(st.floats(min_value=0.25, max_value=24)),
    max_visits=_maybe(st.integers(min_value=1, max_value=500)),
    willing_psychotherapy=_maybe(st.booleans()),
    willing_psychedelic=_maybe(st.booleans()),
    max_travel_km=_maybe(st.floats(min_value=0, max_value=5000)),
    willing_to_travel_jurisdiction=_maybe(st.booleans()),
)
records = st.builds(
    PatientRecord,
    patient_id=st.just("p"),
    as_of=st.just(date(2020, 1, 1)),
    prior_treatments=_maybe(st.lists(courses, max_size=3)),
    preferences=_maybe(preferences),
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(records, min_size=1, max_size=6))
def test_courses_and_preferences_come_back_whole_with_and_without_arrow(
    recs: list[PatientRecord],
) -> None:
    facts = facts_from_records(recs, NEED)
    for f in (facts, from_arrow(to_arrow(facts), NEED)):
        assert row_courses(f) == [tuple(r.prior_treatments or ()) for r in recs]
        assert row_preferences(f) == [r.preferences for r in recs]


def test_rows_with_the_same_preferences_share_one_object() -> None:
    prefs = Preferences(refused_treatments=["cpt"], willing_psychedelic=False)
    recs = [PatientRecord(patient_id=str(i), preferences=prefs) for i in range(3)]
    got = row_preferences(facts_from_records([*recs, PatientRecord(patient_id="x")], NEED))
    assert got[0] == prefs and got[0] is got[1] is got[2] and got[3] is None
