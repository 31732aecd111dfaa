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

# jq checks that archive lines stay whole for line-based tools; installed when we are root with apt (CI).
system-deps:
	@command -v jq >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 && \
	  apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq jq >/dev/null 2>&1; } || \
	  echo "note: jq is not installed, so the test that reads the archive with jq will be skipped"

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
