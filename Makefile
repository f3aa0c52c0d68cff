# Two commands on a fresh machine:  `make run`  and  `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export HF_HUB_DISABLE_PROGRESS_BARS := 1
export ANONYMIZED_TELEMETRY := False
export TOKENIZERS_PARALLELISM := false

.PHONY: run test install lint bench eval clean

$(STAMP): requirements.txt requirements-dev.txt constraints.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.txt -r requirements-dev.txt -c constraints.txt
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	touch $(STAMP)

## make install: the virtualenv, then the embedding model exported to ONNX once (a no-op when the export in
## the venv, or ONNX_MODEL_DIR, matches its recorded hashes; it is what keeps torch out of every answer)
install: $(STAMP)
	$(BIN)/gpbot embedder export

## make run: install, bring the index up to date with knowledge/, then the Slack bot or the local console
run: install
	$(BIN)/gpbot run

## make test: the whole offline test suite
test: install
	$(BIN)/python -m pytest -q -p no:cacheprovider

lint: $(STAMP)
	$(BIN)/hadolint --failure-threshold warning Dockerfile

eval: $(STAMP)
	$(BIN)/gpbot eval $(or $(FILE),eval/staff-questions.jsonl)

bench: $(STAMP)
	$(BIN)/python bench/ingest.py
	$(BIN)/python bench/answer.py
	$(BIN)/python bench/startup.py

clean:
	rm -rf $(VENV) data
