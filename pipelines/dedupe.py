"""Dedupe pipeline: one article is archived once, whatever URL it came under."""

from __future__ import annotations

import logging
import re
from typing import Any
from urllib.parse import urlsplit

from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.statscollectors import StatsCollector

from scraper.discovery.urlclass import UrlKind, classify_url
from scraper.extract import set_text
from scraper.items import Article, Page, PageDropped
from scraper.seen import SeenStore
from scraper.urls import registered_domain, strip_tracking

log = logging.getLogger(__name__)

# Sentences that say how often or how recently a page was read or touched, not what the article says: they
# change between two fetches of one unchanged article ("Updated 5 minutes ago. Read by 1,204 people.").
_COUNT = r"(?:\d[\d.,]*\s*[km]?|an?|one|a few)"
_COUNTED = r"(?:views?|reads?|readers|comments?|shares?|likes?|reactions?|replies|people|times)"
_DATE_WORD = (
    r"(?:\d{1,4}(?:st|nd|rd|th|h)?|jan\w*|feb\w*|mar\w*|apr\w*|may|june?|july?|aug\w*|sept?\w*|oct\w*|"
    r"nov\w*|dec\w*|mon\w*|tue\w*|wed\w*|thu\w*|fri\w*|sat\w*|sun\w*|at|on|am|pm|a\.m|p\.m|utc|gmt|"
    r"[a-z]{1,3}[sd]t|cet|cest|today|yesterday|now)"
)
_VOLATILE = re.compile(
    r"^(?:"
    rf"(?:(?:last\s+)?(?:updated|modified|edited|posted|published)\s*:?\s*)?(?:{_COUNT}\s+(?:seconds?|secs?|minutes?|"
    r"mins?|hours?|hrs?|days?|weeks?|months?)\s+ago|just\s+now)"  # updated 5 minutes ago
    rf"|(?:last\s+)?(?:updated|modified|edited)\s*:?\s*{_DATE_WORD}(?:[\s,:/.+-]+{_DATE_WORD})*"  # updated 25 Nov
    rf"|(?:(?:read|viewed|seen|shared|liked)\s+by\s+)?{_COUNT}\s+{_COUNTED}(?:\s+so\s+far)?"  # read by 1,204 people
    rf"(?:\s*[·•|,;/-]\s*{_COUNT}\s+{_COUNTED})*"
    rf"|(?:this\s+(?:article|story|post|page)\s+(?:has\s+been|was)\s+)?(?:viewed|read|shared|seen)\s+{_COUNT}\s+times"
    r"(?:\s+so\s+far)?"  # this article has been viewed 1,204 times
    rf"|(?:views?|reads?|comments?|shares?)\s*:\s*{_COUNT}"  # views: 1204
    r")[.!]?$",
    re.IGNORECASE,
)
# What may follow an article's path in the path of another rendering of it: /story/amp/, /story/print/.
_VARIANT = re.compile(r"^(?:amp|amphtml|print|mobile|m|index\.\w+)$", re.IGNORECASE)
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


def volatile(paragraph: str) -> bool:
    """Whether a paragraph is only view/comment counts, "updated N minutes ago" or update-time stamps."""
    sentences = [s.strip() for s in _SENTENCE_END.split(paragraph.strip()) if s.strip()]
    return bool(sentences) and len(paragraph.split()) <= 20 and all(_VOLATILE.match(s) for s in sentences)


def without_volatile(text: str) -> str:
    """The text without its volatile paragraphs (counters, "updated N minutes ago"): the article's stable text."""
    return "\n\n".join(p for p in text.split("\n\n") if not volatile(p))


def _site_host(host: str) -> str:
    for prefix in ("www.", "m.", "amp.", "mobile."):
        host = host.removeprefix(prefix)
    return host


def canonical_problem(url: str, canonical: str) -> str | None:
    """Why a page's stated canonical cannot be the key of its article, else None: `other_site` (another
    registered domain, or another host on a shared one), `home` (a root path), `section` (a path above the
    page's own, not an AMP or print rendering's; or a URL shaped like a section, tag or listing page while the
    page's own is an article's). A canonical with a query (`/?p=123`) is judged by its site alone."""
    page, named = urlsplit(url), urlsplit(canonical)
    page_host, named_host = _site_host(page.hostname or ""), _site_host(named.hostname or "")
    if registered_domain(page_host) != registered_domain(named_host) or not (
        page_host == named_host or page_host.endswith("." + named_host) or named_host.endswith("." + page_host)
    ):
        return "other_site"
    if named.query:  # `/?p=123`, `index.php?id=9`: the query names the page, its path says nothing
        return None
    if not named.path.strip("/") or re.fullmatch(r"index\.\w+", named.path.strip("/"), re.IGNORECASE):
        return "home"
    rest = page.path.removeprefix(named.path.rstrip("/") + "/").strip("/")
    if rest != page.path.strip("/") and rest and not _VARIANT.match(rest):
        return "section"  # a page below its canonical (but /story/amp/ -> /story/ is the story's own)
    if classify_url(canonical) is UrlKind.NAVIGATION and classify_url(url) is UrlKind.ARTICLE:
        return "section"
    return None


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
        stable = without_volatile(record["text"])
        if stable != record["text"]:
            self.stats.inc_value("articles/volatile_paragraphs_removed")
            set_text(record, stable)

    def _usable_canonical(self, item: Article) -> str | None:
        """The record's canonical URL when it can be this article's key; else None (and null in the record)."""
        url, canonical = item.record["url"], item.record.get("canonical_url")
        if (
            canonical
            and strip_tracking(canonical) != strip_tracking(url)
            and (why := canonical_problem(url, canonical))
        ):
            self._ignore_canonical(item, why)
            return None
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
