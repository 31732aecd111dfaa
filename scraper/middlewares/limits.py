"""Per-site budgets: a site's `max_pages` (sites.toml) caps the article pages fetched from it in one run."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from scrapy import Request, Spider
from scrapy.crawler import Crawler
from scrapy.statscollectors import StatsCollector

from scraper.middlewares.requestfilter import RequestFilter


class SiteLimitMiddleware(RequestFilter):
    """Spider middleware: drops a site's article requests beyond its `max_pages` distinct URLs.

    Navigation pages are bounded by NEWS_NAVIGATION_DEPTH instead, and robots.txt, sitemaps and feeds
    are not pages: a budget spent on them would starve the articles.
    """

    def __init__(self, crawler: Crawler, stats: StatsCollector) -> None:
        self.crawler = crawler
        self.stats = stats
        self.pages: dict[str, set[str]] = defaultdict(set)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SiteLimitMiddleware:
        assert crawler.stats is not None
        return cls(crawler, crawler.stats)

    def _limit(self, spider: Spider | None, site: str) -> int | None:
        config = getattr(spider, "sites", {}).get(site)
        return getattr(config, "max_pages", None)

    def keep(self, item: Any) -> bool:
        """Drop the requests this middleware is for; everything else goes on."""
        if not isinstance(item, Request) or item.meta.get("kind") != "article":
            return True
        site = item.meta.get("site", "")
        limit = self._limit(self.crawler.spider, site)
        if limit is None or item.url in self.pages[site]:
            return True
        if len(self.pages[site]) >= limit:
            self.stats.inc_value(f"site/{site}/discovery/over_max_pages")
            return False
        self.pages[site].add(item.url)
        return True
