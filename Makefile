# The interface to the project: `make demo` and `make test` set themselves up.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
INSTALLED := $(VENV)/.installed

.PHONY: setup demo test test-fast lint bench clean calibrate airflow airflow-stop browsers

setup: $(INSTALLED)

$(INSTALLED): pyproject.toml constraints.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -c constraints.txt -e '.[test]'
	touch $(INSTALLED)

demo: $(INSTALLED)
	$(VENV)/bin/netpulse demo

test: $(INSTALLED) browsers
	$(PY) -m pytest -q

# The edit loop: the unit tier and a few smoke tests across the seams (tests/conftest.py, TIERS and
# SMOKE), Hypothesis trying fewer examples; no system package needed. `make test` stays the full suite.
test-fast: $(INSTALLED)
	$(PY) -m pytest -q -m "unit or smoke" --hypothesis-profile=fast

# Static checks: ruff (pyproject.toml), sqlfluff with the DuckDB dialect over every SQL file (.sqlfluff),
# mypy on src/ (pyproject.toml, [tool.mypy]) and the layering check; docs/decisions.md says why these.
# `make test` runs the same through tests/test_lint.py and tests/test_layers.py.
SQL := transforms warehouse
lint: $(INSTALLED)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/sqlfluff lint $(SQL)
	$(PY) -m mypy
	$(PY) -m pytest -q tests/test_layers.py

# Each network's stage over time under every stage-rules version (docs/methodology.md, "Calibration"),
# e.g. `make calibrate ARGS="--landing var/demo/landing --rules my/stage-rules-4.yaml"`.
calibrate: $(INSTALLED)
	$(VENV)/bin/netpulse calibrate $(ARGS)
# Headless Chromium and poppler (pdftotext, pdftoppm) for the funder pack's tests, which look at
# the HTML and PDF as a person would. Installed when missing and root with apt; never fails the
# build (without them those tests skip, saying why).
browsers:
	@if command -v chromium >/dev/null && command -v pdftoppm >/dev/null; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium poppler-utils \
			>/dev/null) || echo "make browsers: could not install chromium/poppler-utils; their tests will skip"; \
	else echo "make browsers: chromium/poppler-utils missing and not root with apt-get; their tests will skip"; fi

clean:
	rm -rf var warehouse/*.duckdb warehouse/*.duckdb.wal warehouse/*.duckdb.tmp

# Figures, not assertions. SHAPES are the landing zones bench_pipeline.py times `netpulse run` on
# (1M, 10M, small = 20 networks and 50,000 events, or a number of events such as 300k), e.g.
# `make bench SHAPES=1M`; MEMBERS and YEARS size the one large network whose indicator-layer build
# bench_indicators.py times; bench_archives.py reports peak memory on honest and hostile archives.
SHAPES ?= 1M 10M
MEMBERS ?= 5000
YEARS ?= 5
bench: $(INSTALLED)
	$(PY) bench/bench_pipeline.py --shapes $(SHAPES)
	$(PY) bench/bench_indicators.py --members $(MEMBERS) --years $(YEARS)
	$(PY) bench/bench_archives.py

# A local Airflow 3 (standalone, loopback only) running this checkout's DAGs with the NETPULSE_*
# settings of your shell; NETPULSE_HASH_KEY_FILE (or NETPULSE_HASH_KEY) must be set. `make airflow-stop` stops what it started.
AIRFLOW_LOCAL_HOME ?= var/airflow-local
AIRFLOW_PORT ?= 8780
airflow: $(INSTALLED)
	$(PY) -m netpulse.orchestration.local_airflow start --home $(AIRFLOW_LOCAL_HOME) --port $(AIRFLOW_PORT)

airflow-stop:
	$(PY) -m netpulse.orchestration.local_airflow stop --home $(AIRFLOW_LOCAL_HOME)
