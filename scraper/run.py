"""What the archive pipeline and the capture middleware share about one run: its id, and how it stops when the
archive (JSONL or WARC) cannot be written."""

from __future__ import annotations

import logging
import weakref

from scrapy.crawler import Crawler
from scrapy.utils.defer import deferred_from_coro

from archive.names import new_run_id
from scraper.fleet import fleet_url, worker_name

log = logging.getLogger(__name__)
_RUN_IDS: weakref.WeakKeyDictionary[Crawler, str] = weakref.WeakKeyDictionary()


def run_id(crawler: Crawler) -> str:
    """The crawl's run id (RUN_ID, else one made at first use): the JSONL and the WARC files of a run share it.
    A worker of a fleet (REDIS_URL) names its host and process in it, so workers sharing a disk never collide."""
    if crawler not in _RUN_IDS:
        made = f"{new_run_id()}-{worker_name()}" if fleet_url(crawler.settings) else new_run_id()
        _RUN_IDS[crawler] = crawler.settings.get("RUN_ID") or made
    return _RUN_IDS[crawler]


def stop_for_archive_error(crawler: Crawler, exc: OSError) -> None:
    """The archive cannot be written: log it, note it in the stats (`archive/error`) and stop the crawl with
    finish reason `archive_error` (exit status 1)."""
    log.error("Cannot write the archive, stopping the crawl: %s", exc)
    assert crawler.stats is not None and crawler.engine is not None
    crawler.stats.set_value("archive/error", str(exc))
    deferred_from_coro(crawler.engine.close_spider_async(reason="archive_error"))
