"""Issue 9, URLs and discovery: what the crawl keeps, fetches once, limits to one host and retries.

Unit tests pin the pure helpers (strip_tracking, url_key, retry_after_seconds, allowed domains); the crawl
tests run a real `scrapy crawl` against the fault server on 127.0.0.x.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from scraper.faultserver import Route, error, page, serve_faults
from scraper.retry import retry_after_seconds
from scraper.urls import strip_tracking, url_key

from .test_hostile_crawl import article_html, check_common, crawl, english, urls_file


# --- item 5: Retry-After read strictly ------------------------------------------------------------------------
@pytest.mark.parametrize("value", ["²", "¹²", "٣", "1e3", "-5", "1.5", "+3", "0x10", " ", "soon", "\u0660",
                                   "Wed, 99 Foo 2026 25:61:00 GMT"])
def test_unreadable_retry_after_is_treated_as_absent(value: str) -> None:
    assert retry_after_seconds(value) is None
    assert retry_after_seconds(value.encode("utf-8")) is None


def test_readable_retry_after() -> None:
    assert retry_after_seconds(b"3") == 3.0
    assert retry_after_seconds(" 007 ") == 7.0
    assert retry_after_seconds(b"Wed, 21 Oct 2015 07:28:00 GMT") == 0.0  # a date in the past: no wait


def test_a_503_with_an_unreadable_retry_after_is_retried(tmp_path: Path) -> None:
    paths = {f"/2026/06/2{n}/odd-retry-after-{n}/": value for n, value in enumerate(["²", "1.5", "soon"])}
    routes = {path: Route(status=503, headers={"Retry-After": value, "Content-Type": "text/html"},
                          body=b"<html><body>busy</body></html>",
                          then=page(article_html(f"Retried story {n}", english(f"retried story {n}"))))
              for n, (path, value) in enumerate(paths.items())}
    with serve_faults(routes) as site:
        urls = urls_file(tmp_path, site, list(paths))
        result = crawl("article", ["-a", f"urls_file={urls}", "-s", "RETRY_BACKOFF_BASE=0.2"], tmp_path / "data",
                       name="retry_after")
    assert result.returncode == 0, result.stderr[-5000:]
    check_common(result)
    assert sorted(result.by_path(site)) == sorted(paths)
    assert all(site.requests_for(path) == 2 for path in paths)
    assert "ValueError" not in result.stderr
    assert result.counters("pages/failed/") == {}
