"""Archive pipeline: the record, with its crawl fields, appended to the dated JSONL archive.

It is the last pipeline and passes on the record it wrote (a plain dict of schema version 1): Scrapy's
`item_scraped` signal, and `scrapy crawl ... -o FILE`, get exactly what the archive holds.
"""

from __future__ import annotations

import logging
from typing import Any

from scrapy.crawler import Crawler
from scrapy.statscollectors import StatsCollector

from archive.writer import ArchiveWriteError, ArchiveWriter
from scraper.items import Article, Page, PageDropped
from scraper.middlewares.capture import CrawlCapture
from scraper.record import extractor_stamp
from scraper.run import run_id, stop_for_archive_error
from scraper.seen import SeenStore

log = logging.getLogger(__name__)


class ArchivePipeline:
    """Writes each Article's record to ARCHIVE_DIR/YYYY-MM-DD/<spider>-<run_id>.jsonl, with its `source` (where
    the run's WARC holds the response, written before the page reached the pipelines) and `extractor`."""

    def __init__(self, crawler: Crawler, root: str, run_id: str, gzip: bool, fsync_every: int) -> None:
        assert crawler.stats is not None
        self.crawler = crawler
        self.stats: StatsCollector = crawler.stats
        self.root = root
        self.run_id = run_id
        self.gzip = gzip
        self.fsync_every = fsync_every
        self.writer: ArchiveWriter | None = None
        self.failed = False
        self.capture = CrawlCapture.of(crawler) if crawler.settings.getbool("ARCHIVE_WARC") else None
        self.seen = SeenStore.of(crawler)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ArchivePipeline:
        settings = crawler.settings
        return cls(
            crawler,
            settings.get("ARCHIVE_DIR") or "data",
            run_id(crawler),
            settings.getbool("ARCHIVE_GZIP"),
            settings.getint("ARCHIVE_FSYNC_EVERY"),
        )

    def open_spider(self) -> None:
        """Open the run's writer (files are created on the first record)."""
        assert self.crawler.spider is not None
        self.writer = ArchiveWriter(
            self.root, self.crawler.spider.name, self.run_id, gzip=self.gzip, fsync_every=self.fsync_every
        )
        self.stats.set_value("archive/run_id", self.run_id)
        self.stats.set_value("archive/root", self.root)

    async def close_spider(self) -> None:
        """fsync and close the run's files (the WARC fsynced first: the JSONL points into it)."""
        if self.capture is not None:
            await self.capture.flush()
        if self.writer is not None:
            try:
                self.writer.close()
            except OSError as exc:
                log.error("Closing the archive failed: %s", exc)

    async def process_item(self, item: Page | Article) -> Page | Article | dict[str, Any]:
        """Archive an Article and pass on its record, crawl fields added; other items pass through."""
        if not isinstance(item, Article) or self.writer is None:
            return item
        if self.failed or (self.capture is not None and self.capture.failed and item.page.source is None):
            # a page whose capture was written before the WARC failed is still archived: its bytes are there
            raise PageDropped.counted(self.stats, item, "archive_error (the archive cannot be written)")
        assert self.crawler.spider is not None
        page = item.page
        item.record = {
            **item.record,
            "site": page.site or item.record["site"],
            "crawled_at": page.fetched_at,
            "spider": self.crawler.spider.name,
            "run_id": self.run_id,
            "http_status": page.status,
            "source": page.source,
            "extractor": extractor_stamp(),
        }
        if self.capture is not None and self.fsync_every and (self.writer.records_written + 1) % self.fsync_every == 0:
            await self.capture.flush()  # the JSONL is about to be fsynced: the WARC bytes it points at go first
        try:
            path = self.writer.write(item.record)
        except ValueError as exc:  # not JSON-serialisable: this record only, the archive is fine
            raise PageDropped.counted(self.stats, item, f"unserialisable ({exc})") from None
        except (ArchiveWriteError, OSError) as exc:
            self._stop(exc)
            raise PageDropped.counted(self.stats, item, f"archive_error ({exc.strerror or exc})") from None
        self.seen.confirm(item.record)  # a fleet's claimed keys: now archived for good
        self.stats.inc_value("articles/archived")
        files = self.stats.get_value("archive/files") or []
        if str(path) not in files:
            self.stats.set_value("archive/files", [*files, str(path)])
        return item.record

    def _stop(self, exc: OSError) -> None:
        """The archive cannot be written: stop the crawl (finish reason `archive_error`, exit status 1)."""
        self.failed = True
        stop_for_archive_error(self.crawler, exc)
