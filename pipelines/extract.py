"""Extract pipeline: Page -> Article, in a process pool so the reactor keeps fetching."""

from __future__ import annotations

import logging

from scrapy.crawler import Crawler
from scrapy.statscollectors import StatsCollector

from scraper.archivable import ExtractionTimeout, error_reason, extract_with_deadline, timeout_reason
from scraper.extract import Extraction, analyse_page
from scraper.items import Article, Page
from scraper.workerpool import WorkerCrashed, WorkerOverdue, WorkerPool

log = logging.getLogger(__name__)
# Seconds a worker may overrun EXTRACT_TIMEOUT (its own alarm) before the crawler kills it.
KILL_GRACE = 5.0


class ExtractPipeline:
    """Turns each Page into an Article. Boilerplate lines are left to BoilerplatePipeline."""

    def __init__(self, stats: StatsCollector, workers: int, timeout: float, pages_per_worker: int) -> None:
        self.stats = stats
        self.workers = workers
        self.timeout = timeout
        self.pages_per_worker = pages_per_worker
        self.pool: WorkerPool | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ExtractPipeline:
        settings = crawler.settings
        assert crawler.stats is not None
        return cls(
            crawler.stats,
            max(0, settings.getint("EXTRACT_WORKERS")),
            settings.getfloat("EXTRACT_TIMEOUT"),
            max(1, settings.getint("EXTRACT_WORKER_MAX_PAGES")),
        )

    def open_spider(self) -> None:
        """Start the worker pool (its processes start with the first pages)."""
        if self.workers:
            self.pool = WorkerPool(
                self.workers, self.pages_per_worker, self.timeout + KILL_GRACE, preload=["scraper.extract"]
            )

    def close_spider(self) -> None:
        """Stop the worker processes."""
        if self.pool is not None:
            self.stats.set_value("extract/workers_started", self.pool.started)
            self.pool.close()
            self.pool = None

    def waiting_on(self) -> list[str]:
        """The pages being extracted and how many wait, for the crawl watchdog."""
        return [f"extracting {line}" for line in self.pool.waiting()] if self.pool is not None else []

    async def _extract(self, page: Page) -> Extraction:
        if self.pool is None:
            return analyse_page(page.body, page.url, content_type=page.content_type, hints=page.hints, stripper=None)
        result: Extraction = await self.pool.run(
            page.url, extract_with_deadline, page.body, page.url, page.content_type, page.hints, self.timeout
        )
        return result

    async def process_item(self, item: Page | Article) -> Page | Article:
        """Page in, Article out; other items pass through untouched."""
        if not isinstance(item, Page):
            return item
        try:
            result = await self._extract(item)
        except (ExtractionTimeout, WorkerOverdue):  # the Dropped line says so: one line per page
            return Article(record={}, page=item, not_article=timeout_reason(self.timeout))
        except WorkerCrashed as exc:
            log.error("An extraction worker died on %s (%s); a new one takes its place", item.url, exc)
            return Article(record={}, page=item, not_article="extract_crashed")
        except Exception as exc:
            return Article(record={}, page=item, not_article=error_reason(item.url, exc))
        self.stats.inc_value("articles/extracted")
        return Article(record=result.record, page=item, not_article=result.not_article)
