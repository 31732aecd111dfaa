"""Archive pipeline: the record, with its crawl fields, appended to the dated JSONL archive.

It is the last pipeline and passes on the record it wrote (a plain dict of schema version 1): Scrapy's
`item_scraped` signal, and `scrapy crawl ... -o FILE`, get exactly what the archive holds.
"""

from __future__ import annotations

import logging
import secrets
from datetime import UTC, datetime
from typing import Any

from scrapy.crawler import Crawler
from scrapy.statscollectors import StatsCollector
from scrapy.utils.defer import deferred_from_coro

from archive.writer import ArchiveWriteError, ArchiveWriter
from scraper.items import Article, Page, PageDropped

log = logging.getLogger(__name__)


def new_run_id() -> str:
    """A run id that sorts by start time and is unique across overlapping runs."""
    return f"{datetime.now(UTC):%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}"


class ArchivePipeline:
    """Writes each Article's record to ARCHIVE_DIR/YYYY-MM-DD/<spider>-<run_id>.jsonl."""

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

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ArchivePipeline:
        settings = crawler.settings
        return cls(
            crawler,
            settings.get("ARCHIVE_DIR") or "data",
            settings.get("RUN_ID") or new_run_id(),
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

    def close_spider(self) -> None:
        """fsync and close the run's files."""
        if self.writer is not None:
            try:
                self.writer.close()
            except OSError as exc:
                log.error("Closing the archive failed: %s", exc)

    def process_item(self, item: Page | Article) -> Page | Article | dict[str, Any]:
        """Archive an Article and pass on its record, crawl fields added; other items pass through."""
        if not isinstance(item, Article) or self.writer is None:
            return item
        if self.failed:
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
        }
        try:
            path = self.writer.write(item.record)
        except ValueError as exc:  # not JSON-serialisable: this record only, the archive is fine
            raise PageDropped.counted(self.stats, item, f"unserialisable ({exc})") from None
        except (ArchiveWriteError, OSError) as exc:
            self._stop(exc)
            raise PageDropped.counted(self.stats, item, f"archive_error ({exc.strerror or exc})") from None
        self.stats.inc_value("articles/archived")
        files = self.stats.get_value("archive/files") or []
        if str(path) not in files:
            self.stats.set_value("archive/files", [*files, str(path)])
        return item.record

    def _stop(self, exc: OSError) -> None:
        """The archive cannot be written: stop the crawl (finish reason `archive_error`, exit status 1)."""
        self.failed = True
        log.error("Cannot write the archive, stopping the crawl: %s", exc)
        self.stats.set_value("archive/error", str(exc))
        assert self.crawler.engine is not None
        deferred_from_coro(self.crawler.engine.close_spider_async(reason="archive_error"))
