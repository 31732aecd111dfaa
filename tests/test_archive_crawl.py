"""The archive as downstream tools meet it: written by real crawls, read by the library, the CLI and DuckDB."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
from jsonschema import Draft202012Validator

from archive import Archive, load_schema
from archive.verify import verify as verify_archive
from devtools.siteserver import Site, serve
from tests.support.commands import news_archive
from tests.support.crawl import run_crawl, start_crawl
from tests.support.paths import SITES


@pytest.fixture(scope="module")
def crawled(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """An archive written by a real `scrapy crawl news` of the two-site fixture."""
    root = tmp_path_factory.mktemp("crawled") / "data"
    with serve(SITES / "multi" / "a", host="127.0.0.2") as a, serve(SITES / "multi" / "b", host="127.0.0.3") as b:
        config = root.parent / "sites.toml"
        config.write_text(
            f'[[site]]\nid = "riverside"\nstart_urls = ["{a.url}"]\n\n'
            f'[[site]]\nid = "valley"\nstart_urls = ["{b.url}"]\n'
        )
        result = run_crawl("news", ["-a", f"sites={config}"], root)
        assert result.returncode == 0, result.stderr[-3000:]
    yield root


def test_every_crawled_record_validates_against_the_shipped_schema(crawled: Path) -> None:
    validator = Draft202012Validator(load_schema())
    records = list(Archive(crawled).records())
    assert len(records) == 8
    for record in records:
        assert list(validator.iter_errors(record)) == []
    done = news_archive("--root", str(crawled), "verify")
    assert done.returncode == 0, done.stdout + done.stderr


def test_duckdb_reads_a_crawled_archive(crawled: Path) -> None:
    rows = (
        duckdb.connect()
        .execute(
            f"SELECT site, count(*), min(word_count) > 50 FROM read_json_auto('{crawled}/*/*.jsonl') "
            "GROUP BY site ORDER BY site"
        )
        .fetchall()
    )
    assert rows == [("riverside", 6, True), ("valley", 2, True)]


def test_library_and_cli_on_a_crawled_archive(crawled: Path, tmp_path: Path) -> None:
    archive = Archive(crawled)
    [day] = archive.days()
    assert day.records == 8
    assert {r["site"] for r in archive.records(site="valley")} == {"valley"}
    hits = archive.search("lifeboat station")
    assert hits and hits[0].title == "Second lifeboat station approved for the estuary"

    cat = news_archive("--root", str(crawled), "cat", "--site", "riverside", "--fields", "url,title")
    assert cat.returncode == 0
    lines = [json.loads(line) for line in cat.stdout.splitlines()]
    assert len(lines) == 6 and all(set(line) == {"url", "title"} for line in lines)
    url = next(line["url"] for line in lines if line["url"].endswith("/night-buses-trial/"))
    show = news_archive("--root", str(crawled), "show", url)
    assert show.returncode == 0 and "Night buses to run from the harbour in trial" in show.stdout
    search = news_archive("--root", str(crawled), "search", "cheese shop")
    assert search.returncode == 0 and "Dairy cooperative opens cheese shop" in search.stdout
    report = tmp_path / "report.html"
    assert news_archive("--root", str(crawled), "stats", "--html", str(report)).returncode == 0
    assert "<svg" in report.read_text() and "riverside" in report.read_text()
    bad = news_archive("--root", str(crawled), "cat", "--since", "yesterday-ish")
    assert bad.returncode == 2 and len(bad.stderr.strip().splitlines()) == 1 and "Traceback" not in bad.stderr


def _crawl_big(site: Site, archive: Path, run_id: str, *more: str) -> subprocess.Popen[str]:
    return start_crawl(
        "news",
        [
            *more,
            "-a",
            f"site={site.url}",
            "-s",
            f"RUN_ID={run_id}",
            "-s",
            "LOG_LEVEL=DEBUG",
            "-s",
            "CONCURRENT_REQUESTS=8",
            "-s",
            "ARCHIVE_FSYNC_EVERY=10",
        ],
        archive,
    )


def test_sigkill_mid_crawl_leaves_a_verifiable_archive_with_every_logged_article(
    big_site: Site, tmp_path: Path
) -> None:
    archive = tmp_path / "data"
    child = _crawl_big(big_site, archive, "killed")
    assert child.stderr is not None
    logged: list[str] = []
    for line in child.stderr:
        if m := re.search(r"DEBUG: Archived (\S+)", line):
            logged.append(m.group(1))
            if len(logged) == 60:
                break
    os.kill(child.pid, signal.SIGKILL)
    child.communicate(timeout=30)
    verify = news_archive("--root", str(archive), "verify")
    if verify.returncode != 0:  # a torn last line: repairable, and nothing else wrong
        assert "torn" in verify.stdout + verify.stderr
        assert news_archive("--root", str(archive), "verify", "--repair").returncode == 0
        assert news_archive("--root", str(archive), "verify").returncode == 0
    stored = {r["url"] for r in Archive(archive).records()}
    assert set(logged) <= stored
    assert len(stored) < 400  # it was killed mid-run


def test_two_crawls_write_one_archive_at_once(big_site: Site, tmp_path: Path) -> None:
    archive = tmp_path / "data"
    first, second = _crawl_big(big_site, archive, "one"), _crawl_big(big_site, archive, "two")
    for child in (first, second):
        _, err = child.communicate(timeout=240)
        assert child.returncode == 0, err[-2000:]
    records = list(Archive(archive).records())
    # the two runs may both archive a page: each second copy is reported as a duplicate, and nothing else is wrong
    assert [p.kind for p in verify_archive(archive).problems] == ["duplicate"] * (len(records) - 400)
    files = sorted(archive.glob("*/*.jsonl"))
    assert [f.name for f in files] == ["news-one.jsonl", "news-two.jsonl"]
    for f in files:
        for line in f.read_text().splitlines():
            assert json.loads(line)["run_id"] in f.name  # whole lines, never interleaved
    assert len({r["url"] for r in Archive(archive).records()}) == 400


def test_an_archive_that_cannot_be_written_stops_the_crawl_with_the_path(news_site: Site, tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("a file where the archive should be")
    result = run_crawl("article", ["-a", f"url={news_site.url}2026/03/14/bridge-reopens/"], blocker / "data")
    assert result.returncode == 1
    assert re.search(r"ERROR: Cannot write the archive, stopping the crawl: .*not-a-directory", result.stderr)
    assert "Traceback" not in result.stderr


def test_disk_full_stops_the_crawl_and_keeps_what_was_written(big_site: Site, tmp_path: Path) -> None:
    mount = tmp_path / "small-disk"
    mount.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(mount)], capture_output=True, check=False
    )
    if mounted.returncode != 0:
        pytest.skip("cannot mount a tmpfs here (not root?); the writer's ENOSPC handling is unit-tested")
    try:
        child = _crawl_big(big_site, mount, "full", "-s", "ARCHIVE_WARC=False")  # the JSONL's ENOSPC: the WARC's
        # is tests/test_crawl_warc.py's
        _, err = child.communicate(timeout=240)
        assert child.returncode == 1, err[-2000:]
        assert re.search(r"Cannot write the archive, stopping the crawl: .*small-disk.*No space left", err)
        assert news_archive("--root", str(mount), "verify").returncode == 0  # what was written stays valid
        assert 0 < len(list(Archive(mount).records())) < 400
    finally:
        time.sleep(0.2)
        subprocess.run(["umount", "-l", str(mount)], check=False)
