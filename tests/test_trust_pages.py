"""What a page is, the page decides; canonicals that name no article; <base href>; revisits that change nothing.

Real `scrapy crawl` runs against fixture sites under tests/sites/trust_pages, served on loopback.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import lxml.html
import pytest

from archive import Archive
from devtools.siteserver import Site, serve
from scraper.discovery.urlclass import article_signal
from scraper.stable import canonical_problem, without_volatile
from tests.support.crawl import run_crawl
from tests.support.paths import SITES

TRUST = SITES / "trust_pages"
NAV_ARTICLES = [  # article pages whose URLs look like navigation (short, undated, id-less)
    "/a/ok-story/",  # JSON-LD NewsArticle; linked from the home page (with utm_*) and listed in the news sitemap
    "/a/tide-gauge/",  # og:type article + article:published_time; linked only from the next one (depth 2)
    "/article/ukraine-war-9f3e2",  # an <article> with a dated byline, nothing else
    "/news/articles/c0l9x2y3z4",  # og:type article + article:published_time
    "/stories/harbour-wall-repairs-finished-ahead-of-winter-storms/",  # linked relative to the section's <base>
]
CANON_ARTICLES = [
    "/2026/11/01/latest-headlines-from-the-estuary/",  # an article the next-but-three and next-but-four name
    "/2026/11/20/estuary-bridge-to-close-for-repairs/",  # rel=canonical -> home page
    "/2026/11/21/new-bus-route-links-the-two-villages/",  # og:url -> home page
    "/2026/11/22/school-wins-national-science-prize/",  # rel=canonical -> its section page
    "/2026/11/23/market-square-to-get-new-trees/",  # rel=canonical -> the first one, as does the next
    "/2026/11/24/library-extends-its-opening-hours/",
    "/2026/11/25/harbour-cafe-reopens-after-flood/",  # a true canonical (itself); linked with utm_source
    "/2026/11/26/ferry-fares-frozen-teaser/",  # a teaser whose canonical names the other site's article
]
FERRY = "/2026/11/26/ferry-fares-frozen-for-another-year/"
REVISED = "/2026/11/25/harbour-ferry-timetable-extended-into-winter/"


def _fetches(site: Site, prefix: str) -> int:
    return sum(1 for _, p, _ in site.access_log if p.split("?")[0] == prefix)


def test_articles_at_navigation_urls_are_archived_once_and_sections_are_not(tmp_path: Path) -> None:
    archive = tmp_path / "data"
    with serve(TRUST / "nav", host="127.0.0.6") as site:
        first = run_crawl("news", ["-a", f"site={site.url}"], archive)
        assert first.returncode == 0, first.stderr[-3000:]
        assert first.paths(site) == NAV_ARTICLES
        # the home page, the section page (teaser <article>s, an ItemList of NewsArticles) and the About page are
        # navigation: not archived, and not even handed to the pipelines, so no "Dropped" line every run
        assert "Dropped" not in first.stderr, first.stderr[-3000:]
        assert first.stat("articles/archived") == len(NAV_ARTICLES)
        # four reached only as navigation; ok-story as navigation too unless its sitemap request came first
        assert first.stat("discovery/navigation_articles") in (4, 5)
        # reached from the home page (with utm_source) and from the news sitemap: fetched once
        assert _fetches(site, "/a/ok-story/") == 1
        # <base href="/stories/"> on the section page: the link resolves under /stories/, not /sport/
        assert not [p for _, p, _ in site.access_log if p.startswith("/sport/harbour")]

        site.access_log.clear()
        second = run_crawl("news", ["-a", f"site={site.url}"], archive)
    assert second.returncode == 0, second.stderr[-3000:]
    assert len(second.records()) == len(NAV_ARTICLES)  # nothing archived twice
    assert "Dropped" not in second.stderr, second.stderr[-3000:]
    assert second.stat("discovery/already_archived") >= len(NAV_ARTICLES)
    for path in NAV_ARTICLES:
        assert _fetches(site, path) <= 1


def _canon_sites(tmp_path: Path, other: Site) -> Path:
    folder = tmp_path / "canon"
    shutil.copytree(TRUST / "canon", folder)
    teaser = folder / CANON_ARTICLES[-1].strip("/") / "index.html"
    teaser.write_text(teaser.read_text().replace("__OTHER__", other.url.rstrip("/")))
    return folder


@pytest.mark.parametrize("order", [[], ["-s", "CONCURRENT_REQUESTS=1"]], ids=["concurrent", "one-by-one"])
def test_canonicals_that_name_no_article_of_this_page_are_not_dedupe_keys(tmp_path: Path, order: list[str]) -> None:
    # one by one: a page naming the first article as its canonical, that article, then another such page
    archive = tmp_path / "data"
    with serve(TRUST / "other", host="127.0.0.8") as other:
        with serve(_canon_sites(tmp_path, other), host="127.0.0.7") as site:
            first = run_crawl("news", ["-a", f"site={site.url}", *order], archive)
            assert first.returncode == 0, first.stderr[-3000:]
            assert first.paths(site) == CANON_ARTICLES  # eight distinct articles, none lost
            assert first.stat("articles/dropped/duplicate_url") == 0
            for reason in ("home", "section", "shared", "other_site"):
                assert first.stat(f"articles/canonical_ignored/{reason}") >= 1, reason
            assert "Ignored the canonical" in first.stderr
            records = {str(r["url"]).removeprefix(site.url.rstrip("/")): r for r in first.records()}
            assert records[CANON_ARTICLES[1]]["canonical_url"] is None  # the page's claim is no key of ours
            cafe = records[CANON_ARTICLES[6]]["canonical_url"]
            assert cafe == f"{site.url.rstrip('/')}{CANON_ARTICLES[6]}"  # a true canonical stays

            site.access_log.clear()
            second = run_crawl("news", ["-a", f"site={site.url}"], archive)
            assert len(second.records()) == len(CANON_ARTICLES)  # nothing again, nothing dropped as a duplicate
            assert sum(_fetches(site, p) for p in CANON_ARTICLES) == 0
        # the teaser on the first site named this article as its canonical: the article is still fetched
        other_run = run_crawl("news", ["-a", f"site={other.url}"], archive)
    assert other_run.returncode == 0, other_run.stderr[-3000:]
    assert other_run.paths(other) == [FERRY]
    assert other.requests_for(FERRY) == 1


def test_links_resolve_against_base_href(tmp_path: Path) -> None:
    with serve(TRUST / "nav", host="127.0.0.11") as site:
        result = run_crawl("news", ["-a", f"site={site.url}", "-s", "NEWS_NAVIGATION_DEPTH=1"], tmp_path / "data")
    assert result.returncode == 0, result.stderr[-3000:]
    assert site.requests_for("/stories/harbour-wall-repairs-finished-ahead-of-winter-storms/") == 1
    assert not [p for _, p, _ in site.access_log if p.startswith("/sport/harbour")]
    assert "/stories/harbour-wall-repairs-finished-ahead-of-winter-storms/" in result.paths(site)
    assert result.stat("pages/failed/http_404") == 0


def _bump(folder: Path, lastmod: str, counter: str, text: tuple[str, str] | None = None) -> None:
    sitemap = folder / "sitemap.xml"
    sitemap.write_text(re.sub(r"<lastmod>[^<]*</lastmod>", f"<lastmod>{lastmod}</lastmod>", sitemap.read_text()))
    page = folder / REVISED.strip("/") / "index.html"
    html = re.sub(r"\d,\d{3}", counter, page.read_text())
    html = re.sub(r"Updated \d+ minutes ago", "Updated 2 minutes ago", html)
    if text:
        html = html.replace(*text)
    page.write_text(html)


def test_a_revisit_needs_changed_text_and_waits_for_the_revisit_window(tmp_path: Path) -> None:
    folder, archive = tmp_path / "site", tmp_path / "data"
    shutil.copytree(TRUST / "revisit", folder)
    now = ["-s", "ARTICLE_REVISIT_MIN_HOURS=0"]
    with serve(folder, host="127.0.0.10") as site:
        first = run_crawl("news", ["-a", f"site={site.url}"], archive)
        assert first.returncode == 0, first.stderr[-3000:]
        assert first.paths(site) == [REVISED]
        assert "viewed" not in str(first.records()[0]["text"])  # counters are no part of the article

        # The sitemap says "changed now" and the counters moved: fetched again, nothing new archived.
        _bump(folder, "2099-01-01T00:00:00+00:00", "1,377")
        site.access_log.clear()
        second = run_crawl("news", ["-a", f"site={site.url}", *now], archive)
        assert site.requests_for(REVISED) == 1
        assert second.stat("articles/dropped/unchanged") == 1 and second.stat("articles/revised") == 0
        assert len(second.records()) == 1

        # Inside the revisit window (default ARTICLE_REVISIT_MIN_HOURS), not even fetched: counted.
        _bump(folder, "2099-01-02T00:00:00+00:00", "1,412")
        site.access_log.clear()
        third = run_crawl("news", ["-a", f"site={site.url}"], archive)
        assert site.requests_for(REVISED) == 0
        assert third.stat("discovery/revisit_too_soon") == 1

        # A real correction after the window: a revision.
        _bump(folder, "2099-01-03T00:00:00+00:00", "1,500", ("forty minutes", "thirty minutes"))
        fourth = run_crawl("news", ["-a", f"site={site.url}", *now], archive)
    assert fourth.stat("articles/revised") == 1
    versions = Archive(archive).get(f"{site.url.rstrip('/')}{REVISED}")
    assert len(versions) == 2 and "thirty minutes" in versions[1]["text"]


def test_volatile_lines_are_no_part_of_the_text() -> None:
    text = "\n\n".join(
        [
            "Updated 5 minutes ago. Read by 1,204 people.",
            "The ferry will run until January.",
            "This article has been viewed 1,204 times.",
            "1.2k views · 34 comments",
            "Last updated: 25 Nov 2026, 10:14 GMT",
            "Updated guidance was published in 2024 after 12 comments from residents.",
            "Views: 1204",
            "She said she had read the report 3 times.",
        ]
    )
    assert without_volatile(text).split("\n\n") == [
        "The ferry will run until January.",
        "Updated guidance was published in 2024 after 12 comments from residents.",
        "She said she had read the report 3 times.",
    ]


@pytest.mark.parametrize(
    ("url", "canonical", "problem"),
    [
        ("https://www.x.com/2026/11/20/story/", "https://x.com/", "home"),
        ("https://x.com/2026/11/20/story/", "https://x.com/index.html", "home"),
        ("https://x.com/news/local/story-about-the-ferry", "https://x.com/news/", "section"),
        ("https://x.com/2026/11/20/story-about-the-ferry/", "https://x.com/tag/ferry/", "section"),
        ("https://x.com/2026/11/20/story/", "https://y.org/2026/11/20/story/", "other_site"),
        ("https://a.wordpress.com/2026/11/20/story/", "https://b.wordpress.com/2026/11/20/story/", "other_site"),
        ("https://m.x.com/2026/11/20/story/", "https://www.x.com/2026/11/20/story/", None),  # the mobile page's own
        ("https://x.com/2026/11/20/story/amp/", "https://x.com/2026/11/20/story/", None),  # AMP: named by its article
        ("https://x.com/a/ok-story/", "https://x.com/?p=123", None),  # WordPress short link: an article
    ],
)
def test_canonical_problem(url: str, canonical: str, problem: str | None) -> None:
    assert canonical_problem(url, canonical) == problem


_HEAD = "<html><head>{}</head><body>{}</body></html>"


@pytest.mark.parametrize(
    ("url", "head", "body", "signal"),
    [
        (
            "https://x.com/a/s/",
            '<meta property="article:published_time" content="2026-11-20">',
            "",
            "article:published_time",
        ),
        ("https://x.com/a/s/", '<script type="application/ld+json">{"@type": "BlogPosting"}</script>', "", "json-ld"),
        (
            "https://x.com/a/s/",
            '<script type="application/ld+json">{"@type": "NewsArticle", "url": "/a/s"}</script>'
            '<script type="application/ld+json">{"@type": "NewsArticle", "url": "/b/t"}</script>',
            "",
            "json-ld",
        ),
        ("https://x.com/a/s/", '<meta property="og:type" content="article">', "<article>x</article>", "og:type"),
        (
            "https://x.com/a/s/",
            "",
            '<article><p>By A, <time datetime="2026-11-20">20 Nov</time></p></article>',
            "dated <article>",
        ),
        # listings: teasers in an ItemList, several dated <article>s, og:type=article on a list, the home page
        (
            "https://x.com/sport/",
            '<script type="application/ld+json">{"@type": "ItemList", "itemListElement": ['
            '{"@type": "NewsArticle", "url": "/a/s/"}, {"@type": "NewsArticle", "url": "/a/t/"}]}</script>',
            "",
            None,
        ),
        ("https://x.com/sport/", "", "<article><time>1</time></article><article><time>2</time></article>", None),
        ("https://x.com/sport/", '<meta property="og:type" content="article">', "<article></article>" * 3, None),
        ("https://x.com/", '<script type="application/ld+json">{"@type": "NewsArticle"}</script>', "", None),
    ],
)
def test_article_signal(url: str, head: str, body: str, signal: str | None) -> None:
    assert article_signal(lxml.html.document_fromstring(_HEAD.format(head, body)), url) == signal


def test_an_older_record_naming_another_sites_article_as_canonical_does_not_stop_it(tmp_path: Path) -> None:
    """Archives written before canonicals were checked hold teasers whose canonical_url names another site's
    article; the incremental check must not take that article as archived."""
    archive = tmp_path / "data"
    with serve(TRUST / "other", host="127.0.0.8") as other:
        teaser = {
            "schema_version": 1,
            "url": "http://127.0.0.7:8000/2026/11/26/ferry-fares-frozen-teaser/",
            "canonical_url": other.url.rstrip("/") + FERRY,
            "site": "127.0.0.7",
            "site_name": None,
            "title": "Ferry fares frozen",
            "description": None,
            "authors": [],
            "published_at": None,
            "modified_at": None,
            "language": "en",
            "section": None,
            "tags": [],
            "image": None,
            "text": "A teaser.",
            "word_count": 2,
            "content_hash": "0" * 64,
            "crawled_at": "2026-11-01T10:00:00+00:00",
            "spider": "news",
            "run_id": "old",
            "http_status": 200,
        }
        day = archive / "2026-11-01"
        day.mkdir(parents=True)
        (day / "news-old.jsonl").write_text(json.dumps(teaser) + "\n", encoding="utf-8")
        result = run_crawl("news", ["-a", f"site={other.url}"], archive)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.paths(other) == [FERRY]
    assert other.requests_for(FERRY) == 1
