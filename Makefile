# Quick start: `make run` (whole stack with demo data) and `make test` (lint + types + tests).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install browser pdf imap-server run test lint format bench clean translations

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

# The customer's languages (docs/architecture.md, "Languages"): extract the messages of the
# customer's mails and status page, update every catalogue, compile them. The .po and the
# compiled .mo are both committed: a fresh clone runs without this step.
LOCALES := workflow/locale
translations: install
	$(BIN)/pybabel extract -F babel.cfg -k gettext_noop -k words --no-location --sort-output \
		--project=complaint-workflow -o $(LOCALES)/messages.pot .
	$(BIN)/pybabel update -i $(LOCALES)/messages.pot -d $(LOCALES) --no-fuzzy-matching \
		--ignore-obsolete
	$(BIN)/pybabel compile -d $(LOCALES) --statistics

run: install pdf
	$(BIN)/complaints run

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# Debian's Chromium for the browser tests (Playwright drives it; no browser download works here).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
		echo "installing Debian's chromium for the browser tests"; \
		sudo=$$([ "$$(id -u)" = 0 ] || echo sudo); \
		$$sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
		$$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; }

# WeasyPrint's system libraries (Pango) and fonts for every script the documents print:
# Noto for Latin, Greek, Cyrillic, Arabic, ...; Noto CJK so a Chinese customer's name renders;
# poppler's pdftotext for the tests (it reads the register's CJK font, pypdf does not).
PDF_PACKAGES := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-noto-core fonts-noto-cjk \
	poppler-utils
pdf:
	@dpkg -s $(PDF_PACKAGES) >/dev/null 2>&1 || { \
		echo "installing Debian's Pango and Noto fonts for the PDF documents"; \
		sudo=$$([ "$$(id -u)" = 0 ] || echo sudo); \
		$$sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
		$$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(PDF_PACKAGES); }

# Debian's Dovecot for the mail intake tests (a fixture runs it on a loopback port).
imap-server:
	@command -v dovecot >/dev/null 2>&1 || { \
		echo "installing Debian's dovecot-imapd for the mail intake tests"; \
		sudo=$$([ "$$(id -u)" = 0 ] || echo sudo); \
		$$sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
		$$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq dovecot-imapd; }

test: lint browser pdf imap-server
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# Benchmarks (not tests): quick by default; `make bench BENCH_ARGS=--full` for the issue's sizes.
bench: install
	$(BIN)/python -m bench $(BENCH_ARGS)

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache
