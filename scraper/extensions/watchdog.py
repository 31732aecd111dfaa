"""The crawl watchdog: a crawl that makes no progress while it has work in hand is stopped, not left idling
forever (holding the cron job's lock, so that every later run is skipped without a word).

Progress is a request leaving the downloader (answered or failed) or an item leaving the pipelines (archived,
dropped or failed). Work in hand is anything but an idle engine: pages being parsed, items in the pipelines,
downloads in flight, requests queued, or a spider being closed. An idle engine kept open on purpose (a
spider waiting for new requests) is not stuck.

It runs in a thread of its own, so it still fires when the reactor thread itself is stuck (a blocked write, a
lock). When it fires it logs one ERROR naming what the pipelines wait on and ends the process with exit
status 4 (EXIT_STUCK). Records already archived are whole: the archive writes each line with one write().
"""

from __future__ import annotations

import logging
import os
import sys
import threading
import time
import weakref

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.http import Request, Response

log = logging.getLogger(__name__)
EXIT_STUCK = 4  # the process exit status when the watchdog stops a stuck crawl


PROGRESS = (signals.request_left_downloader, signals.item_scraped, signals.item_dropped, signals.item_error)


class PipelineWatchdog:
    """Ends the crawl when it has made no progress for CRAWL_WATCHDOG_TIMEOUT seconds with work in hand."""

    def __init__(self, crawler: Crawler, timeout: float) -> None:
        self.crawler = crawler
        self.timeout = timeout
        self.last_progress = time.monotonic()
        self.stopped = threading.Event()
        self.received: weakref.WeakKeyDictionary[Request, float] = weakref.WeakKeyDictionary()  # when, per page
        for signal in PROGRESS:
            crawler.signals.connect(self._progress, signal=signal)
        crawler.signals.connect(self._received, signal=signals.response_received)
        crawler.signals.connect(self._start, signal=signals.engine_started)
        crawler.signals.connect(self._stop, signal=signals.engine_stopped)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> PipelineWatchdog:
        timeout = crawler.settings.getfloat("CRAWL_WATCHDOG_TIMEOUT")
        if timeout <= 0:
            raise NotConfigured("CRAWL_WATCHDOG_TIMEOUT is 0")
        return cls(crawler, timeout)

    def _progress(self, *args: object, **kwargs: object) -> None:
        self.last_progress = time.monotonic()

    def _received(self, response: Response, request: Request, **kwargs: object) -> None:
        self.received[request] = time.monotonic()

    def _start(self) -> None:
        self.last_progress = time.monotonic()
        threading.Thread(target=self._watch, name="crawl-watchdog", daemon=True).start()

    def _stop(self) -> None:
        self.stopped.set()

    def waiting(self) -> list[str]:
        """What the crawl is busy with: items in the pipelines, the pages they came from, what each pipeline
        that can tell (a `waiting_on()` method) waits on, downloads in flight, and a close under way."""
        engine = self.crawler.engine
        scraper = getattr(engine, "scraper", None)
        slot = getattr(scraper, "slot", None)
        lines: list[str] = []
        if scraper is not None and slot is not None:
            if slot.itemproc_size:
                lines.append(f"{slot.itemproc_size} item(s) in the pipelines")
            now = time.monotonic()  # oldest first: the page that is stuck, not the ones queued behind it
            ages = sorted(((now - self.received.get(r, now), r.url) for r in list(slot.active)), reverse=True)
            if ages:
                lines.append(
                    f"{len(ages)} page(s) not done, oldest first: "
                    + ", ".join(f"{url} ({age:.0f} s)" for age, url in ages[:5])
                    + (" ..." if len(ages) > 5 else "")
                )
            for pipeline in getattr(scraper.itemproc, "middlewares", ()):
                waiting_on = getattr(pipeline, "waiting_on", None)
                if callable(waiting_on):
                    lines.extend(f"{type(pipeline).__name__}: {line}" for line in waiting_on())
        downloads = sorted(request.url for request in list(getattr(getattr(engine, "downloader", None), "active", ())))
        if downloads:
            lines.append(f"{len(downloads)} download(s) in flight: {', '.join(downloads[:5])}")
        if self._closing():
            lines.append("the spider is closing")
        lines.append(f"the reactor thread is in {self._reactor_at()}")
        return lines

    def _reactor_at(self) -> str:
        """Where the reactor (main) thread is: its innermost frames, the place a blocking call sits in."""
        frame = sys._current_frames().get(threading.main_thread().ident or 0)
        where: list[str] = []
        while frame is not None and len(where) < 3:
            path = "/".join(frame.f_code.co_filename.split("/")[-2:])
            where.append(f"{frame.f_code.co_name} ({path}:{frame.f_lineno})")
            frame = frame.f_back
        return " <- ".join(where) or "an unknown place"

    def _closing(self) -> bool:
        # Scrapy has no public "closing" state; its engine slot holds the close Deferred while a close runs.
        return getattr(getattr(self.crawler.engine, "_slot", None), "closing", None) is not None

    def stuck_for(self) -> float:
        """Seconds without progress with work in hand; 0 while the engine is idle and open on purpose."""
        engine = self.crawler.engine
        if engine is None or (not self._closing() and engine.spider_is_idle()):
            self.last_progress = time.monotonic()
            return 0.0
        return time.monotonic() - self.last_progress

    def _watch(self) -> None:
        interval = min(10.0, max(0.2, self.timeout / 10))
        while not self.stopped.wait(interval):
            try:
                stuck = self.stuck_for()
                if stuck < self.timeout:
                    continue
                waiting = self.waiting()
            except Exception:  # the engine changed under us (it is shutting down): look again later
                continue
            log.error(
                "Watchdog: the crawl made no progress for %.0f s (CRAWL_WATCHDOG_TIMEOUT); "
                "waiting on: %s. Stopping the crawl with exit status %d.",
                stuck,
                "; ".join(waiting) or "nothing it can name",
                EXIT_STUCK,
            )
            for handler in logging.getLogger().handlers:
                handler.flush()
            os._exit(EXIT_STUCK)
