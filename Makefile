# Two commands set everything up on a fresh machine: `make demo` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3.12 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint typecheck unit chromium bench clean vectors

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/musette demo

test: $(STAMP) lint typecheck chromium unit

# The browser tests (tests/test_browser.py) drive Debian's chromium. Install it when it is
# missing and we can (root, apt-get); otherwise those tests skip and say why.
chromium:
	@if [ -x /usr/bin/chromium ]; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		echo "installing chromium with apt-get (for the browser tests)"; \
		export DEBIAN_FRONTEND=noninteractive; \
		apt-get install -y -q --no-install-recommends chromium >/dev/null 2>&1 \
		|| { apt-get update -q >/dev/null && \
		     apt-get install -y -q --no-install-recommends chromium >/dev/null; } \
		|| echo "chromium could not be installed: the browser tests will skip"; \
	else \
		echo "no /usr/bin/chromium and no root apt-get: the browser tests will skip"; \
	fi

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

unit: $(STAMP)
	$(BIN)/python -m pytest -q

bench: $(STAMP)
	$(BIN)/python bench/verify.py
	$(BIN)/python bench/rdfc.py
	$(BIN)/python bench/didkit_baseline.py
	$(BIN)/python bench/statuslist.py
	$(BIN)/python bench/ledger.py
	$(BIN)/python bench/node_http.py
	$(BIN)/python bench/gossip.py
	$(BIN)/python bench/trust_attacks.py
	$(BIN)/python bench/trust_scale.py

vectors: $(STAMP)
	for generator in specs/vectors/*/generate.py; do $(BIN)/python $$generator || exit 1; done

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache
