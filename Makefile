# realiisr_lite: `make demo` (the main job) and `make test` (all checks) set everything up on a fresh machine.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell (cat pyproject.toml; echo $(CURDIR)) | sha1sum | cut -c1-12)
NBDEV_WORKERS ?= 2
export PATH := $(abspath $(BIN)):$(PATH)

.PHONY: venv test check-notebooks nbtest pytest lab demo quickstart export clean

# Create or update the virtualenv whenever pyproject.toml changes (pip and venv only).
$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e ".[dev]"
	@rm -f $(VENV)/.installed-*
	@touch $@

venv: $(STAMP)

# Library in sync with the notebooks, notebooks clean.
check-notebooks: venv
	bash .ci/check_notebooks.sh

nbtest: venv
	OMP_NUM_THREADS=1 nbdev-test --n-workers $(NBDEV_WORKERS) --timing

pytest: venv
	$(BIN)/python -m pytest -q

# The README's test command.
test: check-notebooks nbtest pytest

lab: venv
	$(BIN)/jupyter lab --notebook-dir=nbs --ip=127.0.0.1

quickstart: venv
	$(BIN)/realiisr-lite quickstart --out out/quickstart

# The README's main command: the Gradio app on the bundled model at http://127.0.0.1:7860 (Ctrl-C to stop).
demo: venv
	$(BIN)/realiisr-lite demo --host 127.0.0.1 --port 7860

export: venv
	nbdev-export && nbdev-clean

clean:
	rm -rf out .pytest_cache
