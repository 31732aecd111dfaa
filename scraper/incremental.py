"""Incremental runs: article requests for URLs already archived are dropped before they are scheduled."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.statscollectors import StatsCollector

from scraper.requestfilter import RequestFilter
from scraper.seen import SeenStore


def _moment(value: str) -> datetime | None:
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def changed_since(lastmod: str | None, crawled_at: str | None) -> bool:
    """Whether a sitemap `lastmod` is later than our last crawl of the page (a bare date counts from its
    start, so a page changed on the day we crawled it is not fetched again on the strength of the date)."""
    if not lastmod or not crawled_at:
        return False
    changed, crawled = _moment(lastmod), _moment(crawled_at)
    return changed is not None and crawled is not None and changed > crawled


class IncrementalMiddleware(RequestFilter):
    """Spider middleware: drops `kind=article` requests whose URL the archive holds (INCREMENTAL), unless
    their sitemap says the page changed after we archived it: those go on, marked as revisions."""

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
        if not self.store.has_url(item.url):
            return True
        if changed_since(item.meta.get("lastmod"), self.store.last_crawled(item.url)):
            item.meta["revision"] = True
            self.stats.inc_value("discovery/revisits")
            self.stats.inc_value(f"site/{site}/revisits")
            return True
        self.stats.inc_value("discovery/already_archived")
        self.stats.inc_value(f"site/{site}/already_archived")
        return False
