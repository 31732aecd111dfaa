"""Incremental runs: article requests for URLs already archived are dropped before they are scheduled."""

from __future__ import annotations

from typing import Any

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.statscollectors import StatsCollector

from scraper.requestfilter import RequestFilter
from scraper.seen import SeenStore


class IncrementalMiddleware(RequestFilter):
    """Spider middleware: drops `kind=article` requests whose URL the archive holds (INCREMENTAL)."""

    def __init__(self, store: SeenStore, stats: StatsCollector) -> None:
        self.store = store
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> IncrementalMiddleware:
        if not crawler.settings.getbool("INCREMENTAL") or crawler.stats is None:
            raise NotConfigured
        return cls(SeenStore.for_crawler(crawler), crawler.stats)

    def keep(self, item: Any) -> bool:
        """Drop the requests this middleware is for; everything else goes on."""
        if not isinstance(item, Request) or item.meta.get("kind") != "article":
            return True
        self.store.open()
        site = item.meta.get("site", "?")
        if self.store.has_url(item.url):
            self.stats.inc_value("discovery/already_archived")
            self.stats.inc_value(f"site/{site}/already_archived")
            return False
        return True
