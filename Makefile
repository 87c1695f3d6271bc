# realiisr_lite: `make demo` (the main job) and `make test` (all checks) set everything up on a fresh machine.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# The install stamp is named after a hash of pyproject.toml's dependency declaration (.ci/deps_key.py; .ci/run keys
# its cached virtualenv on the same hash), not after the file's date: nbdev-export rewrites pyproject.toml, and a
# rewrite that leaves dependencies, extras, entry points and package layout alone re-installs nothing.
DEPS_KEY := $(shell $(PYTHON) .ci/deps_key.py pyproject.toml)
ifeq ($(DEPS_KEY),)
$(error cannot read the dependency declaration of pyproject.toml with $(PYTHON) (see .ci/deps_key.py))
endif
STAMP := $(VENV)/.installed-$(shell echo '$(DEPS_KEY) $(CURDIR)' | sha1sum | cut -c1-12)
NBDEV_WORKERS ?= 2
# Jupyter refuses to start as root without --allow-root; containers, cloud notebooks and CI run as root.
LAB_ARGS := --notebook-dir=nbs --ip=127.0.0.1$(if $(filter 0,$(shell id -u)), --allow-root)
export PATH := $(abspath $(BIN)):$(PATH)

.PHONY: venv test check-notebooks nbtest pytest lab demo quickstart docs export clean gpu

# Create the virtualenv, or update it when the dependency declaration changes (pip and venv only).
$(STAMP):
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
	$(BIN)/jupyter lab $(LAB_ARGS)

quickstart: venv
	$(BIN)/realiisr-lite quickstart --out out/quickstart

# The README's main command: the Gradio app on the bundled model at http://127.0.0.1:7860 (Ctrl-C to stop).
demo: venv
	$(BIN)/realiisr-lite demo --host 127.0.0.1 --port 7860

# The course as a static HTML site in _docs/: every notebook executed on the CPU path, index = the learning path.
docs: venv
	$(BIN)/python scripts/build_docs.py --out _docs --workers $(NBDEV_WORKERS)

# One GPU, under 9 minutes: train `small` (the perceptual recipe, bf16) on all the shared thermal data, evaluate it with
# LPIPS/DISTS on held-out TNO and raw16 beside its twins and the peers; weights (fp16), logs, JSON in $OUT (default
# out/gpu). Uses the venv's python if there is one, else $(PYTHON) (a GPU image with torch preinstalled).
# GPU_ARGS passes options to scripts/gpu_run.py, e.g. make gpu GPU_ARGS='--deadline 480'.
GPU_ARGS ?=
gpu:
	REALIISR_COMMIT=$${REALIISR_COMMIT:-$$(git rev-parse --short HEAD 2>/dev/null || echo unknown)} \
	  $(if $(wildcard $(BIN)/python),$(BIN)/python,$(PYTHON)) scripts/gpu_run.py all --out $${OUT:-out/gpu} $(GPU_ARGS)

export: venv
	nbdev-export && nbdev-clean

clean:
	rm -rf out .pytest_cache
