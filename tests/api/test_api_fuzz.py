"""Schemathesis against the service's own OpenAPI document, authenticated as each role.

Each generated case is sent as one role, the roles taking turns, so every operation is
tried as each of them. Every case must get no 5xx and a response that matches its documented status,
content type, headers and schema (schemathesis' default checks). ``make test`` runs a
bounded run (>= 1,000 cases); ``make fuzz`` sets ``PTSDRX_FUZZ_EXAMPLES`` for >= 10,000.
The counts are written to ``PTSDRX_FUZZ_REPORT`` (JSON) when set.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from tests.api.conftest import DB_PARAMS, ROLES, Service, make_service, new_database

EXAMPLES = int(os.environ.get("PTSDRX_FUZZ_EXAMPLES", "30"))
MINIMUM = int(os.environ.get("PTSDRX_FUZZ_MINIMUM", "1000"))
COUNTS: Counter[str] = Counter()
# Schema-valid is not clinically valid (an unknown treatment id, a common password, items a
# scored instrument refuses): the service answers those with a documented 4xx problem, so
# "valid data must be accepted" does not apply. Every other default check runs.
EXCLUDED = [schemathesis.checks.positive_data_acceptance]


@pytest.fixture(scope="module", params=DB_PARAMS)
def fuzz_service(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path
) -> Iterator[Service]:
    tmp = tmp_path_factory.mktemp("fuzz")
    url, cleanup = new_database(request.param, tmp, sqlite_template)
    svc = make_service(url, tmp)
    svc.kind = request.param  # type: ignore[attr-defined]
    yield svc
    svc.engine.dispose()
    cleanup()


def _operations(svc: Service) -> list[Any]:
    schema = schemathesis.openapi.from_asgi("/openapi.json", svc.app)
    return [result.ok() for result in schema.get_all_operations()]


def _fuzz_operation(svc: Service, operation: Any, kind: str) -> None:
    @given(case=operation.as_strategy())
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
        phases=[Phase.explicit, Phase.generate, Phase.shrink],
    )
    def run(case: schemathesis.Case) -> None:
        n = COUNTS[f"{kind}:cases"]
        role = ROLES[n % len(ROLES)]  # the roles take turns: every operation meets each one
        token = svc.tokens[role]["access_token"]
        case.call_and_validate(
            headers={"Authorization": f"Bearer {token}"}, excluded_checks=EXCLUDED
        )
        COUNTS[f"{kind}:cases"] += 1
        COUNTS[f"{kind}:{role}"] += 1

    run()


def test_fuzz(fuzz_service: Service) -> None:
    """Every operation, EXAMPLES generated cases each, every role: no 5xx, no schema break."""
    kind: str = fuzz_service.kind  # type: ignore[attr-defined]
    operations = _operations(fuzz_service)
    assert len(operations) >= 30
    failures: list[str] = []
    for operation in operations:
        try:
            _fuzz_operation(fuzz_service, operation, kind)
        except (Exception, BaseExceptionGroup) as exc:  # report every failing operation
            failures.append(f"{operation.method.upper()} {operation.path}: {exc}"[:3000])
        COUNTS[f"{kind}:operations"] += 1
    assert not failures, "\n\n".join(failures)


def test_fuzz_counts() -> None:
    """The bounded run really generated its cases (and records how many)."""
    report = os.environ.get("PTSDRX_FUZZ_REPORT")
    if report:
        Path(report).write_text(json.dumps(dict(COUNTS), indent=2) + "\n")
    if not COUNTS:
        pytest.skip("run with the fuzz tests in the same process")
    for key, n in COUNTS.items():
        if key.endswith(":cases"):
            assert n >= MINIMUM, (key, n)
