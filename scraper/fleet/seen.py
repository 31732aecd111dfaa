"""The seen-store of a fleet worker: its archive's own answers, plus the fleet's set of archived article keys
in Redis, so that no worker fetches or archives what another one archived, in this run or an earlier one."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from scrapy.crawler import Crawler

from scraper.fleet.shared import Fleet
from scraper.seen import SeenStore
from scraper.urls import strip_tracking


class RedisSeenStore(SeenStore):
    """SeenStore whose URL and text questions also ask the fleet's Redis set `<spider>:archived`
    (`url:<url>`, `hash:<content hash>`), and whose "when?" asks `<spider>:crawled` (URL -> crawled_at); what
    this worker archives is added to both."""

    def __init__(self, root: str, crawler: Crawler) -> None:
        super().__init__(root)
        self.fleet = Fleet.of(crawler)

    def _shared(self, key: str) -> bool:
        return self.fleet.call(lambda: bool(self.fleet.server.sismember(self.fleet.archived_key, key)), False)

    def has_url(self, url: str) -> bool:
        """Whether this archive or any worker of the fleet archived an article at `url`."""
        return super().has_url(url) or self._shared("url:" + strip_tracking(url))

    def last_crawled(self, url: str) -> str | None:
        """When this archive or, failing that, any worker of the fleet last archived an article at `url`."""
        if local := super().last_crawled(url):
            return local
        raw = self.fleet.call(lambda: self.fleet.server.hget(self.fleet.crawled_key, strip_tracking(url)), None)
        return raw.decode() if isinstance(raw, bytes) else raw

    def has_text(self, content_hash: str) -> bool:
        """Whether this archive or any worker of the fleet archived this exact text; when none did, the text
        is claimed for this worker in the same step (SADD), so two workers that fetch copies of one text at
        the same moment cannot both archive it."""
        if super().has_text(content_hash):
            return True
        key = "hash:" + content_hash

        def claim() -> bool:
            pipe = self.fleet.server.pipeline()  # MULTI: the claim and its record as this worker's, together
            pipe.sadd(self.fleet.archived_key, key)
            pipe.sadd(self.fleet.claims_key, key)
            added, _ = pipe.execute()
            if not added:  # another worker archived it (or is archiving it): not this worker's claim
                self.fleet.server.srem(self.fleet.claims_key, key)
            return not added

        return self.fleet.call(claim, False)

    @staticmethod
    def _keys(record: dict[str, Any]) -> tuple[list[str], list[str]]:
        """A record's URLs (tracking parameters aside) and its keys in the fleet's set."""
        urls = [strip_tracking(u) for u in (record.get("url"), record.get("canonical_url")) if u]
        keys = [f"url:{u}" for u in urls] + ([f"hash:{record['content_hash']}"] if record.get("content_hash") else [])
        return urls, keys

    def add(self, record: dict[str, Any]) -> None:
        """Remember an article this worker archives, here and in the fleet's set."""
        super().add(record)
        urls, keys = self._keys(record)
        if not keys:
            return
        pipe = self.fleet.server.pipeline()
        pipe.sadd(self.fleet.archived_key, *keys)
        pipe.sadd(self.fleet.claims_key, *keys)  # claimed until the archive pipeline wrote the record (confirm)
        # when, for revisits after a sitemap lastmod on any machine (the archive pipeline stamps crawled_at later)
        crawled = record.get("crawled_at") or datetime.now(UTC).isoformat(timespec="seconds")
        if urls:
            pipe.hset(self.fleet.crawled_key, mapping=dict.fromkeys(urls, crawled))
        self.fleet.call(pipe.execute, [])

    def confirm(self, record: dict[str, Any]) -> None:
        """The record is in this worker's archive file: its keys are no longer only claimed (a worker killed
        before this has its claims taken back out of `<spider>:archived` by the worker that recovers it)."""
        _, keys = self._keys(record)
        if keys:
            self.fleet.call(lambda: self.fleet.server.srem(self.fleet.claims_key, *keys), 0)

    def forget_canonical(self, url: str) -> None:
        """A canonical that pages with other texts name is no key: out of the fleet's set too, when only this
        run's pages had named it."""
        if self.only_named(url):
            self.fleet.call(lambda: self.fleet.server.srem(self.fleet.archived_key, "url:" + strip_tracking(url)), 0)
        super().forget_canonical(url)
