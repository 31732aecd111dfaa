"""What the archive keeps of a fetched page: the record the crawl's pipelines make of it, or why it is dropped.

The crawl runs these steps in its pipelines: extract (`extract_with_deadline`, in worker processes), boilerplate
(`Strippers`, `strip_text`), validate (`drop_reason`), then dedupe's stable text and usable canonical
(scraper/stable.py). `archivable` runs them all on one stored page, with the crawl's default settings: it is the
`news_archive.extractors` entry point that `news-archive reextract` and `import-warc` load (the `archive`
package imports no `scraper` code).
"""

from __future__ import annotations

import logging
import signal
from collections.abc import Iterable, Mapping
from types import FrameType
from typing import Any, NamedTuple

from scraper import settings
from scraper.extract import Extraction, analyse_page, strip_boilerplate
from scraper.extract.boilerplate import BoilerplateStripper
from scraper.record import Record, extractor_stamp
from scraper.stable import canonical_issue, stable_text

log = logging.getLogger(__name__)


class ExtractionTimeout(BaseException):
    """A page took longer than EXTRACT_TIMEOUT to extract. A BaseException, so that no `except Exception`
    inside the extraction code (ours or a library's) swallows it and carries on."""


def _alarm(signum: int, frame: FrameType | None) -> None:
    raise ExtractionTimeout


def extract_with_deadline(
    body: bytes, url: str, content_type: str | None, hints: Mapping[str, object], timeout: float
) -> Extraction:
    """Extract a page (boilerplate left in), interrupted after `timeout` seconds (SIGALRM, repeated every 0.1 s
    after that in case something catches the first one). Main thread only: worker processes, or a command."""
    previous = signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, timeout, 0.1)
    try:
        return analyse_page(body, url, content_type=content_type, hints=hints, stripper=None)
    finally:
        while True:  # an alarm may still arrive while the timer is being stopped
            try:
                signal.setitimer(signal.ITIMER_REAL, 0)
                signal.signal(signal.SIGALRM, previous)
                break
            except ExtractionTimeout:
                continue


def timeout_reason(timeout: float) -> str:
    """The drop detail of a page that took longer than `timeout` seconds to extract."""
    return f"extract_timeout (over {timeout:g} s)"


def error_reason(url: str, exc: Exception) -> str:
    """The drop detail of a page whose extraction raised `exc` (a bug: logged as an error)."""
    log.error("Extraction of %s failed: %s: %s", url, type(exc).__name__, exc)
    return f"extract_error ({type(exc).__name__})"


class Strippers:
    """The boilerplate stripper for each set of a site's own patterns, on top of the generic `patterns` and the
    operator's `explicit` ones (BOILERPLATE_PATTERNS, BOILERPLATE_EXTRA_PATTERNS), built once per set."""

    def __init__(self, patterns: Iterable[str], explicit: Iterable[str] = ()) -> None:
        self.patterns = list(patterns)
        self.explicit = list(explicit)
        self._by_site: dict[tuple[str, ...], BoilerplateStripper] = {
            (): BoilerplateStripper(self.patterns, explicit=self.explicit)
        }

    def for_site(self, site_patterns: Iterable[str] = ()) -> BoilerplateStripper:
        """The stripper for a site whose own patterns are `site_patterns`."""
        key = tuple(site_patterns)
        if key not in self._by_site:
            self._by_site[key] = BoilerplateStripper(self.patterns, explicit=[*self.explicit, *key])
        return self._by_site[key]


def strip_text(record: dict[str, Any], stripper: BoilerplateStripper) -> int:
    """The boilerplate step: whole boilerplate lines out of the record's text, if it has any. Lines removed."""
    return strip_boilerplate(record, stripper) if record.get("text") else 0


def drop_reason(record: Mapping[str, Any], not_article: str | None, min_words: int) -> str | None:
    """The validate step: why an extracted page is not archived (`not_article (...)`, `too_short (12 words <
    50)`: the first word is the reason's stats key), or None for an article."""
    if not_article:
        return not_article
    words = record["word_count"]
    if words < min_words:
        return f"too_short ({words} words < {min_words})"
    return None


class Archivable(NamedTuple):
    """What `archivable` made of a page: the record's fields (extracted fields and `extractor`), or why not."""

    fields: Record | None
    dropped: str | None


_DEFAULT_STRIPPERS = Strippers(settings.BOILERPLATE_PATTERNS, settings.BOILERPLATE_EXTRA_PATTERNS)


def archivable(
    body: bytes,
    url: str,
    content_type: str | None = None,
    hints: Mapping[str, object] | None = None,
    *,
    site_patterns: Iterable[str] = (),
    timeout: float = settings.EXTRACT_TIMEOUT,
) -> Archivable:
    """The record fields the crawl would archive for this page (body as decoded from Content-Encoding, the URL
    fetched, its Content-Type, discovery's hints, the site's own boilerplate patterns), with today's extractor and
    the default settings (BOILERPLATE_PATTERNS, ARTICLE_MIN_WORDS, EXTRACT_TIMEOUT); or why it is dropped.
    The crawl fields (`crawled_at`, `spider`, `run_id`, `http_status`, `source`) are the caller's. Never raises
    on a bad page: a page that fails to extract is dropped as `extract_error (...)` or `extract_timeout (...)`."""
    try:
        result = extract_with_deadline(body, url, content_type, hints or {}, timeout)
    except ExtractionTimeout:
        return Archivable(None, timeout_reason(timeout))
    except Exception as exc:
        return Archivable(None, error_reason(url, exc))
    record = result.record
    strip_text(record, _DEFAULT_STRIPPERS.for_site(site_patterns))
    if reason := drop_reason(record, result.not_article, settings.ARTICLE_MIN_WORDS):
        return Archivable(None, reason)
    stable_text(record)
    if canonical_issue(record):
        record["canonical_url"] = None
    record["extractor"] = extractor_stamp()
    return Archivable(record, None)
