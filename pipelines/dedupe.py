"""Dedupe pipeline: one article is archived once, whatever URL it came under."""

from __future__ import annotations

from typing import Any

from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.statscollectors import StatsCollector

from pipelines.validate import PageDropped
from scraper.items import Article
from scraper.seen import SeenStore


class DedupePipeline:
    """Drops an article whose URL or canonical URL (`duplicate_url`) or text (`duplicate_content`:
    syndicated copies, AMP and mobile variants) the archive or this run already holds. A revision (a page
    fetched again because its sitemap lastmod is newer) is archived when its text changed (`unchanged`
    otherwise), so the archive holds both versions."""

    def __init__(self, store: SeenStore, stats: StatsCollector) -> None:
        self.store = store
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> DedupePipeline:
        if not crawler.settings.getbool("DEDUPE") or crawler.stats is None:
            raise NotConfigured
        return cls(SeenStore.for_crawler(crawler), crawler.stats)

    def open_spider(self) -> None:
        """Catch up with the archive before the first article arrives."""
        self.store.open()

    def close_spider(self) -> None:
        """Index what this run archived."""
        self.store.close()

    def _drop(self, item: Article, reason: str, detail: str) -> PageDropped:
        self.stats.inc_value(f"articles/dropped/{reason}")
        return PageDropped(reason, f"{reason} ({detail})", item.page.url)

    def process_item(self, item: Any) -> Any:
        """Pass on articles not seen before, and remember them."""
        if not isinstance(item, Article):
            return item
        record = item.record
        revision = item.page.revision
        for url in (record["url"], record.get("canonical_url")):
            if url and not revision and self.store.has_url(url):
                raise self._drop(item, "duplicate_url", f"already archived as {url}")
        if self.store.has_text(record["content_hash"]):
            if revision:
                raise self._drop(item, "unchanged", "fetched again after its sitemap lastmod; same text")
            raise self._drop(item, "duplicate_content", "the same text was archived under another URL")
        if revision:
            self.stats.inc_value("articles/revised")
            self.stats.inc_value(f"site/{item.page.site}/revised")
        self.store.add(record)
        return item
