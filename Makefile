# news-archiver: every target creates .venv and installs the project first, so a fresh clone needs only python3 and make.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
SITES ?= sites.toml
ARCHIVE_DIR ?= data
CORPUS_ROOT ?= ../shared/corpus

.PHONY: demo test lint crawl bench-extraction system-deps clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

demo: $(STAMP)
	$(PY) demo/run.py

test: $(STAMP) system-deps lint
	$(PY) -m pytest -q

# Test tools from Debian, installed when we are root with apt (as in CI): jq checks that archive lines stay whole for
# line-based tools; redis-server backs the fleet tests (tests/test_fleet.py starts its own on a free port); chromium
# runs tests/test_web_browser.py (news-archive serve in a real browser).
SYSTEM_DEPS := jq:jq redis-server:redis-server chromium:chromium
system-deps:
	@for dep in $(SYSTEM_DEPS); do cmd=$${dep%%:*}; pkg=$${dep#*:}; \
	  command -v $$cmd >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 && \
	    { apt-get install -y -qq $$pkg >/dev/null 2>&1 || { apt-get update -qq >/dev/null 2>&1 && \
	      apt-get install -y -qq $$pkg >/dev/null 2>&1; }; }; } || \
	  echo "note: $$cmd is not installed (Debian package $$pkg), so the tests that need it will be skipped"; \
	done

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

crawl: $(STAMP)
	$(VENV)/bin/scrapy crawl news -a sites=$(SITES) -s ARCHIVE_DIR=$(ARCHIVE_DIR)

# Extraction quality and speed on every dev corpus, by publisher half, beside the anchors (docs/benchmarks.md).
bench-extraction: $(STAMP)
	$(PY) bench/extraction.py --corpus-root $(CORPUS_ROOT) $(if $(REV),--rev $(REV))

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
