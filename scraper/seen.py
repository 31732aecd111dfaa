"""What the archive already holds, for incremental runs: derived from the archive files, never separate truth.

The archive's own index (root/.index, rebuilt from the JSONL files whenever it is missing or stale)
answers "was this URL or this text archived before?"; what this run archives is kept in memory beside it.
A run killed at any point leaves nothing to repair: the next run brings the index up to date from the
files, torn last lines skipped, before it fetches anything.
"""

from __future__ import annotations

import logging
import sqlite3
import weakref
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scrapy.crawler import Crawler

from archive.index import Index
from scraper.fleet import fleet_url
from scraper.urls import strip_tracking

if TYPE_CHECKING:
    from archive.warc import Source

log = logging.getLogger(__name__)
_STORES: weakref.WeakKeyDictionary[Crawler, SeenStore] = weakref.WeakKeyDictionary()  # one store per crawler


class SeenStore:
    """Archived URLs, content hashes and WARC captures of one archive root, plus this run's."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        self.index = Index(self.root)
        self._urls: set[str] = set()
        self._canonicals: set[str] = set()
        self._hashes: set[str] = set()
        self._captures: dict[str, Source] = {}
        self._opened = False
        self._usable = True

    @classmethod
    def of(cls, crawler: Crawler) -> SeenStore:
        """The crawler's one store (shared by the spider middleware and the dedupe pipeline)."""
        if crawler not in _STORES:
            root = crawler.settings.get("ARCHIVE_DIR") or "data"
            if fleet_url(crawler.settings):  # REDIS_URL: the fleet's archived keys are asked too
                from scraper.fleet.seen import RedisSeenStore

                _STORES[crawler] = RedisSeenStore(root, crawler)
            else:
                _STORES[crawler] = cls(root)
        return _STORES[crawler]

    @property
    def _indexed(self) -> bool:
        """Whether the archive's index can be asked (opened, and not broken)."""
        return self._opened and self._usable

    def open(self) -> None:
        """Bring the index up to date with the archive files (only bytes appended since last time are read)."""
        if self._opened:
            return
        self._opened = True
        if not self.root.exists():
            return
        try:
            stats = self.index.update()
        except (OSError, sqlite3.Error) as exc:
            self._usable = False
            log.error(
                "The archive index at %s cannot be updated (%s): articles archived by earlier runs may be "
                "fetched and archived again",
                self.index.path,
                exc,
            )
            return
        if stats.records:
            log.info(
                "Seen-store: indexed %d archived records from %d files in %.1f s",
                stats.records,
                stats.files,
                stats.seconds,
            )

    def close(self) -> None:
        """Index what this run wrote, so the next run starts at once, and close."""
        try:
            if self._indexed and self.root.exists():
                self.index.update()
        except (OSError, sqlite3.Error) as exc:
            log.warning(
                "The archive index at %s was not updated (%s); the next run will catch up", self.index.path, exc
            )
        finally:
            self.index.close()

    def has_url(self, url: str) -> bool:
        """Whether an article at `url` (tracking parameters aside) was archived."""
        url = strip_tracking(url)
        return url in self._urls or url in self._canonicals or (self._indexed and self.index.has_url(url))

    def last_crawled(self, url: str) -> str | None:
        """When an article at `url` was last archived (ISO 8601, UTC), None if never."""
        url = strip_tracking(url)
        if url in self._urls or url in self._canonicals:
            return datetime.now(UTC).isoformat(timespec="seconds")
        return self.index.last_crawled(url) if self._indexed else None

    def has_text(self, content_hash: str) -> bool:
        """Whether an article with this exact text was archived (under any URL)."""
        return content_hash in self._hashes or (self._indexed and self.index.has_content_hash(content_hash))

    def add(self, record: dict[str, Any]) -> None:
        """Remember an article this run is archiving."""
        if record.get("url"):
            self._urls.add(strip_tracking(record["url"]))
        if record.get("canonical_url"):
            self._canonicals.add(strip_tracking(record["canonical_url"]))
        if record.get("content_hash"):
            self._hashes.add(record["content_hash"])

    def confirm(self, record: dict[str, Any]) -> None:
        """The record is written to the archive (a fleet's store stops counting its keys as only claimed)."""

    def last_capture(self, url: str) -> Source | None:
        """Where the WARC holds the latest response captured for `url` (tracking parameters aside): this run's
        capture, else the one the latest archived record of `url` points at; None if there is none."""
        url = strip_tracking(url)
        if url in self._captures:
            return self._captures[url]
        return self.index.last_capture(url) if self._indexed else None

    def add_capture(self, url: str, source: Source) -> None:
        """Remember the response this run captured for `url` (for revisits of an unchanged page)."""
        self._captures[strip_tracking(url)] = source

    def only_named(self, url: str) -> bool:
        """Whether `url` is known only as the canonical a page of this run named, not as an archived page."""
        url = strip_tracking(url)
        return url in self._canonicals and url not in self._urls and not (self._indexed and self.index.has_url(url))

    def forget_canonical(self, url: str) -> None:
        """Stop treating `url` as archived because this run archived a page naming it as its canonical (pages
        with different texts name it: it is no article's key). Records of earlier runs still name it."""
        self._canonicals.discard(strip_tracking(url))
