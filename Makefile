# Quick start: `make run` opens the REPL on the bundled jurassic dump,
# `make test` runs the whole suite. Both create .venv when needed.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# The test suite also runs triage on a local Dask cluster: the optional extra.
CLUSTER_STAMP := $(VENV)/.installed-cluster

.PHONY: run test bench docs clean golden

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv --system-site-packages $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
	touch $(STAMP)

$(CLUSTER_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test,cluster]'
	touch $(CLUSTER_STAMP)

run: $(STAMP)
	$(BIN)/kdb jurassic

test: $(CLUSTER_STAMP)
	$(BIN)/python -m pytest

golden: $(STAMP)
	$(BIN)/python tests/regen_golden.py

docs: $(STAMP)
	$(BIN)/python -m kdb.docgen > docs/dcmds.md

bench: $(STAMP)
	$(BIN)/python benchmarks/run.py $(BENCHFLAGS)

clean:
	rm -rf $(VENV) build *.egg-info
