"""Capture pipeline, the first: writes each Page's response to the run's WARC and sets the Page's `source`,
before extraction, so that pages the later pipelines drop are captured too (scraper.middlewares.capture)."""

from __future__ import annotations

from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured

from scraper.items import Article, Page
from scraper.middlewares.capture import CrawlCapture, metadata
from scraper.patterns import pattern_list


class CapturePipeline:
    """Writes the capture a Page carries (CaptureSpiderMiddleware gave it) and sets its `source`."""

    def __init__(self, crawler: Crawler) -> None:
        if not crawler.settings.getbool("ARCHIVE_WARC"):
            raise NotConfigured
        self.capture = CrawlCapture.of(crawler)
        # the operator's patterns, which BoilerplatePipeline applies to every page before the site's own
        self.extra_patterns = tuple(pattern_list(crawler.settings, "BOILERPLATE_EXTRA_PATTERNS"))

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CapturePipeline:
        """The pipeline of `crawler`; NotConfigured when ARCHIVE_WARC is False."""
        return cls(crawler)

    async def process_item(self, item: Page | Article) -> Page | Article:
        """A Page with a capture: written, `source` set (None when the WARC cannot be written); the rest as is."""
        if isinstance(item, Page) and item.capture is not None:
            capture, item.capture = item.capture, None
            kind = "navigation" if item.navigation else "article"
            # every explicit boilerplate pattern this page gets, so that reextract strips what the crawl stripped
            fields = metadata(item.site, kind, item.hints, self.extra_patterns + item.site_patterns)
            if item.navigation:
                fields["navigation"] = item.navigation
            item.source = await self.capture.write(capture, fields)
        return item
