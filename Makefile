# Quick start: `make run` opens the REPL on the bundled jurassic dump,
# `make test` runs the whole suite. Both create .venv when needed.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# The test suite also runs triage on a local Dask cluster: the optional extra;
# and the atheris fuzz harnesses where atheris installs (skipped elsewhere).
CLUSTER_STAMP := $(VENV)/.installed-cluster
FUZZRUNS ?= 200000

.PHONY: run test bench linearity docs clean golden fuzz install

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv --system-site-packages $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
	touch $(STAMP)

$(CLUSTER_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test,cluster]'
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --only-binary :all: 'atheris>=2.3' \
	  || echo "atheris does not install here: the atheris fuzz tests will be skipped"
	touch $(CLUSTER_STAMP)

PREFIX ?= $(HOME)/.local

run: $(STAMP)
	$(BIN)/kdb jurassic

# the kdb and kdb-gen commands of .venv, linked into $(PREFIX)/bin
install: $(STAMP)
	mkdir -p $(PREFIX)/bin
	ln -sf $(abspath $(BIN))/kdb $(PREFIX)/bin/kdb
	ln -sf $(abspath $(BIN))/kdb-gen $(PREFIX)/bin/kdb-gen
	@echo "installed kdb and kdb-gen in $(PREFIX)/bin"

test: $(CLUSTER_STAMP)
	$(BIN)/python -m pytest

golden: $(STAMP)
	$(BIN)/python tests/regen_golden.py

docs: $(STAMP)
	$(BIN)/python -m kdb.apps.docgen > docs/dcmds.md

bench: $(STAMP)
	$(BIN)/python benchmarks/run.py $(BENCHFLAGS)

# each step at 20,000 and 200,000 threads: is ten times the dump ten times the time?
linearity: $(STAMP)
	$(BIN)/python benchmarks/linearity.py

# longer coverage-guided fuzzing; crashes are written to ./crash-*
fuzz: $(CLUSTER_STAMP)
	mkdir -p build/fuzz-loader build/fuzz-commands
	cp tests/fuzz/corpus-loader/* build/fuzz-loader/
	cp tests/fuzz/corpus-commands/* build/fuzz-commands/
	$(BIN)/python tests/fuzz/atheris_loader.py -runs=$(FUZZRUNS) build/fuzz-loader
	$(BIN)/python tests/fuzz/atheris_commands.py -runs=$(FUZZRUNS) -max_len=120 build/fuzz-commands

clean:
	rm -rf $(VENV) build *.egg-info
