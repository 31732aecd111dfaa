"""What flows from spiders through the pipelines: a fetched page, then an extracted article."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Page:
    """One fetched article page, as a spider yields it: no extraction done yet."""

    url: str
    status: int
    body: bytes
    content_type: str | None
    fetched_at: str
    site: str | None = None
    hints: dict[str, Any] = field(default_factory=dict)
    revision: bool = False  # fetched again because its sitemap lastmod is newer than our last crawl


@dataclass
class Article:
    """A page after extraction: its record, and why it is not an article when it is not one."""

    record: dict[str, Any]
    page: Page
    not_article: str | None = None
