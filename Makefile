# The two commands a newcomer needs: `make demo` and `make test`. Both build .venv themselves, each
# installing only what it needs: `make demo` the product plus the demo extra (quick on a cold
# machine), `make test`/`make lint` the test toolchain on top (a headless browser, an S3 server, ...).
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
# One stamp per install: the demo's is also satisfied by the full one (`.[test,demo]` includes `.[demo]`).
DEMO_STAMP := $(VENV)/.installed-demo
TEST_STAMP := $(VENV)/.installed-test
# Parallel test workers: one per core is right for these I/O-bound suites.
PYTEST_WORKERS ?= auto

.PHONY: venv venv-demo test lint demo bench clean

venv: $(TEST_STAMP)
venv-demo: $(DEMO_STAMP)

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(DEMO_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[demo]'
	touch $(DEMO_STAMP)

$(TEST_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test,demo]'
	touch $(TEST_STAMP) $(DEMO_STAMP)

# mypy checks the packages listed under [tool.mypy] files in pyproject.toml.
lint: venv
	$(BIN)/ruff check .
	$(BIN)/mypy

# The suite, then the log audit over every log line the suite wrote (tests/fixtures/log_audit.py).
# The audit runs even when the suite failed, and `make test` fails if either did.
TEST_LOG_DIR ?= .test-logs
test: venv lint
	rm -rf $(TEST_LOG_DIR)
	status=0; \
	NAIBOT_TEST_LOG_DIR=$(TEST_LOG_DIR) $(BIN)/python -m pytest -q -n $(PYTEST_WORKERS) --dist loadgroup || status=$$?; \
	NAIBOT_TEST_LOG_DIR=$(TEST_LOG_DIR) $(BIN)/python -m pytest -q -p no:cacheprovider tests/audit || status=$$?; \
	exit $$status

demo: venv-demo
	$(BIN)/naibot demo

bench: venv
	$(BIN)/python bench/novelai_client.py
	$(BIN)/python bench/queue.py
	$(BIN)/python bench/redis_cost.py
	$(BIN)/python bench/scale.py
	$(BIN)/python bench/two_machines.py
	$(BIN)/python bench/telegram.py
	$(BIN)/python bench/discord.py
	$(BIN)/python bench/chat_scale.py
	$(BIN)/python bench/api.py
	$(BIN)/python bench/chat_pictures.py
	$(BIN)/python bench/tag_suggest.py
	@# Optional (about 4-5 minutes): the fault run of issue 12, only with `make bench FAULT_RUN=1`.
	@if [ -n "$(FAULT_RUN)" ]; then $(BIN)/python bench/fault_run.py; fi

clean:
	rm -rf $(VENV) .pytest_cache demo-output .test-logs
