"""What flows from spiders through the pipelines: a fetched Page, then, from the extract pipeline on, an Article.

The spiders yield Pages; the extract pipeline turns each into an Article (its Page inside), which every later
pipeline passes on; the archive pipeline, the last, passes on the record it wrote. So Scrapy's item signals
always carry the same types: a dropped or failed item is the Page the spider yielded (Scrapy reports the item
as it entered the pipelines), an archived one is its record (`scraper.record.Record`, what `-o FILE` exports).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from scrapy.exceptions import DropItem
from scrapy.http import Response
from scrapy.statscollectors import StatsCollector

from scraper.record import Record
from scraper.urls import strip_tracking

if TYPE_CHECKING:
    from archive.warc import Capture, Source


@dataclass
class Page:
    """One fetched article page, as a spider yields it: no extraction done yet."""

    url: str
    status: int
    body: bytes
    content_type: str | None
    fetched_at: str
    site: str | None = None
    # What discovery learned (a news sitemap's `published_at`, `title`, `language`, `keywords`; a feed entry's
    # date and title): the fallbacks extraction reads, nothing else.
    hints: dict[str, object] = field(default_factory=dict)
    site_patterns: tuple[str, ...] = ()  # the site's own boilerplate patterns (sites.toml `boilerplate_patterns`)
    navigation: str | None = None  # at a navigation URL: what says the page is an article (its markup, a byline)
    revision: bool = False  # fetched again because its sitemap lastmod is newer than our last crawl
    source: Source | None = None  # where the run's WARC holds the response (the record's `source`); None: no capture
    # the response as the server sent it, until pipelines.capture writes it to the WARC (then None)
    capture: Capture | None = field(default=None, repr=False, compare=False)

    @classmethod
    def from_response(
        cls,
        response: Response,
        site: str | None = None,
        hints: dict[str, object] | None = None,
        site_patterns: tuple[str, ...] = (),
    ) -> Page:
        """The Page of an article response: what the pipelines need, nothing parsed."""
        content_type = response.headers.get(b"Content-Type")
        return cls(
            url=strip_tracking(response.url),
            status=response.status,
            body=response.body,
            content_type=content_type.decode("latin-1") if content_type else None,
            fetched_at=datetime.now(UTC).isoformat(timespec="seconds"),
            site=site,
            hints=dict(hints or {}),
            site_patterns=site_patterns,
        )


@dataclass
class Article:
    """A page after extraction: its record, and why it is not an article when it is not one. The archive
    pipeline adds the crawl fields (`crawled_at`, `spider`, `run_id`, `http_status`, `source`, `extractor`)
    to `record`."""

    record: Record
    page: Page
    not_article: str | None = None


class PageDropped(DropItem):
    """A page that is not archived. `detail` says why, starting with the reason, its stats key:
    `too_short (12 words < 50)`, `extract_crashed`."""

    def __init__(self, detail: str, url: str) -> None:
        super().__init__(f"{detail}: {url}")
        self.reason = detail.split(" ", 1)[0]

    @classmethod
    def counted(cls, stats: StatsCollector, article: Article, detail: str) -> PageDropped:
        """The exception that drops `article`, counted under `articles/dropped/<reason>`."""
        dropped = cls(detail, article.page.url)
        stats.inc_value(f"articles/dropped/{dropped.reason}")
        return dropped
