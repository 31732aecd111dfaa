"""End to end: real `scrapy crawl article` subprocesses against fixture sites served on 127.0.0.1."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from archive.schema import load_schema
from archive.warc import read_capture
from devtools.siteserver import Site
from tests.support.crawl import Crawl, run_crawl

BOILERPLATE = [
    "Leave a Comment",
    "Your email address will not be published",
    "Required fields are marked",
    "Post Comment",
    "Scroll to Top",
    "Read more:",
    "Also read",
    "Related",
    "Share",
    "Facebook",
    "WhatsApp",
    "cookies",
    "Skip to content",
    "Menu",
    "Recent Posts",
    "Copyright",
    "Posted in",
    "Cancel reply",
    "Photo: Riverside Chronicle",
    "Save my name",
]


@pytest.fixture(scope="module")
def one_url(news_site: Site, tmp_path_factory: pytest.TempPathFactory) -> Crawl:
    """`scrapy crawl article -a url=...` of one article of tests/sites/news."""
    archive = tmp_path_factory.mktemp("one-url") / "data"
    export = archive.parent / "export.jsonl"  # Scrapy's own feed export, beside our archive
    result = run_crawl("article", ["-a", f"url={news_site.url}2026/03/14/bridge-reopens/", "-o", str(export)], archive)
    assert result.returncode == 0, result.stderr[-2000:]
    return result


def test_one_url_is_archived_with_every_field(news_site: Site, one_url: Crawl) -> None:
    url = f"{news_site.url}2026/03/14/bridge-reopens/"
    result = one_url
    files = list(result.archive.glob("*/article-*.jsonl"))
    assert len(files) == 1
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", files[0].parent.name)
    [record] = result.records()
    assert Draft202012Validator(load_schema()).is_valid(record)
    run_id = files[0].name.removeprefix("article-").removesuffix(".jsonl")
    expected_text = (  # the lead paragraph stays, though the description repeats it (all three dev truths keep it)
        "The Grade II listed bridge was closed in July after a lorry struck its parapet.\n\n"
        "Old Mill Bridge reopened to cars and buses on Friday morning, eight months after a lorry demolished a "
        "section of its eighteenth-century parapet and forced a nine-mile diversion through the valley.\n\n"
        "Stonemasons rebuilt the damaged span using sandstone from the quarry that supplied the original bridge "
        'in 1774. The county\'s heritage officer said the repair was "all but invisible" from the riverbank.\n\n'
        "A weight limit of 7.5 tonnes will now be enforced by cameras at both ends of the bridge. Drivers who "
        "ignore it face fines of up to £1,000, and hauliers have been sent new route maps showing the "
        "alternatives.\n\n"
        'Shopkeepers in the village welcomed the reopening. "We lost a third of our trade while the bridge was '
        'shut," said baker Tomasz Nowak, whose shop faces the crossing. "Today the queue is out of the door."\n\n'
        "The repair cost £480,000, which the council will try to recover from the haulage company's insurers."
    )
    assert record == {
        "schema_version": 1,
        "url": url,
        "canonical_url": url,
        "site": "127.0.0.1",
        "site_name": "Riverside Chronicle",
        "title": "Old Mill Bridge reopens to traffic after eight months",
        "description": "The Grade II listed bridge was closed in July after a lorry struck its parapet.",
        "authors": ["Hannah Brandt"],
        "organizations": [],
        "published_at": "2026-03-14T09:30:00+01:00",
        "modified_at": "2026-03-14T16:45:00+01:00",
        "language": "en-US",
        "section": "Transport",
        "tags": ["Bridges", "Roads", "Heritage"],
        "image": {
            "url": f"{news_site.url}wp-content/uploads/2026/03/old-mill-bridge.jpg",
            "caption": "The repaired parapet of Old Mill Bridge on Friday morning. Photo: Riverside Chronicle/Lee Park",
        },
        "text": expected_text,
        "word_count": 175,
        "content_hash": record["content_hash"],
        "crawled_at": record["crawled_at"],
        "spider": "article",
        "run_id": run_id,
        "http_status": 200,
        "source": record["source"],
        "extractor": record["extractor"],
    }
    assert re.fullmatch(r"[0-9a-f]{64}", record["content_hash"])
    assert read_capture(result.archive, record["source"], url=url).status == 200  # the page as fetched, kept
    assert re.fullmatch(r"[0-9a-f]{12}", record["extractor"]["revision"])
    assert record["crawled_at"].startswith(files[0].parent.name) and record["crawled_at"].endswith("+00:00")
    for phrase in BOILERPLATE:
        assert phrase.lower() not in record["text"].lower(), phrase
    ua = [agent for _, path, agent in news_site.access_log if path == "/2026/03/14/bridge-reopens/"]
    assert ua and ua[0].startswith("news-archiver/") and "{contact}" not in ua[0]


def test_urls_file_with_control_article_and_bad_responses(news_site: Site, tmp_path: Path) -> None:
    good = ["2026/03/14/bridge-reopens/", "2026/03/15/parish-notes/"]
    bad = ["about/", "no/such/page/", "2026/03/16/broken/", "files/annual-report", "files/photo", "2026/03/17/empty/"]
    urls = tmp_path / "urls.txt"
    urls.write_text("# one per line\n" + "".join(f"{news_site.url}{p}\n" for p in good + bad) + "\n")
    result = run_crawl("article", ["-a", f"urls_file={urls}"], tmp_path / "data")
    assert result.returncode == 0, result.stderr[-2000:]
    records = {r["url"].removeprefix(news_site.url): r for r in result.records()}
    assert sorted(records) == sorted(good)

    control = records["2026/03/15/parish-notes/"]["text"]
    for sentence in [
        "the simplest way to be heard is to leave a comment on the consultation page",
        "Residents who want to read more about the plan",
        "Those who only scroll to top sections will still find the deadlines there.",
        "Leave a comment, the clerk said, even if it is only one line",
    ]:
        assert sentence in control
    assert records["2026/03/15/parish-notes/"]["published_at"] == "2026-03-15T18:00:00-05:00"

    assert result.stat("articles/archived") == 2
    assert result.counters("articles/dropped/") == {"not_article": 1, "not_html": 2, "empty": 1}  # About, PDF+PNG
    assert result.counters("pages/failed/") == {"http_404": 1, "http_500": 1}
    assert news_site.requests_for("/2026/03/16/broken/") >= 2  # 500 is retried before giving up

    log = result.stderr
    for why, url in [
        ("not_article", "about/"),
        ("not_html (application/pdf)", "files/annual-report"),
        ("not_html (image/png)", "files/photo"),
        ("empty", "2026/03/17/empty/"),
    ]:
        assert log.count(f"{news_site.url}{url}\n") >= 1
        assert len(re.findall(rf"Dropped: {re.escape(why)}.*: {re.escape(news_site.url + url)}$", log, re.M)) == 1
    for why, url in [("http_404", "no/such/page/"), ("http_500", "2026/03/16/broken/")]:
        assert len(re.findall(rf"Failed {re.escape(news_site.url + url)}: {why}", log)) == 1
    assert "Traceback" not in log and "Gave up retrying" not in log and "Ignoring response" not in log
    assert "2 articles archived" in log


def test_scrapy_feed_export_gets_exactly_the_archived_records(one_url: Crawl) -> None:
    # `scrapy crawl article -a url=... -o FILE` is how Scrapy users take a crawl's items: they are the records
    export = one_url.archive.parent / "export.jsonl"
    exported = [json.loads(line) for line in export.read_text("utf-8").splitlines()]
    assert exported == one_url.records() and len(exported) == 1


def test_archive_lines_are_whole_json(one_url: Crawl) -> None:
    [path] = one_url.archive.glob("*/*.jsonl")
    raw = path.read_bytes()
    assert raw.endswith(b"\n") and raw.count(b"\n") == 1
    assert json.loads(raw)["title"] == "Old Mill Bridge reopens to traffic after eight months"


def test_429_and_503_are_retried_after_the_wait_the_server_asks_for(news_site: Site, tmp_path: Path) -> None:
    busy, overloaded, tomorrow = "/2026/03/18/busy/", "/2026/03/19/overloaded/", "/2026/03/20/come-back-tomorrow/"
    urls = tmp_path / "urls.txt"
    urls.write_text("".join(f"{news_site.url.rstrip('/')}{p}\n" for p in (busy, overloaded, tomorrow)))
    result = run_crawl("article", ["-a", f"urls_file={urls}", "-s", "RETRY_BACKOFF_BASE=0.5"], tmp_path / "data")
    assert sorted(r["url"].removeprefix(news_site.url.rstrip("/")) for r in result.records()) == [busy, overloaded]
    for path, wait in ((busy, 1.0), (overloaded, 0.5)):  # Retry-After: 1; no header: the backoff base
        times = [t for p, t in news_site.times if p == path]
        assert len(times) == 2 and times[1] - times[0] >= wait * 0.95, (path, times)
    assert news_site.requests_for(tomorrow) == 1  # Retry-After beyond RETRY_BACKOFF_MAX: no retry
    assert "more than RETRY_BACKOFF_MAX" in result.stderr and "Failed" in result.stderr
