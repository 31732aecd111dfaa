"""Where the tests find the project, their fixtures and the installed commands."""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]  # the project folder: scrapy.cfg, scraper/, tests/
TESTS = ROOT / "tests"
PAGES = TESTS / "pages"  # single HTML pages for extraction tests
SITES = TESTS / "sites"  # whole fixture sites, served on 127.0.0.x

PYTHON = sys.executable
SCRAPY = str(Path(PYTHON).with_name("scrapy"))
NEWS_ARCHIVE = str(Path(PYTHON).with_name("news-archive"))
NEWS_EXTRACT = str(Path(PYTHON).with_name("news-extract"))


def subprocess_env() -> dict[str, str]:
    """Environment for child processes: this checkout importable (``archive``, ``tests``), output unbuffered."""
    path = os.pathsep.join(p for p in [str(ROOT), os.environ.get("PYTHONPATH", "")] if p)
    env = {k: v for k, v in os.environ.items() if k != "REDIS_URL"}  # a crawl joins a fleet only when a test says so
    return {**env, "PYTHONPATH": path, "PYTHONUNBUFFERED": "1"}
