"""Log lines for items: one short line per dropped page, never the page's bytes."""

from __future__ import annotations

import logging
from typing import Any

from scrapy import Spider
from scrapy.http import Response
from scrapy.logformatter import LogFormatter, LogFormatterResult
from twisted.python.failure import Failure


def _url_of(item: Any) -> str:
    if isinstance(item, dict):
        return str(item.get("url", "?"))
    page = getattr(item, "page", item)
    return str(getattr(page, "url", "?"))


class ConciseLogFormatter(LogFormatter):
    """Scrapy's formatter, but items are named by URL instead of dumped whole."""

    def dropped(self, item: Any, exception: BaseException, response: Response | Failure | None,
                spider: Spider) -> LogFormatterResult:
        """INFO `Dropped: too_short (12 words < 50): https://...`."""
        return {"level": logging.INFO, "msg": "Dropped: %(exception)s", "args": {"exception": exception}}

    def scraped(self, item: Any, response: Response | Failure | None, spider: Spider) -> LogFormatterResult:
        """DEBUG `Archived https://...`."""
        return {"level": logging.DEBUG, "msg": "Archived %(url)s", "args": {"url": _url_of(item)}}

    def item_error(self, item: Any, exception: BaseException, response: Response | Failure | None,
                   spider: Spider) -> LogFormatterResult:
        """ERROR naming the page whose item failed in a pipeline."""
        return {"level": logging.ERROR, "msg": "Error processing %(url)s", "args": {"url": _url_of(item)}}
