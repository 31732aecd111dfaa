"""Incremental runs: article requests for URLs already archived are dropped before they are scheduled."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from typing import Any

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.http import Response
from scrapy.statscollectors import StatsCollector

from scraper.seen import SeenStore


class IncrementalMiddleware:
    """Spider middleware: drops `kind=article` requests whose URL the archive holds (INCREMENTAL)."""

    def __init__(self, store: SeenStore, stats: StatsCollector) -> None:
        self.store = store
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> IncrementalMiddleware:
        if not crawler.settings.getbool("INCREMENTAL") or crawler.stats is None:
            raise NotConfigured
        return cls(SeenStore.for_crawler(crawler), crawler.stats)

    def _keep(self, item: Any) -> bool:
        if not isinstance(item, Request) or item.meta.get("kind") != "article":
            return True
        self.store.open()
        site = item.meta.get("site", "?")
        if self.store.has_url(item.url):
            self.stats.inc_value("discovery/already_archived")
            self.stats.inc_value(f"site/{site}/already_archived")
            return False
        return True

    async def process_start(self, start: AsyncIterator[Any]) -> AsyncIterator[Any]:
        """Filter start requests."""
        async for item in start:
            if self._keep(item):
                yield item

    def process_spider_output(self, response: Response, result: Iterable[Any]) -> Iterable[Any]:
        """Filter requests a callback yields."""
        return (item for item in result if self._keep(item))

    async def process_spider_output_async(self, response: Response, result: AsyncIterator[Any]
                                          ) -> AsyncIterator[Any]:
        """Filter requests an async callback yields."""
        async for item in result:
            if self._keep(item):
                yield item
