"""Validate pipeline: what is not an article is dropped here, counted, with its reason."""

from __future__ import annotations

from typing import Any

from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem
from scrapy.statscollectors import StatsCollector

from scraper.items import Article


class PageDropped(DropItem):
    """A page that is not archived; `reason` is its stats key."""

    def __init__(self, reason: str, detail: str, url: str) -> None:
        super().__init__(f"{detail}: {url}")
        self.reason = reason
        self.url = url


class ValidatePipeline:
    """Drops pages that are not articles (`articles/dropped/<reason>`), and texts under ARTICLE_MIN_WORDS."""

    def __init__(self, stats: StatsCollector, min_words: int) -> None:
        self.stats = stats
        self.min_words = min_words

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ValidatePipeline:
        assert crawler.stats is not None
        return cls(crawler.stats, crawler.settings.getint("ARTICLE_MIN_WORDS"))

    def _drop(self, item: Article, detail: str) -> PageDropped:
        reason = detail.split(" ", 1)[0]
        self.stats.inc_value(f"articles/dropped/{reason}")
        return PageDropped(reason, detail, item.page.url)

    def process_item(self, item: Any) -> Any:
        """Pass articles on; raise PageDropped for the rest."""
        if not isinstance(item, Article):
            return item
        if item.not_article:
            raise self._drop(item, item.not_article)
        words = item.record["word_count"]
        if words < self.min_words:
            raise self._drop(item, f"too_short ({words} words < {self.min_words})")
        return item
