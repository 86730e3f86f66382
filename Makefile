# ptsdrx developer commands. `make test` is what CI runs (see .ci/run).
PYTHON ?= python3
UV := $(PYTHON) -m uv
export UV_PYTHON_DOWNLOADS := never
export UV_PYTHON := $(shell $(PYTHON) -c 'import sys; print(sys.executable)')
RUN := $(UV) run --frozen --no-sync

.PHONY: test lint types pytest sync demo bench clean fuzz

# Bootstrap uv from PyPI with pip when missing, then install the locked environment.
sync:
	@$(UV) --version >/dev/null 2>&1 || $(PYTHON) -m pip install --quiet "uv>=0.5"
	$(UV) sync --frozen --group dev

lint: sync
	$(RUN) ruff check src tests benchmarks
	$(RUN) ruff format --check src tests benchmarks

types: sync
	$(RUN) mypy

pytest: sync
	$(RUN) pytest -n 2 --dist loadfile

test: lint types pytest

demo: sync
	$(RUN) ptsdrx demo

bench: sync
	$(UV) sync --frozen --group dev --group bench
	$(RUN) python benchmarks/run_all.py

# Schemathesis against the API: >= 10,000 generated cases per database (SQLite, and
# PostgreSQL when PTSDRX_TEST_DATABASE_URL is set); counts land in fuzz-report.json.
fuzz: sync
	PTSDRX_FUZZ_EXAMPLES=350 PTSDRX_FUZZ_MINIMUM=10000 PTSDRX_FUZZ_REPORT=fuzz-report.json \
		$(RUN) pytest -n 0 -p no:cacheprovider tests/api/test_api_fuzz.py

clean:
	rm -rf .venv .mypy_cache .pytest_cache .ruff_cache demo-output
