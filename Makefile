# The two commands a newcomer needs: `make demo` and `make test`. Both build .venv themselves.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# Parallel test workers: one per core is right for these I/O-bound suites.
PYTEST_WORKERS ?= auto

.PHONY: venv test lint demo bench clean

venv: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,demo]'
	touch $(STAMP)

lint: venv
	$(BIN)/ruff check .

test: venv lint
	$(BIN)/python -m pytest -q -n $(PYTEST_WORKERS) --dist loadgroup

demo: venv
	$(BIN)/naibot demo

bench: venv
	$(BIN)/python bench/novelai_client.py
	$(BIN)/python bench/queue.py
	$(BIN)/python bench/telegram.py
	$(BIN)/python bench/discord.py

clean:
	rm -rf $(VENV) .pytest_cache demo-output
