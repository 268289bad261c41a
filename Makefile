# Set-up is automatic: the first target run creates .venv and installs the pinned requirements.
#   make ask Q="what did Abrams warn?"    answer a question from the default corpus (builds the index on first use)
#   make test                             run the test suite (what .ci/run runs)
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: ask test rebuild bot evaluate bench clean-index

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $(STAMP)

ask: $(STAMP)
	@test -n "$(Q)" || { echo 'usage: make ask Q="your question"' >&2; exit 2; }
	$(PY) -m bot.cli "$$Q"

test: $(STAMP)
	$(PY) -m pytest

rebuild: $(STAMP)
	$(PY) scripts/rebuild_index.py

bot: $(STAMP)
	$(PY) -m bot

evaluate: $(STAMP)
	$(PY) scripts/evaluate.py --suite

bench: $(STAMP)
	$(PY) scripts/bench.py

clean-index:
	rm -rf var/index
