"""Discovery parts on their own: sitemaps, feeds, URL shapes, tracking parameters, sites.toml."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from scraper.arguments import SpiderArgumentError
from scraper.discovery.feeds import FeedError, parse_feed
from scraper.discovery.sitemaps import SitemapError, parse_sitemap, sitemaps_in_robots
from scraper.discovery.urlclass import UrlKind, classify_url
from scraper.sites import load_sites, site_from_url
from scraper.urls import registered_domain, strip_tracking

NEWS_SITEMAP = b"""<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" xmlns:news="http://www.google.com/schemas/sitemap-news/0.9"
        xmlns:image="http://www.google.com/schemas/sitemap-image/1.1">
  <url>
    <image:image><image:loc>https://x.example/img/1.jpg</image:loc></image:image>
    <loc>https://x.example/2026/03/01/story/</loc>
    <news:news>
      <news:publication><news:name>X</news:name><news:language>de</news:language></news:publication>
      <news:publication_date>2026-03-01T10:00:00+01:00</news:publication_date>
      <news:title>A  title</news:title><news:keywords>Politik, Wahl</news:keywords>
    </news:news>
  </url>
  <url><loc>https://x.example/2026/03/02/other/</loc><lastmod>2026-03-02</lastmod></url>
</urlset>"""


def test_news_sitemap_entries_carry_their_hints() -> None:
    first, second = parse_sitemap(NEWS_SITEMAP)
    assert first.loc == "https://x.example/2026/03/01/story/"  # not the image's <loc>
    assert first.news == {
        "published_at": "2026-03-01T10:00:00+01:00",
        "title": "A title",
        "language": "de",
        "keywords": ["Politik", "Wahl"],
    }
    assert first.date == "2026-03-01T10:00:00+01:00"
    assert (second.loc, second.lastmod, second.news, second.date) == (
        "https://x.example/2026/03/02/other/",
        "2026-03-02",
        {},
        "2026-03-02",
    )


def test_sitemap_index_and_gzip() -> None:
    index = b"""<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
      <sitemap><loc>https://x.example/s1.xml.gz</loc><lastmod>2026-03-01T00:00:00Z</lastmod></sitemap></sitemapindex>"""
    [entry] = parse_sitemap(gzip.compress(index))
    assert (entry.is_sitemap, entry.loc, entry.lastmod) == (
        True,
        "https://x.example/s1.xml.gz",
        "2026-03-01T00:00:00+00:00",
    )


def test_gzip_bomb_is_refused() -> None:
    bomb = gzip.compress(b"<urlset>" + b" " * 5_000_000 + b"</urlset>")
    with pytest.raises(SitemapError, match="decompresses to more than"):
        list(parse_sitemap(bomb, max_size=1_000_000))


@pytest.mark.parametrize(
    ("doctype", "entity"),
    [
        ('<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>', "&x;"),  # XXE
        (
            '<!DOCTYPE r [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'  # billion laughs
            '<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">]>',
            "&d;",
        ),
    ],
)
def test_entities_are_never_expanded(doctype: str, entity: str) -> None:
    body = f'<?xml version="1.0"?>{doctype}<urlset><url><loc>https://x.example/{entity}</loc></url></urlset>'
    entries = list(parse_sitemap(body.encode()))
    assert [e.loc for e in entries] == []  # no file contents, no expansion, and no URL cut at the entity
    feed = f'<?xml version="1.0"?>{doctype}<rss><channel><item><link>https://x.example/a{entity}</link></item></channel></rss>'
    assert [e.url for e in parse_feed(feed.encode(), "https://x.example/")] == []


def test_malformed_sitemap_raises_after_the_good_entries() -> None:
    body = b"<urlset><url><loc>https://x.example/a-long-story-slug</loc></url><url><loc>https://x.exa"
    entries = []
    with pytest.raises(SitemapError, match="malformed XML"):
        for entry in parse_sitemap(body):
            entries.append(entry.loc)
    assert entries == ["https://x.example/a-long-story-slug"]


def test_robots_sitemap_lines() -> None:
    robots = b"User-agent: *\nDisallow: /private/\nSitemap: https://x.example/a.xml\nsitemap:https://x.example/b.xml\n"
    assert sitemaps_in_robots(robots) == ["https://x.example/a.xml", "https://x.example/b.xml"]


def test_feeds_of_every_kind() -> None:
    rss = b"""<rss version="2.0"><channel><item><title>A</title><link>/2026/03/14/a/</link>
      <pubDate>Sat, 14 Mar 2026 09:30:00 +0100</pubDate></item>
      <item><guid isPermaLink="true">https://x.example/b</guid></item></channel></rss>"""
    assert [(e.url, e.published_at, e.title) for e in parse_feed(rss, "https://x.example/feed")] == [
        ("https://x.example/2026/03/14/a/", "2026-03-14T09:30:00+01:00", "A"),
        ("https://x.example/b", None, None),
    ]
    atom = b"""<feed xmlns="http://www.w3.org/2005/Atom"><entry><title>B</title>
      <link rel="enclosure" href="https://x.example/b.mp3"/><link rel="alternate" href="https://x.example/b"/>
      <updated>2026-03-15T08:00:00Z</updated><published>2026-03-14T09:30:00Z</published></entry></feed>"""
    assert [(e.url, e.published_at, e.updated_at) for e in parse_feed(atom, "https://x.example/")] == [
        ("https://x.example/b", "2026-03-14T09:30:00+00:00", "2026-03-15T08:00:00+00:00")
    ]
    rdf = b"""<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/"
      xmlns:dc="http://purl.org/dc/elements/1.1/"><item rdf:about="https://x.example/c"><title>C</title>
      <dc:date>2026-03-14T09:30:00+02:00</dc:date></item></rdf:RDF>"""
    assert [(e.url, e.published_at) for e in parse_feed(rdf, "https://x.example/")] == [
        ("https://x.example/c", "2026-03-14T09:30:00+02:00")
    ]
    json_feed = (
        b'{"version": "https://jsonfeed.org/version/1.1", "items": [{"id": "1", "url": "/d", '
        b'"date_published": "2026-03-14T09:30:00-05:00"}]}'
    )
    assert [(e.url, e.published_at) for e in parse_feed(json_feed, "https://x.example/")] == [
        ("https://x.example/d", "2026-03-14T09:30:00-05:00")
    ]
    for bad in (b"<rss><channel><item>", b'{"items": 3}', b""):
        with pytest.raises(FeedError):
            parse_feed(bad, "https://x.example/")


@pytest.mark.parametrize(
    ("url", "kind"),
    [
        ("https://x.example/", UrlKind.NAVIGATION),
        ("https://x.example/2026/03/14/bridge-reopens/", UrlKind.ARTICLE),
        ("https://x.example/news/uk-politics-68123456", UrlKind.ARTICLE),
        ("https://x.example/politics/council-votes-to-build-new-seawall", UrlKind.ARTICLE),
        ("https://x.example/article12345678.html", UrlKind.ARTICLE),
        ("https://x.example/tag/flooding/", UrlKind.NAVIGATION),
        ("https://x.example/author/jane-doe/", UrlKind.NAVIGATION),
        ("https://x.example/category/transport/page/2/", UrlKind.NAVIGATION),
        ("https://x.example/sport/", UrlKind.NAVIGATION),
        ("https://x.example/news/local/", UrlKind.NAVIGATION),
        ("https://x.example/img/photo.jpg", UrlKind.SKIP),
        ("https://x.example/feed/", UrlKind.SKIP),
        ("https://x.example/?s=flood", UrlKind.SKIP),
        ("https://x.example/login/", UrlKind.SKIP),
        ("https://x.example/privacy-policy/", UrlKind.SKIP),
        ("https://x.example/wp-login.php", UrlKind.SKIP),
        ("mailto:desk@x.example", UrlKind.SKIP),
        ("javascript:void(0)", UrlKind.SKIP),
    ],
)
def test_url_shapes(url: str, kind: UrlKind) -> None:
    assert classify_url(url) is kind


def test_tracking_parameters_and_keys() -> None:
    assert strip_tracking("HTTPS://WWW.X.example:443/a?utm_source=tw&id=5&fbclid=abc&gclid=1#c") == (
        "https://www.x.example/a?id=5"
    )
    assert strip_tracking("https://x.example/a?b=2&a=1&utm_medium=x") == strip_tracking(
        "https://x.example/a?b=2&a=1#top"
    )
    assert registered_domain("https://news.bbc.co.uk/x") == "bbc.co.uk"
    assert registered_domain("http://127.0.0.1:8080/x") == "127.0.0.1"


def test_sites_file(tmp_path: Path) -> None:
    path = tmp_path / "sites.toml"
    path.write_text(
        '[[site]]\nid = "g"\nfeeds = ["https://feeds.g.example/rss"]\n'
        'start_urls = ["https://www.g.example/"]\nmax_age_days = 2\nmax_pages = 10\n'
    )
    [site] = load_sites(path)
    assert site.allowed_domains == ["g.example"] and site.max_pages == 10 and site.max_age_days == 2.0
    assert site.allows("https://www.g.example/2026/03/01/a-story/")
    assert not site.allows("https://evil.example/2026/03/01/a-story/")
    assert site_from_url("https://www.bbc.co.uk/news").id == "bbc.co.uk"
    with pytest.raises(SpiderArgumentError, match="no such file"):
        load_sites(tmp_path / "missing.toml")
    path.write_text(
        '[[site]]\nid = "g"\nstart_urls = ["https://g.example/"]\n[[site]]\nid = "g"\nfeeds = ["https://g.example/f"]\n'
    )
    with pytest.raises(SpiderArgumentError, match="site id 'g' appears twice"):
        load_sites(path)
