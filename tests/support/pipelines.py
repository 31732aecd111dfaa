"""An item pipeline that never finishes the items of some pages, to test the crawl watchdog on a real crawl.

-s ITEM_PIPELINES=... with "tests.support.pipelines.StallPipeline": 450
-s STALL_URLS_CONTAINING=story-7-   # which pages stall
-s STALL_MODE=await|block           # wait forever on the event loop, or block the reactor thread itself
-s STALL_NOTICE_FILE=path           # created when the first item is held (holding its URL), so a test knows
                                    # the stall began and which page it holds
-s STALL_AFTER_ITEMS=30             # let 30 items through first, then hold the next marked page, and it alone
                                    # (the crawl's order decides which page: the notice file names it)

StallStartMiddleware (a spider middleware) does the same to the spider's first start request.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from scrapy.crawler import Crawler

from scraper.items import Article, Page


class StallPipeline:
    """Holds on to the items of pages whose URL contains STALL_URLS_CONTAINING; lets the others pass."""

    def __init__(self, marker: str, mode: str, notice: str = "", after: int = 0) -> None:
        self.marker = marker
        self.mode = mode
        self.notice = notice
        self.after = after
        self.passed = 0
        self.held: list[asyncio.Future[None]] = []  # as a real stuck I/O would be, referenced: never collected

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StallPipeline:
        settings = crawler.settings
        return cls(
            settings.get("STALL_URLS_CONTAINING", ""),
            settings.get("STALL_MODE", "await"),
            settings.get("STALL_NOTICE_FILE", ""),
            settings.getint("STALL_AFTER_ITEMS", 0),
        )

    async def process_item(self, item: Page | Article) -> Page | Article:
        """Stall on marked pages, pass every other item on (it runs between the extract and archive pipelines)."""
        url = item.page.url if isinstance(item, Article) else item.url
        if self.marker and self.marker in url and self.passed >= self.after and not (self.after and self.held):
            if self.notice and not Path(self.notice).exists():  # written whole, then renamed: never read half-way
                Path(f"{self.notice}.tmp").write_text(url, encoding="utf-8")
                Path(f"{self.notice}.tmp").replace(self.notice)
            if self.mode == "block":
                time.sleep(3600)  # the reactor thread itself is stuck
            self.held.append(asyncio.get_running_loop().create_future())
            await self.held[-1]  # never resolved
        self.passed += 1
        return item


class StallStartMiddleware:
    """Spider middleware that blocks the reactor thread before the spider's first start request reaches the
    engine (after the spider built it, and in a fleet claimed its site), creating STALL_NOTICE_FILE first:
    a worker to kill at the worst moment of its start. -s SPIDER_MIDDLEWARES='{"tests.support.pipelines.
    StallStartMiddleware": 10}'."""

    def __init__(self, notice: str) -> None:
        self.notice = notice

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StallStartMiddleware:
        return cls(crawler.settings.get("STALL_NOTICE_FILE", ""))

    async def process_start(self, start: AsyncIterator[Any]) -> AsyncIterator[Any]:
        """Block on the first start request (the reactor thread itself is stuck)."""
        async for request in start:
            if self.notice:
                Path(self.notice).touch()
            time.sleep(3600)
            yield request
