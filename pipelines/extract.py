"""Extract pipeline: Page -> Article, in a process pool so the reactor keeps fetching."""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import signal
import threading
import time
from concurrent.futures import Executor, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from types import FrameType
from typing import Any

from scrapy.crawler import Crawler
from scrapy.statscollectors import StatsCollector

from scraper.extract import Extraction, analyse_page
from scraper.items import Article, Page

log = logging.getLogger(__name__)
# A worker is replaced after this many pages, so the heap one pathological page grew does not stay for the run.
PAGES_PER_WORKER = 500


class ExtractionTimeout(BaseException):
    """A page took longer than EXTRACT_TIMEOUT to extract. A BaseException, so that no `except Exception`
    inside the extraction code (ours or a library's) swallows it and carries on."""


def _alarm(signum: int, frame: FrameType | None) -> None:
    raise ExtractionTimeout


def _alive(pid: int) -> bool:
    """Whether process `pid` is running (a zombie is not)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            return stat.read().rsplit(b")", 1)[1].split()[0] != b"Z"
    except FileNotFoundError:
        return False
    except OSError:  # no /proc: ask the kernel
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        return True


def watch_crawler(pid: int, interval: float = 1.0) -> None:
    """Worker initializer: exit when the crawler is gone, even killed with SIGKILL (nothing else would tell us)."""

    def watch() -> None:
        while _alive(pid):
            time.sleep(interval)
        os._exit(1)

    threading.Thread(target=watch, name="watch-crawler", daemon=True).start()


def extract_with_deadline(body: bytes, url: str, content_type: str | None, hints: dict[str, Any],
                          timeout: float) -> Extraction:
    """Run extraction in a worker process, interrupted after `timeout` seconds (SIGALRM, repeated every
    0.1 s after that in case something catches the first one)."""
    previous = signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, timeout, 0.1)
    try:
        return analyse_page(body, url, content_type=content_type, hints=hints, stripper=None)
    finally:
        while True:  # an alarm may still arrive while the timer is being stopped
            try:
                signal.setitimer(signal.ITIMER_REAL, 0)
                signal.signal(signal.SIGALRM, previous)
                break
            except ExtractionTimeout:
                continue


class ExtractPipeline:
    """Turns each Page into an Article. Boilerplate lines are left to BoilerplatePipeline."""

    def __init__(self, stats: StatsCollector, workers: int, timeout: float) -> None:
        self.stats = stats
        self.workers = workers
        self.timeout = timeout
        self.pool: Executor | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ExtractPipeline:
        settings = crawler.settings
        assert crawler.stats is not None
        return cls(crawler.stats, max(0, settings.getint("EXTRACT_WORKERS")), settings.getfloat("EXTRACT_TIMEOUT"))

    def _new_pool(self) -> Executor:
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(["scraper.extract"])
        return ProcessPoolExecutor(max_workers=self.workers, mp_context=context, initializer=watch_crawler,
                                   initargs=(os.getpid(),), max_tasks_per_child=PAGES_PER_WORKER)

    def open_spider(self) -> None:
        """Start the worker processes."""
        if self.workers:
            self.pool = self._new_pool()

    def close_spider(self) -> None:
        """Stop the worker processes."""
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)
            self.pool = None

    async def _extract(self, page: Page) -> Extraction:
        if self.pool is None:
            return analyse_page(page.body, page.url, content_type=page.content_type, hints=page.hints,
                                stripper=None)
        future = self.pool.submit(extract_with_deadline, page.body, page.url, page.content_type, page.hints,
                                  self.timeout)
        return await asyncio.wrap_future(future)

    async def process_item(self, item: Any) -> Any:
        """Page in, Article out; other items pass through untouched."""
        if not isinstance(item, Page):
            return item
        try:
            result = await self._extract(item)
        except ExtractionTimeout:  # the Dropped line says so: one line per page
            return Article(record={}, page=item, not_article=f"extract_timeout (over {self.timeout:g} s)")
        except BrokenProcessPool:
            log.error("An extraction worker died on %s; starting new workers", item.url)
            if self.pool is not None:
                self.pool.shutdown(wait=False, cancel_futures=True)
            self.pool = self._new_pool()
            return Article(record={}, page=item, not_article="extract_crashed")
        except Exception as exc:
            log.error("Extraction of %s failed: %s: %s", item.url, type(exc).__name__, exc)
            return Article(record={}, page=item, not_article=f"extract_error ({type(exc).__name__})")
        self.stats.inc_value("articles/extracted")
        return Article(record=result.record, page=item, not_article=result.not_article)
