"""Boilerplate pipeline: whole boilerplate lines and blocks out of the article text."""

from __future__ import annotations

from scrapy.crawler import Crawler
from scrapy.statscollectors import StatsCollector

from scraper.archivable import Strippers, strip_text
from scraper.items import Article, Page
from scraper.patterns import pattern_list


class BoilerplatePipeline:
    """Strips lines matching BOILERPLATE_PATTERNS (+ BOILERPLATE_EXTRA_PATTERNS, + the site's own).

    BOILERPLATE_PATTERNS are generic and never remove prose; BOILERPLATE_EXTRA_PATTERNS and a site's
    `boilerplate_patterns` are the operator's explicit choice and remove whatever line they match.
    """

    def __init__(self, stats: StatsCollector, patterns: list[str], explicit: list[str] | None = None) -> None:
        self.stats = stats
        self.strippers = Strippers(patterns, explicit or [])

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> BoilerplatePipeline:
        settings = crawler.settings
        assert crawler.stats is not None
        return cls(
            crawler.stats,
            pattern_list(settings, "BOILERPLATE_PATTERNS"),
            pattern_list(settings, "BOILERPLATE_EXTRA_PATTERNS"),
        )

    def process_item(self, item: Page | Article) -> Page | Article:
        """Clean the text of an Article; other items pass through."""
        if isinstance(item, Article):
            removed = strip_text(item.record, self.strippers.for_site(item.page.site_patterns))
            self.stats.inc_value("boilerplate/lines_removed", removed)
        return item
