"""An article's stable identity across fetches: its text without volatile paragraphs (view counts, "updated N
minutes ago"), and whether a stated canonical URL can be its key. Pure functions, shared by the crawl's dedupe
pipeline and by `news-archive reextract` / `import-warc` (scraper/archivable.py)."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from scraper.discovery.urlclass import UrlKind, classify_url
from scraper.extract import set_text
from scraper.urls import registered_domain, strip_tracking

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
    if len(paragraph.split(maxsplit=20)) > 20:  # over 20 words (an article's paragraph, nearly always)
        return False
    sentences = [s.strip() for s in _SENTENCE_END.split(paragraph.strip()) if s.strip()]
    return bool(sentences) and all(_VOLATILE.match(s) for s in sentences)


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


def stable_text(record: dict[str, Any]) -> bool:
    """Take the volatile paragraphs out of the record's text (and its derived fields); whether there were any."""
    stable = without_volatile(record["text"])
    if stable == record["text"]:
        return False
    set_text(record, stable)
    return True


def canonical_issue(record: dict[str, Any]) -> str | None:
    """Why the record's stated canonical URL cannot be its article's key (`canonical_problem`); None when it can,
    when there is none, or when it is the page's own URL."""
    url, canonical = record["url"], record.get("canonical_url")
    if canonical and strip_tracking(canonical) != strip_tracking(url):
        return canonical_problem(url, canonical)
    return None
