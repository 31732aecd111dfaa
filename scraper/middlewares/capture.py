"""WARC capture (issue 12): the responses the crawl fetched, as the server sent them, in the run's
ARCHIVE_DIR/YYYY-MM-DD/<spider>-<run_id>.warc.gz beside its JSONL.

Three parts share one `CrawlCapture` per crawler:

- `CaptureDownloaderMiddleware` (downloader middleware, 595) sees each response on its way back between
  the redirect middleware (600: redirects are followed, not captured) and HttpCompressionMiddleware (590),
  so it keeps the status, headers and body as sent (still gzip when Content-Encoding says so) with the
  request's method and headers, beside the request. With ARCHIVE_WARC_ALL it writes the responses that
  are not articles (robots.txt, sitemaps, feeds, navigation) at once.
- `CaptureSpiderMiddleware` (spider middleware, 930) hands the kept capture to each Page the spider makes of
  a response (an article; an article found at a navigation URL). A response that never reaches the spider
  (a non-2xx, a gzip bomb Scrapy refused) or that the spider makes no Page of is not written.
- `pipelines.capture.CapturePipeline` (the first pipeline) writes the Page's capture and sets its `source`
  before extraction, so articles the later pipelines drop are captured too, and no record can point at
  WARC bytes not yet written.

The records are built and written by one worker process (scraper.warcworker): the reactor thread only
hands the capture over. A response whose payload digest equals that of its URL's last capture (this run's,
or the one the archive's latest record of the URL points at) is written as a `revisit` record; the Page's
`source` then points at the earlier response record, which holds the bytes.
"""

from __future__ import annotations

import json
import logging
import weakref
from collections.abc import Mapping
from datetime import UTC, datetime
from http import HTTPStatus
from pathlib import Path
from typing import Any

from scrapy import Request, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.http import Headers, Response
from scrapy.spidermiddlewares.base import BaseSpiderMiddleware
from scrapy.statscollectors import StatsCollector

from archive.warc import Capture, Source
from scraper import warcworker
from scraper.items import Page
from scraper.run import run_id, stop_for_archive_error
from scraper.seen import SeenStore
from scraper.workerpool import WorkerCrashed, WorkerOverdue, WorkerPool

log = logging.getLogger(__name__)
_CAPTURES: weakref.WeakKeyDictionary[Crawler, CrawlCapture] = weakref.WeakKeyDictionary()
WRITE_DEADLINE = 120.0  # seconds one WARC write may take before its worker is killed and the crawl stops
_FAILURES = (OSError, WorkerCrashed, WorkerOverdue)


def header_pairs(headers: Headers) -> list[tuple[str, str]]:
    """Scrapy's Headers as (name, value) pairs in order, one per value, bytes read as latin-1 (as HTTP does).
    Scrapy normalises the case of names (`content-type` -> `Content-Type`); values are as received."""
    return [(name.decode("latin-1"), value.decode("latin-1")) for name, values in headers.items() for value in values]


def capture_of(request: Request, response: Response) -> Capture:
    """What the server sent for `request`: status, headers and body as received (a chunked body de-chunked,
    as every HTTP client hands it over: archive.warc keeps that header under another name), and the request's
    method and headers. Scrapy keeps no reason phrase: the standard one for the status is stored."""
    try:
        reason = HTTPStatus(response.status).phrase
    except ValueError:
        reason = ""
    return Capture(
        url=response.url,
        status=response.status,
        reason=reason,
        headers=header_pairs(response.headers),
        body=response.body,
        method=request.method,
        request_headers=header_pairs(request.headers),
        date=datetime.now(UTC),
        ip=str(response.ip_address) if response.ip_address is not None else None,
    )


def metadata(
    site: str | None, kind: str | None, hints: Mapping[str, object], site_patterns: tuple[str, ...] | list[str]
) -> dict[str, object]:
    """The WARC metadata record beside a response: what extraction gets besides the page (the site id, its
    boilerplate patterns, the discovery hints) and the request kind, so that re-extraction sees what the crawl
    saw. Hints are made JSON whatever discovery put there."""
    return {
        "site": site,
        "kind": kind,
        "hints": json.loads(json.dumps(dict(hints), default=str)),
        "site_patterns": list(site_patterns),  # every explicit pattern: BOILERPLATE_EXTRA_PATTERNS, then the site's
    }


class CrawlCapture:
    """The crawler's one WARC writer (a worker process), and what it has kept until a Page gets it."""

    def __init__(self, crawler: Crawler) -> None:
        assert crawler.stats is not None
        settings = crawler.settings
        self.crawler = crawler
        self.stats: StatsCollector = crawler.stats
        self.capture_all = settings.getbool("ARCHIVE_WARC_ALL")
        self.root = Path(settings.get("ARCHIVE_DIR") or "data").resolve()
        self.fsync_every = max(0, settings.getint("ARCHIVE_FSYNC_EVERY"))
        # the forkserver is shared with the extraction pool: whichever pool starts it first preloads for both
        self.preload = ["scraper.warcworker"] + (["scraper.extract"] if settings.getint("EXTRACT_WORKERS") > 0 else [])
        self.store = SeenStore.of(crawler)
        self.pool: WorkerPool | None = None
        self.failed = False  # a WARC write failed: the crawl is stopping, nothing more is captured
        self._pending: weakref.WeakKeyDictionary[Request, Capture] = weakref.WeakKeyDictionary()
        self._sources: weakref.WeakKeyDictionary[Request, Source] = weakref.WeakKeyDictionary()
        crawler.signals.connect(self.close, signal=signals.spider_closed)

    @classmethod
    def of(cls, crawler: Crawler) -> CrawlCapture:
        """The crawler's one capture (shared by the middlewares and the pipelines)."""
        if crawler not in _CAPTURES:
            _CAPTURES[crawler] = cls(crawler)
        return _CAPTURES[crawler]

    def keep(self, request: Request, capture: Capture) -> None:
        """Hold `capture` until a Page of the response of `request` takes it (or the request is gone)."""
        self._pending[request] = capture

    def take(self, request: Request) -> tuple[Capture | None, Source | None]:
        """For a Page of the response of `request`: the capture held for it (no longer held), or where it was
        written already (ARCHIVE_WARC_ALL)."""
        return self._pending.pop(request, None), self._sources.get(request)

    async def write_response(self, request: Request, capture: Capture) -> None:
        """Write a response that is not an article's at once (ARCHIVE_WARC_ALL); a Page made of it gets it."""
        meta = request.meta
        fields = metadata(meta.get("site"), meta.get("kind"), meta.get("hints") or {}, self._patterns(meta))
        if (source := await self.write(capture, fields)) is not None:
            self._sources[request] = source

    def _patterns(self, meta: Mapping[str, Any]) -> list[str]:
        config = getattr(self.crawler.spider, "sites", {}).get(meta.get("site"))  # the news spider's sites.toml
        return list(getattr(config, "boilerplate_patterns", ()))

    async def write(self, capture: Capture, fields: Mapping[str, object]) -> Source | None:
        """Write `capture` (a revisit record when its URL's last capture has the same payload) and return where
        the WARC holds its bytes; None when the WARC cannot be written (the crawl is then stopping)."""
        if self.failed:
            return None
        self.store.open()
        previous = self.store.last_capture(capture.url)
        assert self.crawler.spider is not None
        try:
            written: warcworker.Written = await self._pool().run(
                capture.url,
                warcworker.write,
                str(self.root),
                self.crawler.spider.name,
                run_id(self.crawler),
                self.fsync_every,
                capture,
                fields,
                previous,
            )
        except _FAILURES as exc:
            self._fail(f"Cannot write the WARC capture of {capture.url}", exc)
            return None
        if written.warning:
            log.warning("%s: storing the response again", written.warning)
        self.stats.inc_value(f"warc/{written.kind}s")
        self.stats.inc_value("warc/bytes", written.size)
        self.store.add_capture(capture.url, written.source)
        return written.source

    def _pool(self) -> WorkerPool:
        if self.pool is None:
            self.pool = WorkerPool(1, 2**62, WRITE_DEADLINE, preload=self.preload)
        return self.pool

    def _fail(self, what: str, exc: BaseException) -> None:
        """A WARC write failed: count it, log it, stop the crawl as an archive write error does."""
        self.stats.inc_value("warc/errors")
        if self.failed:
            return
        self.failed = True
        log.debug("%s: %s", what, exc)  # stop_for_archive_error logs the ERROR line, once
        stop_for_archive_error(self.crawler, exc if isinstance(exc, OSError) else OSError(f"{what}: {exc}"))

    async def flush(self) -> None:
        """fsync the WARC file (before the JSONL that points into it is fsynced)."""
        if self.pool is not None and not self.failed:
            try:
                await self.pool.run("flush the WARC", warcworker.flush)
            except _FAILURES as exc:
                self._fail("Cannot fsync the WARC capture", exc)

    async def close(self) -> None:
        """fsync and close the WARC file, and end its worker."""
        if self.pool is None:
            return
        pool, self.pool = self.pool, None
        try:
            await pool.run("close the WARC", warcworker.close)
        except _FAILURES as exc:
            self.stats.inc_value("warc/errors")
            log.error("Closing the WARC capture failed: %s", exc)
        finally:
            pool.close()


class CaptureDownloaderMiddleware:
    """Downloader middleware (595): keeps each response as the server sent it, for the Page made of it."""

    def __init__(self, crawler: Crawler) -> None:
        if not crawler.settings.getbool("ARCHIVE_WARC"):
            raise NotConfigured
        self.capture = CrawlCapture.of(crawler)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CaptureDownloaderMiddleware:
        """The middleware of `crawler`; NotConfigured when ARCHIVE_WARC is False."""
        return cls(crawler)

    async def process_response(self, request: Request, response: Response) -> Response:
        """Keep the response, body still encoded, beside its request (with ARCHIVE_WARC_ALL, write a 2xx
        that is not an article's now); pass it on untouched."""
        capture = capture_of(request, response)
        if self.capture.capture_all and request.meta.get("kind") != "article" and 200 <= response.status < 300:
            await self.capture.write_response(request, capture)
        else:
            self.capture.keep(request, capture)
        return response


class CaptureSpiderMiddleware(BaseSpiderMiddleware):
    """Spider middleware (930): gives each Page the capture of its response, for CapturePipeline to write."""

    def __init__(self, crawler: Crawler) -> None:
        if not crawler.settings.getbool("ARCHIVE_WARC"):
            raise NotConfigured
        super().__init__(crawler)
        self.capture = CrawlCapture.of(crawler)

    def get_processed_item(self, item: Any, response: Response | None) -> Any:
        """A Page gets its response's capture (or, written already, its `source`)."""
        if isinstance(item, Page) and response is not None and response.request is not None:
            item.capture, item.source = self.capture.take(response.request)
        return item
