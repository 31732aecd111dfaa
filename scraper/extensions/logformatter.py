"""Log lines: one short line per dropped page, never the page's bytes; one line per failed request."""

from __future__ import annotations

import logging

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.http import Response
from scrapy.logformatter import LogFormatter, LogFormatterResult
from twisted.python.failure import Failure

from scraper.items import Page
from scraper.record import Record


class ConciseLogFormatter(LogFormatter):
    """Scrapy's formatter, but items are named by URL instead of dumped whole."""

    def dropped(
        self, item: Page, exception: BaseException, response: Response | Failure | None, spider: Spider
    ) -> LogFormatterResult:
        """INFO `Dropped: too_short (12 words < 50): https://...`."""
        return {"level": logging.INFO, "msg": "Dropped: %(exception)s", "args": {"exception": exception}}

    def scraped(self, item: Record, response: Response | Failure | None, spider: Spider) -> LogFormatterResult:
        """DEBUG `Archived https://...`."""
        return {"level": logging.DEBUG, "msg": "Archived %(url)s", "args": {"url": item["url"]}}

    def item_error(
        self, item: Page, exception: BaseException, response: Response | Failure | None, spider: Spider
    ) -> LogFormatterResult:
        """ERROR naming the page whose item failed in a pipeline."""
        return {"level": logging.ERROR, "msg": "Error processing %(url)s", "args": {"url": item.url}}


# Scrapy's own lines about a request that then fails: our errback logs that failure once, with its reason.
DUPLICATE_LINES = {
    "scrapy.core.downloader.handlers.http11": ("larger than download max size", "Got data loss in"),
    "scrapy.downloadermiddlewares.httpcompression": ("during decompression",),
    # robots.txt unreachable (DNS, refused, timeout): an ERROR with a traceback, then the page fails the same way
    "scrapy.downloadermiddlewares.robotstxt": ("Error downloading",),
}


class _Demote(logging.Filter):
    """Turns the records whose message contains one of `phrases` into DEBUG records."""

    def __init__(self, phrases: tuple[str, ...]) -> None:
        super().__init__()
        self.phrases = phrases

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno > logging.DEBUG and any(p in str(record.msg) for p in self.phrases):
            record.levelno, record.levelname = logging.DEBUG, "DEBUG"
            record.exc_info, record.exc_text = None, None
        return True


class OneLinePerFailure:
    """Extension: Scrapy's lines that repeat a failure our spiders log anyway ("Received N bytes which is
    larger than download max size", "Got data loss", "exceeded DOWNLOAD_MAXSIZE during decompression", a
    robots.txt download error with its traceback) become DEBUG lines without a traceback, so each failed
    page is one WARNING line: `Failed URL: too_large (...)`. The stats still count them."""

    def __init__(self) -> None:
        self.filters = [(logging.getLogger(name), _Demote(phrases)) for name, phrases in DUPLICATE_LINES.items()]
        for logger, demote in self.filters:
            logger.addFilter(demote)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> OneLinePerFailure:
        ext = cls()
        crawler.signals.connect(ext.engine_stopped, signal=signals.engine_stopped)
        return ext

    def engine_stopped(self) -> None:
        """Take the filters off again."""
        for logger, demote in self.filters:
            logger.removeFilter(demote)
