"""WARC capture (issue 12): the responses the crawl fetched, as the server sent them, in the run's
ARCHIVE_DIR/YYYY-MM-DD/<spider>-<run_id>.warc.gz beside its JSONL.

Two middlewares share one `CrawlCapture` per crawler:

- `CaptureDownloaderMiddleware` (downloader middleware, 595) sees each response on its way back between
  the redirect middleware (600: redirects are followed, not captured) and HttpCompressionMiddleware (590),
  so it keeps the status, headers and body as sent (still gzip when Content-Encoding says so) with the
  request's method and headers. It only keeps them, in memory, beside the request.
- `CaptureSpiderMiddleware` (spider middleware, 930) writes the capture when the response reaches the
  spider (a 2xx, or a status the spider asked for; a response Scrapy refused, such as a gzip bomb, is not
  written): an article response at once, before its callback runs, so articles the pipelines drop are
  captured too and no record can point at WARC bytes not yet written; with ARCHIVE_WARC_ALL every
  response (sitemaps, feeds, navigation); a navigation response otherwise only when the spider makes a Page
  of it. Each Page it yields gets the capture's `source`.

A response whose payload digest equals that of its URL's last capture (this run's, or the one the archive's
latest record of the URL points at) is written as a `revisit` record; the Page's `source` then points at
the earlier response record, which holds the bytes.
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

from archive.warc import Capture, Source, WarcError, WarcWriter, payload_digest, read_capture
from scraper.items import Page
from scraper.record import extractor_stamp
from scraper.run import run_id, stop_for_archive_error
from scraper.seen import SeenStore
from scraper.urls import strip_tracking

log = logging.getLogger(__name__)
_CAPTURES: weakref.WeakKeyDictionary[Crawler, CrawlCapture] = weakref.WeakKeyDictionary()


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


class CrawlCapture:
    """The crawler's one WARC writer, and what decides between a response and a revisit record."""

    def __init__(self, crawler: Crawler) -> None:
        assert crawler.stats is not None
        settings = crawler.settings
        self.crawler = crawler
        self.stats: StatsCollector = crawler.stats
        self.enabled = settings.getbool("ARCHIVE_WARC")
        self.capture_all = settings.getbool("ARCHIVE_WARC_ALL")
        self.root = Path(settings.get("ARCHIVE_DIR") or "data")
        self.fsync_every = settings.getint("ARCHIVE_FSYNC_EVERY")
        self.store = SeenStore.of(crawler)
        self.writer: WarcWriter | None = None
        self.failed = False  # a WARC write failed: the crawl is stopping, nothing more is captured
        self._pending: weakref.WeakKeyDictionary[Request, Capture] = weakref.WeakKeyDictionary()
        crawler.signals.connect(self.close, signal=signals.spider_closed)

    @classmethod
    def of(cls, crawler: Crawler) -> CrawlCapture:
        """The crawler's one capture (shared by the two middlewares and the archive pipeline)."""
        if crawler not in _CAPTURES:
            _CAPTURES[crawler] = cls(crawler)
        return _CAPTURES[crawler]

    def keep(self, request: Request, capture: Capture) -> None:
        """Hold `capture` until the spider gets the response of `request` (or the request is gone)."""
        self._pending[request] = capture

    def take(self, request: Request) -> Capture | None:
        """The capture held for `request`, no longer held."""
        return self._pending.pop(request, None)

    def write(self, capture: Capture, metadata: Mapping[str, object]) -> Source | None:
        """Write `capture` (a revisit record when its URL's last capture has the same payload) and return where
        the WARC holds its bytes; None when the WARC cannot be written (the crawl is then stopping)."""
        if self.failed:
            return None
        self.store.open()
        try:
            writer = self._writer()
            size = writer.bytes_written
            source = self._revisit(writer, capture)
            if source is None:
                source = writer.write_response(capture, metadata=metadata)
                self.stats.inc_value("warc/responses")
            self.stats.inc_value("warc/bytes", writer.bytes_written - size)
        except OSError as exc:
            self.failed = True
            self.stats.inc_value("warc/errors")
            log.error("Cannot write the WARC capture of %s: %s", capture.url, exc)
            stop_for_archive_error(self.crawler, exc)
            return None
        self.store.add_capture(capture.url, source)
        return source

    def _writer(self) -> WarcWriter:
        if self.writer is None:
            assert self.crawler.spider is not None
            self.writer = WarcWriter(
                self.root,
                self.crawler.spider.name,
                run_id(self.crawler),
                software=f"news-archiver {extractor_stamp()['version']}",
                fsync_every=self.fsync_every,
            )
        return self.writer

    def _revisit(self, writer: WarcWriter, capture: Capture) -> Source | None:
        """A revisit record for an unchanged payload, pointing at the earlier response; None when the payload
        is new, or the earlier response cannot be read (then the response is stored again, in full)."""
        previous = self.store.last_capture(capture.url)
        if previous is None or previous.get("digest") != payload_digest(capture.body):
            return None
        try:
            earlier = read_capture(self.root, previous)
        except (OSError, WarcError) as exc:
            log.warning(
                "The last capture of %s (%s) cannot be read (%s): storing the response again",
                capture.url,
                previous["warc"],
                exc,
            )
            return None
        if strip_tracking(earlier.url) != strip_tracking(capture.url):
            log.warning("The last capture of %s holds %s: storing the response again", capture.url, earlier.url)
            return None
        source = writer.write_revisit(capture, previous, earlier.url, earlier.date)
        self.stats.inc_value("warc/revisits")
        return source

    def flush(self) -> None:
        """fsync the WARC file (before the JSONL that points into it is fsynced)."""
        if self.writer is not None and not self.failed:
            try:
                self.writer.flush()
            except OSError as exc:
                self.failed = True
                self.stats.inc_value("warc/errors")
                stop_for_archive_error(self.crawler, exc)

    def close(self) -> None:
        """fsync and close the WARC file."""
        if self.writer is not None:
            try:
                self.writer.close()
            except OSError as exc:
                self.stats.inc_value("warc/errors")
                log.error("Closing the WARC capture failed: %s", exc)
            self.writer = None


class CaptureDownloaderMiddleware:
    """Downloader middleware (595): keeps each response as the server sent it, for CaptureSpiderMiddleware."""

    def __init__(self, crawler: Crawler) -> None:
        if not crawler.settings.getbool("ARCHIVE_WARC"):
            raise NotConfigured
        self.capture = CrawlCapture.of(crawler)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CaptureDownloaderMiddleware:
        """The middleware of `crawler`; NotConfigured when ARCHIVE_WARC is False."""
        return cls(crawler)

    def process_response(self, request: Request, response: Response) -> Response:
        """Keep the response, body still encoded, beside its request; pass it on untouched."""
        self.capture.keep(request, capture_of(request, response))
        return response


class CaptureSpiderMiddleware(BaseSpiderMiddleware):
    """Spider middleware (930): writes the kept capture of each response the spider gets (see the module
    docstring for which), and sets each Page's `source`."""

    def __init__(self, crawler: Crawler) -> None:
        if not crawler.settings.getbool("ARCHIVE_WARC"):
            raise NotConfigured
        super().__init__(crawler)
        self.capture = CrawlCapture.of(crawler)
        self._sources: weakref.WeakKeyDictionary[Request, Source] = weakref.WeakKeyDictionary()

    def process_spider_input(self, response: Response) -> None:
        """Write an article's capture (every capture with ARCHIVE_WARC_ALL) before its callback runs."""
        request = response.request
        if request is None:
            return
        meta = request.meta
        if self.capture.capture_all or meta.get("kind") == "article":
            capture = self.capture.take(request)
            if capture is not None and (source := self.capture.write(capture, self._metadata(meta))) is not None:
                self._sources[request] = source

    def get_processed_item(self, item: Any, response: Response | None) -> Any:
        """A Page gets its response's `source` (a navigation page's capture is written now, when it is an article)."""
        if not isinstance(item, Page) or response is None or response.request is None:
            return item
        request = response.request
        source = self._sources.get(request)
        if source is None and (capture := self.capture.take(request)) is not None:
            source = self.capture.write(capture, self._metadata(request.meta, item.navigation))
            if source is not None:
                self._sources[request] = source
        item.source = source
        return item

    def _metadata(self, meta: Mapping[str, Any], navigation: str | None = None) -> dict[str, object]:
        """The WARC metadata record beside a response: what extraction gets besides the page (the site id, its
        boilerplate patterns, the discovery hints, why a navigation URL was taken for an article) and the
        request kind, so that re-extraction from the WARC sees what the crawl saw."""
        site = meta.get("site")
        config = getattr(self.crawler.spider, "sites", {}).get(site)  # the news spider's sites.toml entries
        fields: dict[str, object] = {
            "site": site,
            "kind": meta.get("kind"),
            "hints": json.loads(json.dumps(meta.get("hints") or {}, default=str)),  # JSON whatever discovery put there
            "site_patterns": list(getattr(config, "boilerplate_patterns", ())),
        }
        if navigation:
            fields["navigation"] = navigation
        return fields
