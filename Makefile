# news-archiver: every target creates .venv and installs the project first, so a fresh clone needs only python3 and make.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
SITES ?= sites.toml
ARCHIVE_DIR ?= data

.PHONY: demo test lint crawl bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

demo: $(STAMP)
	$(PY) demo/run.py

test: $(STAMP) lint
	$(PY) -m pytest -q

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy

crawl: $(STAMP)
	$(VENV)/bin/scrapy crawl news -a sites=$(SITES) -s ARCHIVE_DIR=$(ARCHIVE_DIR)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
