"""WARC capture by real crawls (issue 12): what the server sent is kept, every record's `source` leads to it,
unchanged pages become revisit records, a kill leaves a verifiable archive, capture can be turned off."""

from __future__ import annotations

import gzip
import json
import os
import re
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from warcio.archiveiterator import ArchiveIterator

from archive.warc import REVISIT_PROFILE, decoded_body, iter_captures, read_capture
from devtools.siteserver import Site, serve, with_base
from scraper.record import ExtractorStamp, extractor_stamp
from tests.support.commands import news_archive
from tests.support.crawl import Crawl, archived_urls, check_archive, run_crawl, start_crawl, wait_for_records
from tests.support.paths import PYTHON, ROOT, SITES

WARCIO = str(Path(PYTHON).with_name("warcio"))
GZIPPED = "/2026/11/23/customs-house-museum/"  # served with Content-Encoding: gzip in the `site` fixture
NEWS_HINTED = "/2026/11/24/night-buses-trial/"  # in the news sitemap, with a news:title
DROPPED = "/about-the-riverside-chronicle-and-its-team/"  # listed in the sitemap, fetched, not an article
REVISED = "/2026/11/25/harbour-ferry-timetable-extended-into-winter/"


def served(folder: Path, site: Site, path: str) -> bytes:
    """The page body the server sends for `path` (its file, `__BASE__` filled in), decoded."""
    body = with_base((folder / path.strip("/") / "index.html").read_bytes(), site.url.rstrip("/").encode())
    return gzip.decompress(body) if body[:2] == b"\x1f\x8b" else body


def current_stamp() -> ExtractorStamp:
    """`extractor_stamp()` of the sources as they are now (not the one this process cached at its first call)."""
    return extractor_stamp.__wrapped__()


def warc_files(archive: Path) -> list[Path]:
    """The WARC files a crawl wrote, sorted."""
    return sorted(archive.glob("*/*.warc.gz"))


def warc_records(path: Path) -> list[Any]:
    """(type, target URI, headers dict, payload-read-whole) of every record of a WARC file, in order."""
    out = []
    with open(path, "rb") as f:
        for record in ArchiveIterator(f):
            headers = dict(record.rec_headers.headers)
            out.append((record.rec_type, headers.get("WARC-Target-URI"), headers, record.content_stream().read()))
    return out


def check_warcs(result: Crawl) -> None:
    """`warcio check` and `warcio index` accept every WARC file of the run."""
    files = warc_files(result.archive)
    assert files
    for path in files:
        for command in ("check", "index"):
            done = subprocess.run([WARCIO, command, str(path)], capture_output=True, text=True, check=False, timeout=60)
            assert done.returncode == 0, (command, path, done.stdout[-2000:], done.stderr[-2000:])


def check_sources(result: Crawl) -> None:
    """Every record's `source` is a response record of the record's URL, status 200, in the archive."""
    records = result.records()
    assert records
    for record in records:
        capture = read_capture(result.archive, record["source"], url=record["url"])
        assert capture.status == 200
        assert record["source"]["warc"].endswith(f"-{record['run_id']}.warc.gz")


@pytest.fixture(scope="module")
def riverside(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Site]]:
    """tests/sites/multi/a, with one article served gzip-encoded (Content-Encoding: gzip)."""
    folder = tmp_path_factory.mktemp("riverside") / "site"
    shutil.copytree(SITES / "multi" / "a", folder)
    page = folder / GZIPPED.strip("/") / "index.html"
    page.write_bytes(gzip.compress(page.read_bytes(), mtime=0))  # the server fills __BASE__ in and re-gzips
    routes = json.loads((folder / "_routes.json").read_text())
    routes[GZIPPED] = {"headers": {"Content-Encoding": "gzip", "Content-Type": "text/html; charset=utf-8"}}
    (folder / "_routes.json").write_text(json.dumps(routes))
    with serve(folder) as site:
        yield folder, site


@pytest.fixture(scope="module")
def captured(riverside: tuple[Path, Site], tmp_path_factory: pytest.TempPathFactory) -> Crawl:
    """A `news` crawl of the riverside site with the default settings (capture on)."""
    _, site = riverside
    result = run_crawl("news", ["-a", f"site={site.url}"], tmp_path_factory.mktemp("captured") / "data")
    assert result.returncode == 0, result.stderr[-3000:]
    return result


def test_every_record_points_at_the_response_it_was_extracted_from(
    riverside: tuple[Path, Site], captured: Crawl
) -> None:
    folder, site = riverside
    check_warcs(captured)
    check_sources(captured)
    check_archive(captured)
    records = captured.by_path(site)
    assert len(records) == 6
    for path, record in records.items():
        capture = read_capture(captured.archive, record["source"], url=record["url"])
        assert decoded_body(capture) == served(folder, site, path)
        assert record["extractor"] == current_stamp()
    assert len({r["source"]["record_id"] for r in records.values()}) == 6
    assert captured.stat("warc/errors") == 0
    assert captured.stat("warc/bytes") == sum(f.stat().st_size for f in warc_files(captured.archive))


def test_article_responses_are_captured_dropped_ones_too_and_nothing_else_by_default(
    riverside: tuple[Path, Site], captured: Crawl
) -> None:
    _, site = riverside
    [warc] = warc_files(captured.archive)
    records = warc_records(warc)
    assert records[0][0] == "warcinfo"
    responses = sorted(uri.removeprefix(site.url.rstrip("/")) for kind, uri, _, _ in records if kind == "response")
    assert responses == sorted([*captured.by_path(site), DROPPED])
    assert captured.stat("articles/dropped/not_article") == 1  # the About page: dropped, but its capture kept
    assert captured.stat("warc/responses") == len(responses) == 7
    kinds = [kind for kind, *_ in records[1:]]
    assert kinds == ["response", "request", "metadata"] * 7  # each exchange: response, its request, its metadata


def test_a_gzip_encoded_response_is_stored_as_sent_and_replays(riverside: tuple[Path, Site], captured: Crawl) -> None:
    folder, site = riverside
    record = captured.by_path(site)[GZIPPED]
    capture = read_capture(captured.archive, record["source"])
    assert capture.header("Content-Encoding") == "gzip"
    assert capture.body[:2] == b"\x1f\x8b"  # the bytes on the wire, not Scrapy's decoded body
    assert gzip.decompress(capture.body) == served(folder, site, GZIPPED)
    # the crawl asks for what WARC tools read back: warcio (warcio check, pywb) fails on br, and zstd has no decoder
    assert dict(capture.request_headers)["Accept-Encoding"] == "gzip, deflate"
    # replay as WARC tools do it: the record at `offset`, its payload decoded by warcio
    with open(captured.archive / record["source"]["warc"], "rb") as f:
        f.seek(record["source"]["offset"])
        replayed = next(iter(ArchiveIterator(f)))
        assert replayed.http_headers is not None
        assert replayed.http_headers.get_header("Content-Encoding") == "gzip"
        assert replayed.content_stream().read() == served(folder, site, GZIPPED)
    assert "Failed" not in "".join(captured.lines_about(f"{site.url.rstrip('/')}{GZIPPED}"))


def test_the_article_spider_captures_too(riverside: tuple[Path, Site], tmp_path: Path) -> None:
    folder, site = riverside
    url = f"{site.url.rstrip('/')}{GZIPPED}"
    result = run_crawl("article", ["-a", f"url={url}"], tmp_path / "data")
    assert result.returncode == 0, result.stderr[-3000:]
    [record] = result.records()
    capture = read_capture(result.archive, record["source"], url=url)
    assert capture.header("Content-Encoding") == "gzip"
    assert decoded_body(capture) == served(folder, site, GZIPPED)
    assert record["source"]["warc"].split("/")[-1] == f"article-{record['run_id']}.warc.gz"
    check_warcs(result)


def test_the_metadata_record_keeps_what_extraction_was_told_besides_the_page(
    riverside: tuple[Path, Site], tmp_path: Path
) -> None:
    _, site = riverside
    config = tmp_path / "sites.toml"  # the news sitemap alone: its hints reach each article deterministically
    config.write_text(
        f'[[site]]\nid = "riverside"\nsitemaps = ["{site.url}sitemap-news.xml"]\n'
        'boilerplate_patterns = ["^Share this story$"]\n'
    )
    result = run_crawl("news", ["-a", f"sites={config}"], tmp_path / "data")
    assert result.returncode == 0, result.stderr[-3000:]
    record = result.by_path(site)[NEWS_HINTED]
    capture = read_capture(result.archive, record["source"], url=record["url"])
    assert capture.metadata == {
        "site": "riverside",
        "kind": "article",
        "hints": {
            "published_at": "2026-11-24T07:05:00+00:00",
            "title": "Night buses to run from the harbour in trial",
            "language": "en",
            "keywords": ["buses", "nightlife", "transport"],
        },
        "site_patterns": ["^Share this story$"],
    }
    assert capture.method == "GET"
    assert any(k.lower() == "user-agent" and "news-archiver" in v for k, v in capture.request_headers)


def test_archive_warc_all_also_keeps_sitemaps_feeds_and_navigation(
    riverside: tuple[Path, Site], tmp_path: Path
) -> None:
    _, site = riverside
    result = run_crawl("news", ["-a", f"site={site.url}", "-s", "ARCHIVE_WARC_ALL=True"], tmp_path / "data")
    assert result.returncode == 0, result.stderr[-3000:]
    check_warcs(result)
    check_sources(result)
    base = site.url.rstrip("/")
    records = warc_records(warc_files(result.archive)[0])
    uris = {uri for kind, uri, _, _ in records if kind == "response"}
    assert {f"{base}/", f"{base}/robots.txt", f"{base}/sitemap_index.xml", f"{base}/feed.xml"} <= uris
    assert {f"{base}{path}" for path in result.by_path(site)} <= uris
    # robots.txt is fetched twice (by Scrapy's robots.txt middleware, and by the spider for its Sitemap: lines):
    # the second, unchanged, is a revisit of this run's first
    robots = sorted(kind for kind, uri, _, _ in records if uri == f"{base}/robots.txt" and kind != "request")
    assert robots == ["metadata", "response", "revisit"]
    assert result.stat("warc/revisits") == 1


def test_articles_found_at_navigation_urls_are_captured(tmp_path: Path) -> None:
    with serve(SITES / "trust_pages" / "nav") as site:
        result = run_crawl("news", ["-a", f"site={site.url}"], tmp_path / "data")
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stat("discovery/navigation_articles") >= 4
    check_warcs(result)
    check_sources(result)  # those reached as navigation included: captured when the spider made a Page of them
    uris = {uri for kind, uri, _, _ in warc_records(warc_files(result.archive)[0]) if kind == "response"}
    assert f"{site.url.rstrip('/')}/" not in uris  # the home page is navigation only: not kept by default


def test_capture_off_gives_null_sources_and_no_warc(riverside: tuple[Path, Site], tmp_path: Path) -> None:
    _, site = riverside
    result = run_crawl("news", ["-a", f"site={site.url}", "-s", "ARCHIVE_WARC=False"], tmp_path / "data")
    assert result.returncode == 0, result.stderr[-3000:]
    records = result.records()
    assert len(records) == 6
    assert all(r["source"] is None and r["extractor"] == current_stamp() for r in records)
    assert not list(result.archive.rglob("*.warc*"))
    assert not result.counters("warc/")


def _lastmod(folder: Path, when: str) -> None:
    sitemap = folder / "sitemap.xml"
    sitemap.write_text(re.sub(r"<lastmod>[^<]*</lastmod>", f"<lastmod>{when}</lastmod>", sitemap.read_text()))


def test_an_unchanged_page_fetched_again_is_a_revisit_record(tmp_path: Path) -> None:
    folder, archive = tmp_path / "site", tmp_path / "data"
    shutil.copytree(SITES / "trust_pages" / "revisit", folder)
    now = ["-s", "ARTICLE_REVISIT_MIN_HOURS=0", "-s", "RUN_ID=second"]
    with serve(folder) as site:
        first = run_crawl("news", ["-a", f"site={site.url}", "-s", "RUN_ID=first"], archive)
        assert first.returncode == 0, first.stderr[-3000:]
        [record] = first.records()
        assert first.stat("warc/responses") == 1

        # the sitemap says the page changed; its bytes did not: fetched again, written as a revisit
        _lastmod(folder, "2099-01-01T00:00:00+00:00")
        second = run_crawl("news", ["-a", f"site={site.url}", *now], archive)
        assert second.returncode == 0, second.stderr[-3000:]
        assert site.requests_for(REVISED) == 2
        assert second.stat("warc/revisits") == 1 and second.stat("warc/responses") == 0
        [warc] = [f for f in warc_files(archive) if f.name == "news-second.warc.gz"]
        revisits = [(uri, h) for kind, uri, h, _ in warc_records(warc) if kind == "revisit"]
        assert [uri for uri, _ in revisits] == [record["url"]]
        headers = revisits[0][1]
        assert headers["WARC-Profile"] == REVISIT_PROFILE
        assert headers["WARC-Refers-To"] == record["source"]["record_id"]
        assert headers["WARC-Refers-To-Target-URI"] == record["url"]
        assert headers["WARC-Payload-Digest"] == record["source"]["digest"]
        check_warcs(second)

        # now the page itself changes (a counter): stored in full again
        page = folder / REVISED.strip("/") / "index.html"
        page.write_text(re.sub(r"\d,\d{3}", "9,999", page.read_text()))
        _lastmod(folder, "2099-01-02T00:00:00+00:00")
        third = run_crawl("news", ["-a", f"site={site.url}", "-s", "ARTICLE_REVISIT_MIN_HOURS=0"], archive)
    assert third.stat("warc/responses") == 1 and third.stat("warc/revisits") == 0
    check_sources(third)


def test_an_unchanged_page_whose_last_capture_is_gone_is_stored_again(tmp_path: Path) -> None:
    folder, archive = tmp_path / "site", tmp_path / "data"
    shutil.copytree(SITES / "trust_pages" / "revisit", folder)
    with serve(folder) as site:
        first = run_crawl("news", ["-a", f"site={site.url}"], archive)
        assert first.returncode == 0, first.stderr[-3000:]
        [warc] = warc_files(archive)
        warc.unlink()  # the records still name it: a revisit would point at bytes that are not there
        _lastmod(folder, "2099-01-01T00:00:00+00:00")
        second = run_crawl("news", ["-a", f"site={site.url}", "-s", "ARTICLE_REVISIT_MIN_HOURS=0"], archive)
    assert second.returncode == 0, second.stderr[-3000:]
    assert second.stat("warc/responses") == 1 and second.stat("warc/revisits") == 0
    [warning] = [line for line in second.stderr.splitlines() if "storing the response again" in line]
    assert " WARNING: " in warning and REVISED in warning
    [again] = warc_files(archive)
    assert [kind for kind, *_ in warc_records(again)].count("response") == 1


def test_a_warc_that_cannot_be_written_stops_the_crawl(riverside: tuple[Path, Site], tmp_path: Path) -> None:
    _, site = riverside
    archive = tmp_path / "data"
    for day in _days_around_now():  # a directory where the WARC file goes: opening it fails, the JSONL is fine
        (archive / day / "news-blocked.warc.gz").mkdir(parents=True)
    result = run_crawl("news", ["-a", f"site={site.url}", "-s", "RUN_ID=blocked"], archive)
    assert result.returncode == 1, result.stderr[-3000:]
    assert result.stat("warc/errors") >= 1  # each write that failed (several may be under way at once)
    assert result.stats.get("finish_reason") == "archive_error"
    errors = [line for line in result.stderr.splitlines() if " ERROR: " in line and "news-blocked.warc.gz" in line]
    assert len(errors) == 1, result.stderr[-3000:]  # said once, with the path
    assert "Traceback" not in result.stderr
    assert result.records() == []  # nothing archived without its capture
    assert result.stat("articles/dropped/archive_error") >= 1


def _days_around_now() -> list[str]:
    from datetime import UTC, datetime, timedelta

    now = datetime.now(UTC)
    return [(now + timedelta(days=d)).strftime("%Y-%m-%d") for d in (-1, 0, 1)]


def test_sigkill_mid_crawl_leaves_a_verifiable_archive_whose_sources_resolve(big_site: Site, tmp_path: Path) -> None:
    archive = tmp_path / "data"
    child = start_crawl(
        "news",
        ["-a", f"site={big_site.url}", "-s", "RUN_ID=killed", "-s", "CONCURRENT_REQUESTS=8"],
        archive,
    )
    wait_for_records(archive, 60, child)
    os.kill(child.pid, signal.SIGKILL)  # the crawler alone, mid-write as likely as not
    child.communicate(timeout=30)
    verify = news_archive("--root", str(archive), "verify")
    if verify.returncode != 0:  # a torn last record: repairable, and nothing else wrong
        assert "torn" in verify.stdout + verify.stderr, verify.stdout + verify.stderr
        assert news_archive("--root", str(archive), "verify", "--repair").returncode == 0
        assert news_archive("--root", str(archive), "verify").returncode == 0
    records = [json.loads(line) for f in sorted(archive.glob("*/*.jsonl")) for line in f.read_text().splitlines()]
    assert 60 <= len(records) < 400 and len(records) == len(archived_urls(archive))
    for record in records:
        read_capture(archive, record["source"], url=record["url"])
    [warc] = warc_files(archive)
    captures = iter_captures(warc)
    urls = {capture.url for capture, _, _ in captures}
    assert {r["url"] for r in records} <= urls


def test_a_full_disk_stops_the_crawl_and_leaves_whole_warc_records(big_site: Site, tmp_path: Path) -> None:
    mount = tmp_path / "small-disk"
    mount.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=384k", "tmpfs", str(mount)], capture_output=True)
    if mounted.returncode != 0:
        pytest.skip("cannot mount a tmpfs here (not root?)")
    try:
        result = run_crawl("news", ["-a", f"site={big_site.url}", "-s", "RUN_ID=full"], mount)
        assert result.returncode == 1, result.stderr[-3000:]
        full = r"ERROR: Cannot write the archive, stopping the crawl: .*small-disk.*No space left"
        assert re.search(full, result.stderr), result.stderr[-3000:]
        assert result.stat("warc/errors") >= 1
        assert "Traceback" not in result.stderr
        check_warcs(result)  # the write that failed was taken back: whole records only
        assert news_archive("--root", str(mount), "verify").returncode == 0
        for record in result.records():  # whatever was archived points at bytes that are there
            read_capture(mount, record["source"], url=record["url"])
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def test_extractor_revision_changes_with_the_extraction_code(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "scraper", tmp_path / "scraper", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")

    def stamp() -> dict[str, str]:
        code = "import json, scraper.record as r; print(json.dumps(r.extractor_stamp()))"
        env = {**os.environ, "PYTHONPATH": str(tmp_path)}
        done = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=tmp_path, check=True
        )
        return dict(json.loads(done.stdout))

    assert stamp() == current_stamp()  # the same sources: the same stamp, in any process
    with open(tmp_path / "scraper" / "extract" / "dates.py", "a") as f:
        f.write("\n# a change to the extraction code\n")
    changed = stamp()
    assert changed["version"] == current_stamp()["version"]
    assert re.fullmatch(r"[0-9a-f]{12}", changed["revision"]) and changed["revision"] != current_stamp()["revision"]
    (tmp_path / "scraper" / "settings.py").write_text("# not extraction code\n")
    assert stamp()["revision"] == changed["revision"]
