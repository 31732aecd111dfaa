"""Boilerplate pipeline: whole boilerplate lines and blocks out of the article text."""

from __future__ import annotations

import json
from typing import Any

from scrapy.crawler import Crawler
from scrapy.settings import BaseSettings
from scrapy.statscollectors import StatsCollector

from scraper.extract import strip_boilerplate
from scraper.extract.boilerplate import BoilerplateStripper
from scraper.items import Article


def pattern_list(settings: BaseSettings, name: str) -> list[str]:
    """A list-of-regexes setting; on the command line, a JSON list (regexes may hold commas)."""
    value = settings.get(name) or []
    if isinstance(value, str):
        value = json.loads(value) if value.lstrip().startswith("[") else [value]
    return [str(v) for v in value]


class BoilerplatePipeline:
    """Strips lines matching BOILERPLATE_PATTERNS (+ BOILERPLATE_EXTRA_PATTERNS, + the site's own).

    BOILERPLATE_PATTERNS are generic and never remove prose; BOILERPLATE_EXTRA_PATTERNS and a site's
    `boilerplate_patterns` are the operator's explicit choice and remove whatever line they match.
    """

    def __init__(self, stats: StatsCollector, patterns: list[str], explicit: list[str] | None = None) -> None:
        self.stats = stats
        self.patterns = patterns
        self.explicit = list(explicit or [])
        self.stripper = BoilerplateStripper(patterns, explicit=self.explicit)
        self._site_strippers: dict[tuple[str, ...], BoilerplateStripper] = {}

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> BoilerplatePipeline:
        settings = crawler.settings
        assert crawler.stats is not None
        return cls(crawler.stats, pattern_list(settings, "BOILERPLATE_PATTERNS"),
                   pattern_list(settings, "BOILERPLATE_EXTRA_PATTERNS"))

    def _stripper_for(self, extra: tuple[str, ...]) -> BoilerplateStripper:
        if not extra:
            return self.stripper
        if extra not in self._site_strippers:
            self._site_strippers[extra] = BoilerplateStripper(self.patterns, explicit=self.explicit + list(extra))
        return self._site_strippers[extra]

    def process_item(self, item: Any) -> Any:
        """Clean the text of an Article; other items pass through."""
        if isinstance(item, Article) and item.record.get("text"):
            extra = tuple(item.page.hints.get("boilerplate_patterns", ()))
            removed = strip_boilerplate(item.record, self._stripper_for(extra))
            self.stats.inc_value("boilerplate/lines_removed", removed)
        return item
