"""Incremental runs: article requests for URLs already archived are dropped before they are scheduled, and
so are articles found at navigation URLs (fetched anyway, for their links) that the archive holds."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.http import Response
from scrapy.spidermiddlewares.base import BaseSpiderMiddleware

from scraper.extract.dates import iso_moment
from scraper.items import Page
from scraper.seen import SeenStore

log = logging.getLogger(__name__)


def changed_since(lastmod: str | None, crawled_at: str | None) -> bool:
    """Whether a sitemap `lastmod` is later than our last crawl of the page (a bare date counts from its
    start, so a page changed on the day we crawled it is not fetched again on the strength of the date)."""
    if not lastmod or not crawled_at:
        return False
    changed, crawled = iso_moment(lastmod), iso_moment(crawled_at)
    return changed is not None and crawled is not None and changed > crawled


class IncrementalMiddleware(BaseSpiderMiddleware):
    """Spider middleware: drops `kind=article` requests whose URL the archive holds (INCREMENTAL), unless
    their sitemap says the page changed after we archived it: those go on, marked as revisions, once
    ARTICLE_REVISIT_MIN_HOURS have passed since we last archived the page (`revisit_too_soon` before).
    An article found at a navigation URL is fetched for its links anyway; its Page is dropped here when
    the archive holds it, so that it is not archived again."""

    def __init__(self, crawler: Crawler) -> None:
        if not crawler.settings.getbool("INCREMENTAL") or crawler.stats is None:
            raise NotConfigured
        super().__init__(crawler)
        self.store = SeenStore.of(crawler)
        self.stats = crawler.stats
        self.revisit_after = timedelta(hours=max(0.0, crawler.settings.getfloat("ARTICLE_REVISIT_MIN_HOURS")))

    def _count(self, reason: str, site: str) -> None:
        self.stats.inc_value(f"discovery/{reason}")
        self.stats.inc_value(f"site/{site}/{reason}")

    def get_processed_request(self, request: Request, response: Response | None) -> Request | None:
        """An article request for a URL the archive holds: None (dropped), or marked as a revision."""
        if request.meta.get("kind") != "article":
            return request
        self.store.open()
        site = request.meta.get("site", "?")
        if not self.store.has_url(request.url):
            return request
        last = self.store.last_crawled(request.url)
        if changed_since(request.meta.get("lastmod"), last):
            crawled = iso_moment(last or "")
            if crawled is not None and datetime.now(UTC) - crawled < self.revisit_after:
                self._count("revisit_too_soon", site)
                self._count("already_archived", site)
                log.debug("Not revisiting %s: archived at %s, inside ARTICLE_REVISIT_MIN_HOURS", request.url, last)
                return None
            request.meta["revision"] = True
            self._count("revisits", site)
            return request
        self._count("already_archived", site)
        return None

    def get_processed_item(self, item: Page, response: Response | None) -> Page | None:
        """An article found at a navigation URL that the archive holds: None (dropped); other pages go on."""
        if not item.navigation:
            return item
        self.store.open()
        if not self.store.has_url(item.url):
            return item
        self._count("already_archived", item.site or "?")
        log.debug("%s (an article at a navigation URL) is archived already", item.url)
        return None
