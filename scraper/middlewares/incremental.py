"""Incremental runs: article requests for URLs already archived are dropped before they are scheduled, and
so are articles found at navigation URLs (fetched anyway, for their links) that the archive holds."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Any

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.statscollectors import StatsCollector

from scraper.items import Page
from scraper.middlewares.requestfilter import RequestFilter
from scraper.seen import SeenStore

log = logging.getLogger(__name__)


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
    their sitemap says the page changed after we archived it: those go on, marked as revisions, once
    ARTICLE_REVISIT_MIN_HOURS have passed since we last archived the page (`revisit_too_soon` before).
    An article found at a navigation URL is fetched for its links anyway; its Page is dropped here when
    the archive holds it, so that it is not archived again."""

    def __init__(self, store: SeenStore, stats: StatsCollector, revisit_after: timedelta) -> None:
        self.store = store
        self.stats = stats
        self.revisit_after = revisit_after

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> IncrementalMiddleware:
        if not crawler.settings.getbool("INCREMENTAL") or crawler.stats is None:
            raise NotConfigured
        hours = max(0.0, crawler.settings.getfloat("ARTICLE_REVISIT_MIN_HOURS"))
        return cls(SeenStore.for_crawler(crawler), crawler.stats, timedelta(hours=hours))

    def _count(self, reason: str, site: str) -> None:
        self.stats.inc_value(f"discovery/{reason}")
        self.stats.inc_value(f"site/{site}/{reason}")

    def keep(self, item: Any) -> bool:
        """Drop the requests and pages this middleware is for; everything else goes on."""
        if isinstance(item, Page) and item.hints.get("navigation"):
            return self._keep_page(item)
        if not isinstance(item, Request) or item.meta.get("kind") != "article":
            return True
        self.store.open()
        site = item.meta.get("site", "?")
        if not self.store.has_url(item.url):
            return True
        last = self.store.last_crawled(item.url)
        if changed_since(item.meta.get("lastmod"), last):
            crawled = _moment(last or "")
            if crawled is not None and datetime.now(UTC) - crawled < self.revisit_after:
                self._count("revisit_too_soon", site)
                self._count("already_archived", site)
                log.debug("Not revisiting %s: archived at %s, inside ARTICLE_REVISIT_MIN_HOURS", item.url, last)
                return False
            item.meta["revision"] = True
            self._count("revisits", site)
            return True
        self._count("already_archived", site)
        return False

    def _keep_page(self, page: Page) -> bool:
        self.store.open()
        if not self.store.has_url(page.url):
            return True
        self._count("already_archived", page.site or "?")
        log.debug("%s (an article at a navigation URL) is archived already", page.url)
        return False
