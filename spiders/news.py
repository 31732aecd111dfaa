"""The `news` spider: discover and fetch the articles of whole sites, from sitemaps, feeds and section pages.

scrapy crawl news                              # every site of sites.toml
scrapy crawl news -a sites=PATH                # another sites file
scrapy crawl news -a site=https://example.com/ # one site, no configuration
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urljoin

import lxml.etree
import lxml.html
import scrapy
from scrapy.http import Response, TextResponse
from scrapy.utils.response import get_base_url
from twisted.python.failure import Failure

from scraper.arguments import SpiderArgumentError, reject_unknown
from scraper.discovery.feeds import FeedError, feed_links, parse_feed
from scraper.discovery.sitemaps import SitemapError, parse_sitemap, sitemaps_in_robots
from scraper.discovery.urlclass import UrlKind, article_signal, classify_url
from scraper.discovery.xml import IgnoredEntities
from scraper.extract.dates import iso_moment
from scraper.failures import count_failure, failed_request, record_failure
from scraper.fleet import claim_discovery
from scraper.items import Page
from scraper.sites import SiteConfig, load_sites, site_from_url
from scraper.urls import strip_tracking, usable_url

# Request kinds, in the order they are worth fetching: articles first, so a run that is cut short has
# archived what it found rather than only found more.
PRIORITY = {"article": 30, "sitemap": 20, "feed": 20, "robots": 40, "navigation": 10}
SITEMAP_MAXSIZE = 50 * 1024 * 1024  # the sitemap protocol's own limit, uncompressed


class NewsSpider(scrapy.Spider):
    """Routes requests: robots.txt -> sitemaps; home and section pages -> feeds, sections, articles."""

    name = "news"

    @classmethod
    def check_arguments(cls, site: str | None = None, sites: str | None = None, **other: str) -> list[SiteConfig]:
        """The sites to crawl, or SpiderArgumentError naming what is wrong."""
        reject_unknown(other, "-a site=URL or -a sites=PATH")
        if site and sites:
            raise SpiderArgumentError("give -a site=URL or -a sites=PATH, not both")
        return [site_from_url(site)] if site else load_sites(sites or "sites.toml")

    def __init__(self, site: str | None = None, sites: str | None = None, **kwargs: Any) -> None:
        super().__init__()
        self.sites = {s.id: s for s in self.check_arguments(site=site, sites=sites, **kwargs)}
        self.allowed_domains = sorted({d for s in self.sites.values() for d in s.allowed_domains})
        self._robots_seen: set[str] = set()

    # --- requests ------------------------------------------------------------------------------------
    def _request(
        self,
        site: SiteConfig,
        url: str,
        kind: str,
        depth: int = 0,
        hints: dict[str, object] | None = None,
        optional: bool = False,
    ) -> scrapy.Request:
        callback = {
            "robots": self.parse_robots,
            "sitemap": self.parse_sitemap,
            "feed": self.parse_feed,
            "navigation": self.parse_navigation,
            "article": self.parse_article,
        }[kind]
        meta: dict[str, Any] = {
            "site": site.id,
            "kind": kind,
            "nav_depth": depth,
            "hints": hints or {},
            "optional": optional,
        }
        if kind == "sitemap":
            meta["download_maxsize"] = SITEMAP_MAXSIZE
        # One URL per page whatever the route: a page linked as navigation and listed as an article is one request.
        fetched = strip_tracking(url) if kind in {"article", "navigation"} else url
        return scrapy.Request(fetched, callback=callback, errback=self.on_error, priority=PRIORITY[kind], meta=meta)

    def _too_old(self, site: SiteConfig, date: str | None) -> bool:
        """Whether a sitemap or feed date is older than the site's max_age_days (a bare date counts whole)."""
        if site.max_age_days is None or not date:
            return False
        moment = iso_moment(date, end_of_day=True)
        return moment is not None and datetime.now(UTC) - moment > timedelta(days=site.max_age_days)

    def _article(
        self, site: SiteConfig, url: str, hints: dict[str, object], date: str | None = None, lastmod: str | None = None
    ) -> Iterator[scrapy.Request]:
        """An article request, unless the site's rules or its age rule it out. `lastmod` (a sitemap's
        <lastmod>, a feed entry's <updated>) lets an archived article be fetched again when it changed since
        (IncrementalMiddleware)."""
        if usable_url(url) is None:  # `http://[broken`, `http://host:99999/`: not fetchable
            self.crawler.stats.inc_value(f"site/{site.id}/discovery/bad_url")
            return
        if not site.allows(url):
            return
        if self._too_old(site, date):
            self.crawler.stats.inc_value(f"site/{site.id}/discovery/too_old")
            return
        request = self._request(site, url, "article", hints={k: v for k, v in hints.items() if v})
        if lastmod:
            request.meta["lastmod"] = lastmod
        yield request

    async def start(self) -> AsyncIterator[scrapy.Request]:
        """robots.txt, configured sitemaps and feeds, and the start pages of every site."""
        for site in self.sites.values():
            robots = [
                r
                for r in dict.fromkeys(urljoin(u, "/robots.txt") for u in site.start_urls + site.sitemaps + site.feeds)
                if r not in self._robots_seen
            ]
            requests = [self._request(site, url, "robots", optional=True) for url in robots]
            requests += [self._request(site, url, "sitemap") for url in site.sitemaps]
            requests += [self._request(site, url, "feed") for url in site.feeds]
            requests += [self._request(site, url, "navigation") for url in site.start_urls]
            # REDIS_URL: another worker may discover the site this run; the claim lists its requests in Redis
            if not claim_discovery(self.crawler, site.id, requests):
                continue
            self._robots_seen.update(robots)
            for request in requests:
                yield request

    # --- callbacks ------------------------------------------------------------------------------------
    def _site(self, response: Response) -> SiteConfig:
        return self.sites[response.meta["site"]]

    def parse_robots(self, response: Response) -> Iterator[scrapy.Request]:
        """Follow the `Sitemap:` lines; with none, try /sitemap.xml unless the site lists its own."""
        site = self._site(response)
        listed = sitemaps_in_robots(response.body)
        for url in listed:
            yield self._request(site, url, "sitemap")
        if not listed and not site.sitemaps:
            yield self._request(site, urljoin(response.url, "/sitemap.xml"), "sitemap", optional=True)

    def parse_sitemap(self, response: Response) -> Iterator[scrapy.Request]:
        """Sitemap indexes recurse; URL entries become article requests with their news: hints."""
        site = self._site(response)
        entities = IgnoredEntities()
        try:
            for entry in parse_sitemap(response.body, SITEMAP_MAXSIZE, entities):
                if entry.is_sitemap:
                    if usable_url(entry.loc) and not self._too_old(site, entry.lastmod):
                        yield self._request(site, entry.loc, "sitemap")
                elif entry.news or classify_url(entry.loc) is UrlKind.ARTICLE:
                    yield from self._article(
                        site,
                        entry.loc,
                        {
                            "published_at": entry.news.get("published_at"),
                            "title": entry.news.get("title"),
                            "language": entry.news.get("language"),
                            "keywords": entry.news.get("keywords"),
                        },
                        entry.date,
                        entry.lastmod,
                    )
        except SitemapError as exc:
            self._bad_document(response, "bad_sitemap", str(exc))
        entities.report("sitemap", response.url, site.id, self.crawler.stats, self.logger)

    def parse_feed(self, response: Response) -> Iterator[scrapy.Request]:
        """Every feed entry on the site becomes an article request, its date passed on as a hint."""
        site = self._site(response)
        entities = IgnoredEntities()
        try:
            entries = parse_feed(response.body, response.url, entities)
        except FeedError as exc:
            self._bad_document(response, "bad_feed", str(exc))
            return
        entities.report("feed", response.url, site.id, self.crawler.stats, self.logger)
        for entry in entries:
            yield from self._article(
                site,
                entry.url,
                {"published_at": entry.published_at, "title": entry.title},
                entry.published_at,
                entry.updated_at,
            )

    def parse_navigation(self, response: Response) -> Iterator[scrapy.Request | Page]:
        """Home and section pages: feeds they announce, articles they link, sections within reach; and the page
        itself when it says it is an article (article markup, a dated byline), whatever its URL looks like."""
        site = self._site(response)
        if not isinstance(response, TextResponse):
            return
        depth = response.meta["nav_depth"]  # navigation hops from a start page (Scrapy's `depth` counts every hop)
        try:
            tree = lxml.html.document_fromstring(response.body)
        except (lxml.etree.ParserError, ValueError):
            return
        if signal := article_signal(tree, response.url):
            self.crawler.stats.inc_value("discovery/navigation_articles")
            self.logger.debug("%s is an article (%s) at a navigation URL", response.url, signal)
            page = self.parse_article(response)
            page.navigation = signal
            yield page
        base = get_base_url(response)  # <base href> honoured, as browsers do
        if depth == 0:
            for url in feed_links(tree, base):
                if url not in site.feeds:
                    yield self._request(site, url, "feed", optional=True)
        yield from self._links(site, tree, base, depth)

    def _links(self, site: SiteConfig, tree: lxml.html.HtmlElement, base: str, depth: int) -> Iterator[scrapy.Request]:
        """Requests for the article links of a navigation page, and for its navigation links within reach."""
        max_depth = self.settings.getint("NEWS_NAVIGATION_DEPTH")
        for href in tree.xpath("//a/@href"):
            link = usable_url(str(href), base)
            if link is None:  # javascript:, mailto:, or a link urllib cannot parse
                continue
            kind = classify_url(link)
            if kind is UrlKind.ARTICLE:
                yield from self._article(site, link, {})
            elif kind is UrlKind.NAVIGATION and depth < max_depth and site.allows(link):
                yield self._request(site, link, "navigation", depth=depth + 1)

    def parse_article(self, response: Response) -> Page:
        """Pass the page on to the pipelines, with what discovery learned as hints."""
        site = self._site(response)
        page = Page.from_response(
            response, site=site.id, hints=response.meta.get("hints"), site_patterns=tuple(site.boilerplate_patterns)
        )
        page.revision = bool(response.meta.get("revision"))
        return page

    # --- failures -------------------------------------------------------------------------------------
    def _bad_document(self, response: Response, reason: str, detail: str) -> None:
        if response.meta.get("optional"):  # a guessed /sitemap.xml answered by a soft-404 HTML page: no error
            self.crawler.stats.inc_value("discovery/optional_missing")
            self.logger.debug("Optional %s is not a %s: %s", response.url, reason.removeprefix("bad_"), detail)
            return
        count_failure(
            response.url,
            reason,
            detail.splitlines()[0][:200],
            self.crawler.stats,
            self.logger,
            site=response.meta["site"],
        )

    def on_error(self, failure: Failure) -> None:
        """Count and log a failed request once; a missing optional resource (a guessed sitemap) is no error."""
        url, meta = failed_request(failure)
        if meta.get("optional"):
            self.crawler.stats.inc_value("discovery/optional_missing")
            self.logger.debug("Optional %s not available: %s", url, failure.value)
            return
        record_failure(failure, self.crawler.stats, self.logger)
