# The project's vocabulary: install, demo, test, lint, bench, screenshots.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install demo test lint bench screenshots clean check-tools system-packages

check-tools:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' \
		|| { echo "Bedboard needs Python 3.11 or later (found: $$($(PYTHON) --version 2>&1))." >&2; exit 1; }
	@command -v java >/dev/null || { echo "Bedboard's broker needs Java 17 or later: install a JDK (e.g. apt-get install openjdk-17-jdk-headless)." >&2; exit 1; }
	@command -v mvn >/dev/null || { echo "Bedboard fetches the Kafka broker's jars with Maven: install it (e.g. apt-get install maven)." >&2; exit 1; }

# Headless Chromium and a Japanese font for the browser tests and screenshots (Debian's packages).
system-packages:
	@if [ ! -x /usr/bin/chromium ] || ! fc-list 2>/dev/null | grep -qi 'noto sans cjk\|ipagothic'; then \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk >/dev/null; \
		else \
			echo "Browser tests need Debian's chromium and fonts-noto-cjk: sudo apt-get install chromium fonts-noto-cjk" >&2; exit 1; \
		fi; \
	fi

$(STAMP): pyproject.toml | check-tools
	@[ -x $(BIN)/python ] || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)
	$(BIN)/bedboard broker fetch

demo: install
	$(BIN)/bedboard demo

test: install system-packages
	$(BIN)/pytest

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

bench: install
	$(BIN)/python -m bench

screenshots: install system-packages
	$(BIN)/python -m dashboard.screenshots --out docs/screenshots

clean:
	rm -rf $(VENV) .bedboard
