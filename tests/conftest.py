"""Shared fixtures: fixture pages, a real HTTP server on 127.0.0.1, and real `scrapy crawl` runs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from devtools.siteserver import Site, serve

ROOT = Path(__file__).resolve().parent.parent
PAGES = Path(__file__).resolve().parent / "pages"
SITES = Path(__file__).resolve().parent / "sites"
SCRAPY = str(Path(sys.executable).with_name("scrapy"))

# Local servers answer at once: the politeness defaults would only slow the tests down.
FAST = ["-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=False", "-s", "EXTRACT_WORKERS=1"]


@pytest.fixture
def page() -> Any:
    """Read a fixture page from tests/pages as bytes."""
    return lambda name: (PAGES / name).read_bytes()


@pytest.fixture(scope="module")
def news_site() -> Iterator[Site]:
    """tests/sites/news served on 127.0.0.1."""
    with serve(SITES / "news") as site:
        yield site


@dataclass
class CrawlResult:
    """What a `scrapy crawl` subprocess left behind."""

    returncode: int
    stdout: str
    stderr: str
    archive: Path

    def records(self) -> list[dict[str, Any]]:
        """Every record in the archive, in file order."""
        return [json.loads(line) for f in sorted(self.archive.glob("*/*.jsonl"))
                for line in f.read_text("utf-8").splitlines()]


def run_crawl(spider: str, args: list[str], archive: Path, timeout: float = 120) -> CrawlResult:
    """Run `scrapy crawl SPIDER ARGS` from the project folder, writing to `archive`."""
    command = [SCRAPY, "crawl", spider, *args, "-s", f"ARCHIVE_DIR={archive}", *FAST]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=timeout, env=env, check=False)
    return CrawlResult(done.returncode, done.stdout, done.stderr, archive)
