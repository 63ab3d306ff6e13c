# churnsurv: two commands set everything up on a fresh machine.
#   make demo   create .venv, install churnsurv, run the main job on bundled data
#   make test   create .venv if needed, run ruff and every test (including the notebooks)
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test lint format venv clean bench browser java

venv: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 >/dev/null
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/churnsurv report --dataset telco --out report/

lint: $(STAMP)
	$(BIN)/ruff check churnsurv tests benchmarks conftest.py
	$(BIN)/ruff format --check churnsurv tests benchmarks conftest.py
	$(BIN)/mypy

format: $(STAMP)
	$(BIN)/ruff check --fix churnsurv tests benchmarks
	$(BIN)/ruff format churnsurv tests benchmarks

# The report's browser test uses headless Chromium from Debian's packages; install it when we
# can (root with apt), otherwise that one test is skipped.
browser:
	@command -v chromium >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null \
	  && (apt-get update -qq && apt-get install -y -qq --no-install-recommends chromium) >/dev/null 2>&1 \
	  || echo "chromium not installed: the browser test of the report will be skipped"; }

# The Spark test of churnsurv.events runs PySpark (a test dependency; it ships its own jars) in
# local mode and needs Java 17; without Java that one test is skipped.
java:
	@command -v java >/dev/null 2>&1 || echo "java not found: the Spark test of churnsurv.events will be skipped (install OpenJDK 17)"

# OPENBLAS_THREAD_TIMEOUT=4: OpenBLAS's idle threads sleep at once instead of polling for about
# 0.1 s after each call, taking the core the other test worker needs (466 s -> 440 s for the
# pytest run on 2 cores, one pair of runs); numbers do not change (see
# churnsurv.report.run.kernel_environment).
test: lint browser java
	OPENBLAS_THREAD_TIMEOUT=4 MPLBACKEND=Agg $(BIN)/python -m pytest -q -n 2 tests churnsurv
	OPENBLAS_THREAD_TIMEOUT=4 MPLBACKEND=Agg $(BIN)/python -m pytest -q --nbmake --nbmake-timeout=300 notebooks/

bench: $(STAMP)
	for script in benchmarks/bench_*.py; do $(BIN)/python $$script || exit 1; done

clean:
	rm -rf $(VENV) build dist *.egg-info report
