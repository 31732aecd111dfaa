"""Validate pipeline: what is not an article is dropped here, counted, with its reason."""

from __future__ import annotations

from scrapy.crawler import Crawler
from scrapy.statscollectors import StatsCollector

from scraper.archivable import drop_reason
from scraper.items import Article, Page, PageDropped


class ValidatePipeline:
    """Drops pages that are not articles (`articles/dropped/<reason>`), and texts under ARTICLE_MIN_WORDS."""

    def __init__(self, stats: StatsCollector, min_words: int) -> None:
        self.stats = stats
        self.min_words = min_words

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ValidatePipeline:
        assert crawler.stats is not None
        return cls(crawler.stats, crawler.settings.getint("ARTICLE_MIN_WORDS"))

    def process_item(self, item: Page | Article) -> Page | Article:
        """Pass articles on; raise PageDropped for the rest."""
        if not isinstance(item, Article):
            return item
        if reason := drop_reason(item.record, item.not_article, self.min_words):
            raise PageDropped.counted(self.stats, item, reason)
        return item
