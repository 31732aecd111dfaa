"""The one way tests run `scrapy crawl`: a subprocess from the project folder against 127.0.0.x servers.

`run_crawl` waits for the crawl and returns a `Crawl` (exit status, log, the final stats read from the JSON file
STATS_FILE writes, the archive, the peak memory of the crawl's process tree). `start_crawl` starts one in the
background for tests that signal it or watch it work.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import pytest

from archive.verify import verify
from tests.support.paths import ROOT, SCRAPY, subprocess_env

# Local servers answer at once: the politeness defaults would only slow the tests down.
FAST = ["-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=False", "-s", "EXTRACT_WORKERS=1"]
MEMORY_LIMIT_MIB = 600  # what a crawl's process tree may hold, whatever it is fed


class Served(Protocol):
    """A fixture server (devtools.siteserver.Site, devtools.faultserver.FaultSite): its base URL."""

    url: str


@dataclass
class Crawl:
    """A finished crawl: exit status, log, final stats (STATS_FILE), archive, peak RSS of its process tree."""

    returncode: int
    stderr: str
    stats: dict[str, Any]
    archive: Path
    peak_mib: float

    def stat(self, key: str) -> int:
        """A counter of the run's final stats; 0 when the run never counted it."""
        return int(self.stats.get(key, 0))

    def counters(self, prefix: str) -> dict[str, int]:
        """`pages/failed/` -> {reason: count}."""
        return {k.removeprefix(prefix): int(v) for k, v in self.stats.items() if k.startswith(prefix)}

    def records(self) -> list[dict[str, Any]]:
        """Every archived record, in file order."""
        return [
            json.loads(line)
            for f in sorted(self.archive.glob("*/*.jsonl"))
            for line in f.read_bytes().split(b"\n")
            if line
        ]

    def paths(self, site: Served) -> list[str]:
        """The URL paths of the records of `site`, sorted, one per record (a URL archived twice shows twice)."""
        base = site.url.rstrip("/")
        return sorted(str(r["url"]).removeprefix(base) for r in self.records() if str(r["url"]).startswith(base))

    def by_path(self, site: Served) -> dict[str, dict[str, Any]]:
        """Records of `site`, keyed by URL path."""
        base = site.url.rstrip("/")
        return {str(r["url"]).removeprefix(base): r for r in self.records() if str(r["url"]).startswith(base)}

    def lines_about(self, url: str) -> list[str]:
        """Log lines above DEBUG that name `url` (exactly: not as a prefix of a longer URL). DOWNLOAD_WARNSIZE's
        warning is left out: it is the documented early signal of a large response, whatever becomes of it."""
        pattern = re.compile(rf"{re.escape(url)}(?=$|[\s>)\],:'\"])")
        return [
            line
            for line in self.stderr.splitlines()
            if " DEBUG: " not in line and pattern.search(line) and "download warn size" not in line
        ]


def crawl_command(spider: str, args: list[str], archive: Path) -> list[str]:
    """`scrapy crawl SPIDER ARGS` writing to `archive`, with the test speed settings (`args` can override them)."""
    return [SCRAPY, "crawl", spider, "-s", f"ARCHIVE_DIR={archive}", *FAST, *args]


def tree_rss_kib(pid: int) -> int:
    """Resident memory of `pid` and all its descendants (extraction workers included), KiB."""
    return sum(_rss_kib(p) for p in {pid} | descendants(pid))


def _rss_kib(pid: int) -> int:
    with contextlib.suppress(OSError, StopIteration, ValueError):
        status = Path(f"/proc/{pid}/status").read_text()
        return int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmRSS:")))
    return 0


def descendants(pid: int) -> set[int]:
    """The pids below `pid` (children, grandchildren...)."""
    found: set[int] = set()
    stack = [pid]
    while stack:
        current = stack.pop()
        try:
            for task in Path(f"/proc/{current}/task").iterdir():
                children = {int(c) for c in (task / "children").read_text().split()}
                stack.extend(children - found)
                found |= children
        except OSError:
            continue
    return found


def start_crawl(spider: str, args: list[str], archive: Path) -> subprocess.Popen[str]:
    """Start a crawl in the background, in its own process group (so `os.killpg` ends its workers too); its
    log is on `.stderr`."""
    return subprocess.Popen(
        crawl_command(spider, args, archive),
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env=subprocess_env(),
        start_new_session=True,
    )


def archived_urls(archive: Path) -> list[str]:
    """URLs of the whole lines archived so far (a crawl still running may be half-way through writing one)."""
    return [
        json.loads(line)["url"]
        for f in sorted(archive.glob("*/*.jsonl"))
        for line in f.read_text("utf-8").splitlines(keepends=True)
        if line.endswith("\n")
    ]


def wait_for_records(archive: Path, count: int, process: subprocess.Popen[str], limit: float = 60) -> None:
    """Return once a running crawl has archived `count` records; fail if it ends or `limit` seconds pass first."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline and process.poll() is None:
        if len(archived_urls(archive)) >= count:
            return
        time.sleep(0.05)
    raise AssertionError(f"fewer than {count} records after {limit} s (exit status {process.poll()})")


def run_crawl(spider: str, args: list[str], archive: Path, *, timeout: float = 150, name: str = "") -> Crawl:
    """Run a crawl to its end, sampling its process tree's memory; the test fails (and every process of the crawl
    is killed) if it does not end by itself within `timeout` seconds. Its log is kept beside the archive."""
    with tempfile.TemporaryDirectory(prefix="crawl-stats-") as folder:
        stats_file = Path(folder) / "stats.json"
        child = start_crawl(spider, [*args, "-s", f"STATS_FILE={stats_file}"], archive)
        peak = 0
        done = threading.Event()

        def sample() -> None:
            nonlocal peak
            while not done.is_set():
                peak = max(peak, tree_rss_kib(child.pid))
                done.wait(0.05)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        try:
            _, stderr = child.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(child.pid, signal.SIGKILL)
            _, stderr = child.communicate()
            pytest.fail(f"the crawl did not end by itself within {timeout} s:\n{stderr[-3000:]}")
        finally:
            done.set()
            sampler.join()
        stats = json.loads(stats_file.read_text("utf-8")) if stats_file.exists() else {}
    with contextlib.suppress(OSError):  # kept with pytest's tmp_path, to look at
        (archive.parent / f"{name or spider}.log").write_text(stderr)
    print(f"peak RSS of the crawl process tree: {peak / 1024:6.0f} MiB  {name or spider}")  # `pytest -s` shows it
    return Crawl(child.returncode, stderr, stats, archive, peak / 1024)


def check_archive(result: Crawl) -> None:
    """The archive verifies, every line is one JSON object, and no line-splitting character is raw."""
    if result.archive.exists():
        report = verify(result.archive)
        assert report.clean, [str(p) for p in report.problems]
    for file in result.archive.glob("*/*.jsonl"):
        raw = file.read_bytes()
        assert raw.endswith(b"\n")
        text = raw.decode("utf-8")
        lines = text.splitlines()  # splits on U+2028, U+2029, U+0085, \x1c... too
        assert len(lines) == raw.count(b"\n"), f"{file}: a character inside a record splits the line"
        assert all(isinstance(json.loads(line), dict) for line in lines)
        if shutil.which("jq"):
            jq = subprocess.run(["jq", "-c", ".url"], input=raw, capture_output=True, check=False, timeout=60)
            assert jq.returncode == 0, jq.stderr
            assert len(jq.stdout.splitlines()) == len(lines)


def check_common(result: Crawl, limit_mib: float = MEMORY_LIMIT_MIB) -> None:
    """What every hostile crawl must show: no traceback, bounded memory, a verifiable archive."""
    assert "Traceback" not in result.stderr, result.stderr[-5000:]
    assert result.peak_mib < limit_mib, f"peak RSS {result.peak_mib:.0f} MiB"
    check_archive(result)


def once(result: Crawl, url: str, reason: str) -> str:
    """The bad page at `url` is logged in exactly one line above DEBUG, which gives `reason`; returns it."""
    lines = result.lines_about(url)
    assert len(lines) == 1, (url, lines)
    assert reason in lines[0], (url, reason, lines[0])
    return lines[0]
