"""The `news` spider over two fixture sites on loopback: discovery, robots.txt, dedupe, incremental runs."""

from __future__ import annotations

import gzip
import re
import shutil
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest

from archive import Archive
from devtools.siteserver import Site, serve
from tests.support.crawl import run_crawl, start_crawl, wait_for_records
from tests.support.paths import SITES

A_ARTICLES = {
    "/2026/11/20/second-lifeboat-station-approved/",  # home page (with utm_*), tag page, pagination page 2
    "/2026/11/21/sunday-evening-ferry-added/",  # RSS only, with utm_* parameters
    "/2026/11/22/pupils-plant-river-trees/",  # gzipped sitemap, section and author pages
    "/2026/11/23/customs-house-museum/",  # news sitemap, tag page
    "/2026/11/24/night-buses-trial/",  # news sitemap, RSS, home page
}
B_ARTICLES = {
    "/news/dairy-cooperative-opens-station-cheese-shop",  # Atom feed found through <link rel=alternate>
    "/news/landslip-closes-upper-valley-road",  # home page
}
SYNDICATED = "/news/county-approves-second-lifeboat-station-estuary"  # site b's copy of a1's text


@pytest.fixture(scope="module")
def sites() -> Iterator[tuple[Site, Site]]:
    """Site a on 127.0.0.2 and site b on 127.0.0.3 (different hosts, so domains tell them apart)."""
    with serve(SITES / "multi" / "a", host="127.0.0.2") as a, serve(SITES / "multi" / "b", host="127.0.0.3") as b:
        yield a, b


def _sites_toml(tmp_path: Path, a: Site, b: Site, extra_a: str = "") -> Path:
    path = tmp_path / "sites.toml"
    path.write_text(
        f"""
[[site]]
id = "riverside"
start_urls = ["{a.url}"]
max_age_days = 3650
{extra_a}

[[site]]
id = "valley"
start_urls = ["{b.url}"]
boilerplate_patterns = ["support the valley times: .*"]
""",
        encoding="utf-8",
    )
    return path


def _article_fetches(site: Site, paths: set[str]) -> int:
    return sum(1 for _, p, _ in site.access_log if p.split("?")[0].split("#")[0] in paths)


def test_discovery_finds_every_article_once_and_second_run_adds_nothing(
    sites: tuple[Site, Site], tmp_path: Path
) -> None:
    a, b = sites
    a.access_log.clear()
    b.access_log.clear()
    config = _sites_toml(tmp_path, a, b)
    archive = tmp_path / "data"
    first = run_crawl("news", ["-a", f"sites={config}"], archive)
    assert first.returncode == 0, first.stderr[-3000:]
    records = first.records()
    assert first.paths(a) == sorted(A_ARTICLES)
    assert first.paths(b) == sorted(B_ARTICLES)
    assert len(records) == len({r["url"] for r in records}) == 7
    assert {r["site"] for r in records} == {"riverside", "valley"}

    # robots.txt: the disallowed article listed in the sitemap is never fetched
    assert not [p for _, p, _ in a.access_log if p.startswith("/private/")]
    # max_age_days: the 2001 story listed in the sitemap is skipped without a fetch
    assert a.requests_for("/2001/05/04/harbour-electric-lights/") == 0
    # a redirect to a host outside the sites' domains is not followed
    assert a.requests_for("/2026/11/19/story-that-moved-to-another-site/") == 1
    assert first.stat("offsite/filtered") == 1  # Scrapy's OffsiteMiddleware, fed the sites' domains
    # login and search links are never followed; the About page is fetched and dropped
    assert a.requests_for("/login/") == 0 and not [p for _, p, _ in a.access_log if p.startswith("/search")]
    assert first.stat("articles/dropped/not_article") == 1
    assert "Dropped: not_article" in first.stderr and "about-the-riverside-chronicle-and-its-team" in first.stderr
    # the syndicated copy on site b is fetched, recognised by its text, and not archived
    assert first.stat("articles/dropped/duplicate_content") == 1
    # the site's own boilerplate pattern applies to its pages (and only there: see test_one_site_...)
    dairy = next(r for r in records if str(r["url"]).endswith("/dairy-cooperative-opens-station-cheese-shop"))
    assert "Support the Valley Times" not in str(dairy["text"]) and "Farmers said" in str(dairy["text"])
    # news sitemap hints reach the record
    night = next(r for r in records if str(r["url"]).endswith("/night-buses-trial/"))
    assert night["published_at"] == "2026-11-24T07:05:00+00:00" and night["authors"] == ["Omar Haddad"]
    # each article page fetched once, whatever the number of routes to it
    assert _article_fetches(a, A_ARTICLES) == len(A_ARTICLES)
    # one summary line per site
    assert re.search(r"site riverside: \d+ responses, 5 articles archived", first.stderr)
    assert re.search(r"site valley: \d+ responses, 2 articles archived", first.stderr)

    a.access_log.clear()
    b.access_log.clear()
    second = run_crawl("news", ["-a", f"sites={config}"], archive)
    assert second.returncode == 0, second.stderr[-3000:]
    assert len(second.records()) == 7  # nothing added
    assert _article_fetches(a, A_ARTICLES) == 0 and _article_fetches(b, B_ARTICLES) == 0
    assert a.requests_for("/feed.xml") == 1 and a.requests_for("/sitemap-news.xml") == 1  # discovery again
    assert a.requests_for("/") == 1 and b.requests_for("/atom.xml") == 1
    assert "already archived, not fetched again" in second.stderr


def test_one_site_with_no_configuration(sites: tuple[Site, Site], tmp_path: Path) -> None:
    a, b = sites
    plain = run_crawl("news", ["-a", f"site={b.url}"], tmp_path / "b")
    dairy = next(r for r in plain.records() if str(r["url"]).endswith("/dairy-cooperative-opens-station-cheese-shop"))
    assert "Support the Valley Times: become a member today" in str(dairy["text"])  # no site pattern here
    result = run_crawl("news", ["-a", f"site={a.url}"], tmp_path / "data")
    assert result.returncode == 0, result.stderr[-3000:]
    records = result.records()
    # without max_age_days the 2001 story is an article like the others
    assert result.paths(a) == sorted(A_ARTICLES | {"/2001/05/04/harbour-electric-lights/"})
    assert {r["site"] for r in records} == {"127.0.0.2"}


def test_exclude_patterns(sites: tuple[Site, Site], tmp_path: Path) -> None:
    a, b = sites
    config = _sites_toml(tmp_path, a, b, extra_a='exclude = ["/2026/11/2[12]/"]')
    result = run_crawl("news", ["-a", f"sites={config}"], tmp_path / "data")
    assert result.paths(a) == sorted(
        A_ARTICLES - {"/2026/11/21/sunday-evening-ferry-added/", "/2026/11/22/pupils-plant-river-trees/"}
    )
    assert result.paths(b) == sorted(B_ARTICLES)


def test_max_pages_caps_the_pages_fetched_from_a_site(sites: tuple[Site, Site], tmp_path: Path) -> None:
    a, b = sites
    a.access_log.clear()
    config = _sites_toml(tmp_path, a, b, extra_a="max_pages = 3")
    result = run_crawl("news", ["-a", f"sites={config}"], tmp_path / "data")
    fetched = {p.split("?")[0].split("#")[0] for _, p, _ in a.access_log}
    assert len(fetched & (A_ARTICLES | {"/about-the-riverside-chronicle-and-its-team/"})) == 3
    assert len(result.paths(a)) <= 3
    assert result.stat("site/riverside/discovery/over_max_pages") > 0


def test_a_site_with_no_articles_fails_the_run(tmp_path: Path) -> None:
    empty = tmp_path / "empty-site"
    empty.mkdir()
    (empty / "index.html").write_text("<html><body><h1>Nothing here yet</h1></body></html>")
    with serve(empty, host="127.0.0.4") as site:
        result = run_crawl("news", ["-a", f"site={site.url}"], tmp_path / "data")
    assert result.returncode == 3
    assert re.search(r"ERROR: site 127.0.0.4: .* no article found", result.stderr)


def test_a_run_stopped_early_judges_no_site(tmp_path: Path) -> None:
    """A run that did not finish (here a page budget; also a signal, Redis or the archive gone) did not give every
    site its chance: no site is called unhealthy, and the exit status is not 3."""
    empty = tmp_path / "empty-site"
    empty.mkdir()
    (empty / "index.html").write_text("<html><body><h1>Nothing here yet</h1></body></html>")
    with serve(empty, host="127.0.0.4") as site:
        result = run_crawl("news", ["-a", f"site={site.url}", "-s", "CLOSESPIDER_PAGECOUNT=1"], tmp_path / "data")
    assert result.returncode == 0, result.stderr[-3000:]
    assert "no article found" not in result.stderr and " ERROR: " not in result.stderr
    assert "Run stopped early (closespider_pagecount): no site is judged unhealthy" in result.stderr
    assert result.stats["summary/unhealthy_sites"] == []


def test_sigkill_then_restart_loses_nothing_and_duplicates_nothing(sites: tuple[Site, Site], tmp_path: Path) -> None:
    a, b = sites
    config = _sites_toml(tmp_path, a, b)
    archive = tmp_path / "data"
    child = start_crawl(
        "news", ["-a", f"sites={config}", "-s", "CONCURRENT_REQUESTS=1", "-s", "DOWNLOAD_DELAY=0.3"], archive
    )
    wait_for_records(archive, 1, child)
    child.send_signal(signal.SIGKILL)
    child.wait()
    archived_before = {
        line for f in archive.glob("*/*.jsonl") for line in f.read_text().splitlines() if line.endswith("}")
    }
    assert archived_before, "the crawl was killed before it archived anything"
    result = run_crawl("news", ["-a", f"sites={config}"], archive)
    assert result.returncode == 0, result.stderr[-3000:]
    lines = [line for f in sorted(archive.glob("*/*.jsonl")) for line in f.read_text().splitlines()]
    whole = [line for line in lines if line.endswith("}")]
    assert archived_before <= set(whole)  # nothing written before the kill was lost
    urls = [re.search(r'"url":"([^"]+)"', line).group(1) for line in whole]  # type: ignore[union-attr]
    assert sorted(urls) == sorted(set(urls)) and len(urls) == 7  # every article once


def test_pause_and_resume_with_jobdir(sites: tuple[Site, Site], tmp_path: Path) -> None:
    a, b = sites
    config = _sites_toml(tmp_path, a, b)
    archive, jobdir = tmp_path / "data", tmp_path / "job"
    child = start_crawl(
        "news",
        ["-a", f"sites={config}", "-s", f"JOBDIR={jobdir}", "-s", "CONCURRENT_REQUESTS=1", "-s", "DOWNLOAD_DELAY=0.2"],
        archive,
    )
    wait_for_records(archive, 1, child)
    child.send_signal(signal.SIGINT)  # Ctrl-C: Scrapy finishes what is in flight and saves its queue
    _, err = child.communicate(timeout=60)
    assert "shutdown" in err.lower() or "closing spider (shutdown)" in err.lower(), err[-2000:]
    paused = len([line for f in archive.glob("*/*.jsonl") for line in f.read_text().splitlines()])
    assert 0 < paused < 7
    assert (jobdir / "requests.queue").exists()

    resumed = run_crawl("news", ["-a", f"sites={config}", "-s", f"JOBDIR={jobdir}"], archive)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    records = resumed.records()
    assert len(records) == len({r["url"] for r in records}) == 7


def test_a_changed_article_is_archived_again_as_a_revision(tmp_path: Path) -> None:
    folder = tmp_path / "site"
    shutil.copytree(SITES / "multi" / "a", folder)
    trees, lights = "/2026/11/22/pupils-plant-river-trees/", "/2001/05/04/harbour-electric-lights/"
    archive = tmp_path / "data"
    with serve(folder, host="127.0.0.5") as site:
        first = run_crawl("news", ["-a", f"site={site.url}"], archive)
        assert first.returncode == 0 and len(first.records()) == 6
        # The site corrects one story and touches another; its sitemap says so with a later <lastmod>.
        page = folder / trees.strip("/") / "index.html"
        page.write_text(page.read_text().replace("four hundred native trees", "five hundred native trees"))
        sitemap = folder / "sitemap-posts.xml.gz"
        xml = gzip.decompress(sitemap.read_bytes()).decode()
        xml = xml.replace("2026-11-22T10:15:00+00:00", "2099-01-01T00:00:00+00:00")
        xml = xml.replace("2001-05-04T12:00:00+00:00", "2099-01-01T00:00:00+00:00")
        sitemap.write_bytes(gzip.compress(xml.encode(), mtime=0))
        site.access_log.clear()
        second = run_crawl("news", ["-a", f"site={site.url}", "-s", "ARTICLE_REVISIT_MIN_HOURS=0"], archive)
    assert second.returncode == 0, second.stderr[-3000:]
    assert site.requests_for(trees) == 1 and site.requests_for(lights) == 1  # both fetched again
    assert _article_fetches(site, A_ARTICLES - {trees}) == 0  # nothing else
    assert second.stat("articles/revised") == 1 and second.stat("articles/dropped/unchanged") == 1
    versions = Archive(archive).get(f"{site.url.rstrip('/')}{trees}")
    assert len(versions) == 2
    assert "four hundred" in versions[0]["text"] and "five hundred" in versions[1]["text"]
    assert len(second.records()) == 7
