"""Per-site budgets: a site's `max_pages` (sites.toml) caps the article pages fetched from it in one run."""

from __future__ import annotations

from collections import defaultdict

from scrapy import Request, Spider
from scrapy.crawler import Crawler
from scrapy.http import Response
from scrapy.spidermiddlewares.base import BaseSpiderMiddleware


class SiteLimitMiddleware(BaseSpiderMiddleware):
    """Spider middleware: drops a site's article requests beyond its `max_pages` distinct URLs.

    Navigation pages are bounded by NEWS_NAVIGATION_DEPTH instead, and robots.txt, sitemaps and feeds
    are not pages: a budget spent on them would starve the articles.
    """

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        assert crawler.stats is not None
        self.stats = crawler.stats
        self.pages: dict[str, set[str]] = defaultdict(set)

    def _limit(self, spider: Spider | None, site: str) -> int | None:
        config = getattr(spider, "sites", {}).get(site)
        return getattr(config, "max_pages", None)

    def get_processed_request(self, request: Request, response: Response | None) -> Request | None:
        """An article request beyond its site's budget: None (dropped); other requests go on."""
        if request.meta.get("kind") != "article":
            return request
        site = request.meta.get("site", "")
        limit = self._limit(self.crawler.spider, site)
        if limit is None or request.url in self.pages[site]:
            return request
        if len(self.pages[site]) >= limit:
            self.stats.inc_value(f"site/{site}/discovery/over_max_pages")
            return None
        self.pages[site].add(request.url)
        return request
