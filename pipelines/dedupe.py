"""Dedupe pipeline: one article is archived once, whatever URL it came under."""

from __future__ import annotations

import logging
from typing import Any

from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.statscollectors import StatsCollector

from scraper.items import Article, Page, PageDropped
from scraper.seen import SeenStore
from scraper.stable import canonical_issue, stable_text

log = logging.getLogger(__name__)


class DedupePipeline:
    """Drops an article whose URL or canonical URL (`duplicate_url`) or text (`duplicate_content`:
    syndicated copies, AMP and mobile variants) the archive or this run already holds. A revision (a page
    fetched again because its sitemap lastmod is newer) is archived when its text changed (`unchanged`
    otherwise), so the archive holds both versions. The text compared is the article's stable text:
    volatile paragraphs (view counts, "updated N minutes ago") are taken out of the record first.

    A stated canonical is a key only when it can name this article: one that points at another site, the
    home page or a section, or that other pages with different text share, is ignored
    (`articles/canonical_ignored/<why>`, a log line) and left out of the record (`canonical_url` null)."""

    def __init__(self, store: SeenStore, stats: StatsCollector) -> None:
        self.store = store
        self.stats = stats
        self._logged: set[str] = set()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> DedupePipeline:
        if not crawler.settings.getbool("DEDUPE") or crawler.stats is None:
            raise NotConfigured
        return cls(SeenStore.of(crawler), crawler.stats)

    def open_spider(self) -> None:
        """Catch up with the archive before the first article arrives."""
        self.store.open()

    def close_spider(self) -> None:
        """Index what this run archived."""
        self.store.close()

    def _ignore_canonical(self, item: Article, why: str) -> None:
        canonical = item.record["canonical_url"]
        item.record["canonical_url"] = None
        self.stats.inc_value(f"articles/canonical_ignored/{why}")
        level = logging.DEBUG if canonical in self._logged else logging.INFO
        self._logged.add(canonical)
        log.log(level, "Ignored the canonical %s of %s (%s): not a key for this article", canonical, item.page.url, why)

    def _shared(self, canonical: str) -> None:
        """A canonical that pages with different texts name is no key, from now on in this run."""
        self.stats.inc_value("articles/canonical_shared")
        if f"shared {canonical}" not in self._logged:
            self._logged.add(f"shared {canonical}")
            log.info("Pages with different texts name %s as their canonical: it is no article's key", canonical)
        self.store.forget_canonical(canonical)

    def _stable_text(self, record: dict[str, Any]) -> None:
        if stable_text(record):
            self.stats.inc_value("articles/volatile_paragraphs_removed")

    def _usable_canonical(self, item: Article) -> str | None:
        """The record's canonical URL when it can be this article's key; else None (and null in the record)."""
        if why := canonical_issue(item.record):
            self._ignore_canonical(item, why)
            return None
        canonical: str | None = item.record.get("canonical_url")
        return canonical

    def _check_urls(self, item: Article, canonical: str | None, seen_text: bool) -> None:
        """PageDropped when the article's URL or canonical is archived already; a URL or canonical that pages
        with other texts name is no key from now on."""
        url = item.record["url"]
        if self.store.has_url(url):
            if seen_text or not self.store.only_named(url):
                raise PageDropped.counted(self.stats, item, f"duplicate_url (already archived as {url})")
            self._shared(url)  # a page of this run named this URL as its canonical, with another text
        if canonical and self.store.has_url(canonical):
            if seen_text:
                raise PageDropped.counted(self.stats, item, f"duplicate_url (already archived as {canonical})")
            self._ignore_canonical(item, "shared")  # the same canonical, another text: not this article's key
            self._shared(canonical)

    def process_item(self, item: Page | Article) -> Page | Article:
        """Pass on articles not seen before, and remember them."""
        if not isinstance(item, Article):
            return item
        revision = item.page.revision
        self._stable_text(item.record)
        canonical = self._usable_canonical(item)
        seen_text = self.store.has_text(item.record["content_hash"])
        if not revision:
            self._check_urls(item, canonical, seen_text)
        if seen_text:
            raise PageDropped.counted(
                self.stats,
                item,
                "unchanged (fetched again after its sitemap lastmod; same text)"
                if revision
                else "duplicate_content (the same text was archived under another URL)",
            )
        if revision:
            self.stats.inc_value("articles/revised")
            self.stats.inc_value(f"site/{item.page.site}/revised")
        self.store.add(item.record)
        return item
