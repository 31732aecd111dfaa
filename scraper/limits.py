"""Per-site budgets: a site's `max_pages` (sites.toml) caps the article pages fetched from it in one run."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import AsyncIterator, Iterable
from typing import Any

from scrapy import Request, Spider
from scrapy.crawler import Crawler
from scrapy.http import Response
from scrapy.statscollectors import StatsCollector


class SiteLimitMiddleware:
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

    def _keep(self, item: Any) -> bool:
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

    async def process_start(self, start: AsyncIterator[Any]) -> AsyncIterator[Any]:
        """Count and cap start requests."""
        async for item in start:
            if self._keep(item):
                yield item

    def process_spider_output(self, response: Response, result: Iterable[Any]) -> Iterable[Any]:
        """Count and cap requests a callback yields."""
        return (item for item in result if self._keep(item))

    async def process_spider_output_async(self, response: Response, result: AsyncIterator[Any]
                                          ) -> AsyncIterator[Any]:
        """Count and cap requests an async callback yields."""
        async for item in result:
            if self._keep(item):
                yield item
