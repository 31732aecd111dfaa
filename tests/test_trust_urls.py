"""Issue 9, URLs and discovery: what the crawl keeps, fetches once, limits to one host and retries.

Unit tests pin the pure helpers (strip_tracking, retry_after_seconds, allowed domains); the crawl
tests run a real `scrapy crawl` against the fault server on 127.0.0.x.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from devtools.faultserver import Route, page, serve_faults
from scraper.middlewares.retry import retry_after_seconds
from scraper.sites import load_sites, site_from_url
from scraper.urls import strip_tracking
from tests.support.articles import article_html, english, urls_file
from tests.support.crawl import check_common, run_crawl


# --- item 5: Retry-After read strictly ------------------------------------------------------------------------
@pytest.mark.parametrize(
    "value", ["²", "¹²", "٣", "1e3", "-5", "1.5", "+3", "0x10", " ", "soon", "\u0660", "Wed, 99 Foo 2026 25:61:00 GMT"]
)
def test_unreadable_retry_after_is_treated_as_absent(value: str) -> None:
    assert retry_after_seconds(value) is None
    assert retry_after_seconds(value.encode("utf-8")) is None


def test_readable_retry_after() -> None:
    assert retry_after_seconds(b"3") == 3.0
    assert retry_after_seconds(" 007 ") == 7.0
    assert retry_after_seconds(b"Wed, 21 Oct 2015 07:28:00 GMT") == 0.0  # a date in the past: no wait


def test_a_503_with_an_unreadable_retry_after_is_retried(tmp_path: Path) -> None:
    paths = {f"/2026/06/2{n}/odd-retry-after-{n}/": value for n, value in enumerate(["²", "1.5", "soon"])}
    routes: dict[str, Any] = {
        path: Route(
            status=503,
            headers={"Retry-After": value, "Content-Type": "text/html"},
            body=b"<html><body>busy</body></html>",
            then=page(article_html(f"Retried story {n}", english(f"retried story {n}"))),
        )
        for n, (path, value) in enumerate(paths.items())
    }
    with serve_faults(routes) as site:
        urls = urls_file(tmp_path, site, list(paths))
        result = run_crawl(
            "article",
            ["-a", f"urls_file={urls}", "-s", "RETRY_BACKOFF_BASE=0.2"],
            tmp_path / "data",
            name="retry_after",
        )
    assert result.returncode == 0, result.stderr[-5000:]
    check_common(result)
    assert sorted(result.by_path(site)) == sorted(paths)
    assert all(site.requests_for(path) == 2 for path in paths)
    assert "ValueError" not in result.stderr
    assert result.counters("pages/failed/") == {}


# --- items 1 and 2: tracking parameters go, everything else stays byte for byte --------------------------------
@pytest.mark.parametrize(
    "url",
    [
        "http://x.example/index.php?/archives/2026/05/06/harbour-news.html",
        "http://x.example/a?rubrique=%E9conomie",
        "http://x.example/a?flag",
        "http://x.example/a?b=2&a=1&&c=%2F&d=a+b%20c",
        "http://[2001:db8::1]:8080/2026/05/01/a/?id=3",
        "http://[::1]/a",
        "http://x.example/a;jsessionid=1?x=%zz",
        "http://x.example/wiki/Caf%C3%A9?title=%C3%A9t%C3%A9",
    ],
)
def test_strip_tracking_keeps_every_other_byte(url: str) -> None:
    assert strip_tracking(url) == url
    assert strip_tracking(url + ("&" if "?" in url else "?") + "utm_source=tw&ref=home#top") == url


@pytest.mark.parametrize(
    ("url", "stripped"),
    [
        ("HTTPS://User:Secret@WWW.X.Example:443/A/B?ID=5", "https://www.x.example/A/B?ID=5"),
        ("http://user@host.example/a", "http://host.example/a"),
        ("http://[2001:DB8::1]:80/a", "http://[2001:db8::1]/a"),
        ("http://x.example:8080", "http://x.example:8080/"),
        ("http://x.example/a?ref=1", "http://x.example/a"),
        ("http://x.example/a?utm%5Fsource=1&id=2", "http://x.example/a?id=2"),
        ("http://x.example/a?src=rss&cmpid=1&ito=2&CMP=x&INTCMP=y&fbclid=z&story=7", "http://x.example/a?story=7"),
    ],
)
def test_strip_tracking_normalises_only_scheme_host_port_and_user_info(url: str, stripped: str) -> None:
    assert strip_tracking(url) == stripped


@pytest.mark.parametrize(
    "name",
    [
        "id",
        "p",
        "page",
        "story",
        "s",
        "q",
        "source",
        "cid",
        "article",
        "v",
        "t",
        "lang",
        "date",
        "year",
        "refresh",
        "reference",
        "srcset",
        "prefix",
    ],
)
def test_content_selecting_parameters_are_kept(name: str) -> None:
    url = f"http://x.example/a?{name}=7"
    assert strip_tracking(url) == url  # so it is not the key of http://x.example/a


def test_referral_variants_share_one_key() -> None:
    keys = {strip_tracking(f"http://x.example/2026/05/03/a-b-c/?ref={n}") for n in range(150)}
    keys |= {strip_tracking(f"http://x.example/2026/05/03/a-b-c/?{q}") for q in ("src=rss", "cmpid=nl", "ito=3")}
    assert keys == {strip_tracking("http://x.example/2026/05/03/a-b-c/")}


REFERRALS = Path(__file__).resolve().parent / "sites" / "trust_urls" / "referrals"
# content selected by the query (sitemap entries with news: hints, so their shape does not matter here)
BY_QUERY = {
    "/story.php?id=101": "the lifeboat crew",
    "/story.php?id=102": "the quay market",
    "/index.php?/archives/2026/05/06/harbour-news.html": "the harbour news",
    "/rubrique.php?rubrique=%E9conomie&page=2": "the fish prices",
    "/flag.php?print": "the flag ceremony",
}


def test_one_article_under_150_referral_urls_is_fetched_and_archived_once(tmp_path: Path) -> None:
    routes: dict[str, Any] = {
        path: page(article_html(topic.capitalize(), english(topic))) for path, topic in BY_QUERY.items()
    }
    with serve_faults(routes, root=REFERRALS) as site:
        result = run_crawl("news", ["-a", f"site={site.url}"], tmp_path / "data", name="referrals")
    assert result.returncode == 0, result.stderr[-5000:]
    check_common(result)
    story = "/2026/05/03/council-budget-approved/"
    assert [p for _, p, _ in site.access_log if p.startswith(story)] == [story]
    assert sorted(result.by_path(site)) == sorted([story, *BY_QUERY])
    for path in BY_QUERY:  # each fetched once, exactly as listed (tracking parameters aside)
        assert site.requests_for(path) == 1, (path, site.access_log)


# --- item 4: a site is its host, not every customer of a shared host ---------------------------------------------
@pytest.mark.parametrize(
    ("url", "allowed"),
    [
        ("https://someblog.wordpress.com/", ["someblog.wordpress.com"]),
        ("https://www.someblog.wordpress.com/", ["someblog.wordpress.com"]),
        ("https://someblog.substack.com/p/x", ["someblog.substack.com"]),
        ("https://someblog.blogspot.com/", ["someblog.blogspot.com"]),
        ("https://someone.github.io/blog/", ["someone.github.io"]),
        ("https://someone.medium.com/", ["someone.medium.com"]),
        ("https://news.bbc.co.uk/", ["news.bbc.co.uk"]),
        ("https://www.bbc.co.uk/news", ["bbc.co.uk"]),  # `www.` is the site itself, not one of its hosts
        ("https://www.wordpress.com/", ["www.wordpress.com"]),
        ("http://127.0.0.1:8080/", ["127.0.0.1"]),
    ],
)
def test_a_site_given_by_url_is_limited_to_its_host(url: str, allowed: list[str]) -> None:
    site = site_from_url(url)
    assert site.allowed_domains == allowed
    sibling = url.replace("someblog", "otherblog").replace("someone", "another").replace("news.bbc", "sport.bbc")
    if sibling != url:
        assert not site.allows(sibling)
    assert site.allows(url)


def test_sites_file_entries_on_shared_hosts_do_not_widen_to_siblings(tmp_path: Path) -> None:
    path = tmp_path / "sites.toml"
    path.write_text(
        '[[site]]\nid = "a"\nstart_urls = ["https://someblog.blogspot.com/"]\n'
        '[[site]]\nid = "b"\nstart_urls = ["https://someblog.wordpress.com/"]\n'
        'feeds = ["https://someblog.substack.com/feed"]\n'
        '[[site]]\nid = "c"\nstart_urls = ["https://www.bbc.co.uk/"]\n'
        '[[site]]\nid = "d"\nstart_urls = ["https://someblog.wordpress.com/"]\n'
        'allowed_domains = ["wordpress.com"]\n'
    )
    a, b, c, d = load_sites(path)
    assert a.allowed_domains == ["someblog.blogspot.com"]
    assert b.allowed_domains == ["someblog.substack.com", "someblog.wordpress.com"]
    assert not b.allows("https://otherblog.wordpress.com/2026/05/01/x/")
    assert c.allowed_domains == ["bbc.co.uk"] and c.allows("https://news.bbc.co.uk/2026/05/01/x/")
    assert d.allows("https://otherblog.wordpress.com/2026/05/01/x/")  # the configuration widened it


def test_a_crawl_of_one_blog_does_not_fetch_its_sibling_on_the_same_shared_host(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Both blogs are served by one local server acting as the crawl's HTTP proxy: real host names, no network."""
    own, sibling = "http://someblog.wordpress.com", "http://otherblog.wordpress.com"
    home = (
        f'<html><body><h1>Some blog</h1><a href="/2026/05/01/own-story/">Own story</a>'
        f'<a href="{sibling}/2026/05/01/sibling-story/">A friend writes</a>'
        f'<a href="{sibling}/">Friend</a></body></html>'
    )
    routes: dict[str, Any] = {
        f"{own}/": page(home),
        f"{own}/2026/05/01/own-story/": page(article_html("Own story", english("the own story"))),
        f"{sibling}/2026/05/01/sibling-story/": page(article_html("Sibling story", english("the sibling story"))),
        f"{sibling}/": page(home),
    }
    with serve_faults(routes) as proxy:
        monkeypatch.setenv("http_proxy", proxy.url)
        monkeypatch.delenv("no_proxy", raising=False)
        monkeypatch.delenv("NO_PROXY", raising=False)
        result = run_crawl("news", ["-a", f"site={own}/"], tmp_path / "data", name="shared_host")
    assert result.returncode == 0, result.stderr[-5000:]
    check_common(result)
    assert [r["url"] for r in result.records()] == [f"{own}/2026/05/01/own-story/"]
    assert [p for _, p, _ in proxy.access_log if p.startswith(sibling)] == []
    assert proxy.requests_for(f"{own}/2026/05/01/own-story/") == 1


# --- item 3: a sitemap or feed that declares entities keeps its plain URLs ---------------------------------------
ENTITIES = Path(__file__).resolve().parent / "sites" / "trust_urls" / "entities"
PLAIN = {  # the entries of tests/sites/trust_urls/entities whose URL holds no entity reference
    "/2026/05/11/tide-tables-printed-again/": "the tide tables",  # sitemap with internal, external and lol entities
    "/2026/05/13/lighthouse-open-day/": "the lighthouse open day",
    "/2026/05/14/ferry-fares-frozen/": "the ferry fares",  # sitemap with a parameter entity naming a remote DTD
    "/2026/05/15/harbour-fair-returns/": "the harbour fair",  # feed with entities
    "/2026/05/17/gulls-and-terns-counted/": "the gull census",
}


def test_sitemaps_and_feeds_that_declare_entities_keep_their_plain_urls(tmp_path: Path) -> None:
    routes: dict[str, Any] = {
        path: page(article_html(topic.capitalize(), english(topic))) for path, topic in PLAIN.items()
    }
    with serve_faults(routes, root=ENTITIES) as site:
        result = run_crawl("news", ["-a", f"site={site.url}"], tmp_path / "data", name="entities")
    assert result.returncode == 0, result.stderr[-5000:]
    check_common(result)
    assert sorted(result.by_path(site)) == sorted(PLAIN)
    # nothing expanded, nothing fetched for an entity, no URL cut short at an entity reference
    assert site.requests_for("/evil.dtd") == 0
    assert [p for _, p, _ in site.access_log if p.startswith("/2026/") and p not in PLAIN] == []
    assert "lollol" not in result.stderr and all("lollol" not in json.dumps(r) for r in result.records())
    assert result.stat("site/127.0.0.1/discovery/entities_ignored") == 3
    assert result.stat("site/127.0.0.1/discovery/entity_urls_skipped") == 3
    assert result.counters("pages/failed/") == {}
    for document in ("sitemaps/news.xml", "sitemaps/remote-dtd.xml", "feeds/news.rss"):
        [line] = result.lines_about(site.url + document)
        assert " WARNING: " in line and "declares XML entities" in line, line
