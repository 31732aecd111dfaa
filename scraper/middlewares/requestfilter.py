"""The plumbing shared by spider middlewares that drop some of the requests a spider yields."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from typing import Any

from scrapy.http import Response


class RequestFilter:
    """Base for spider middlewares: subclasses say in `keep(item)` which outputs go on."""

    def keep(self, item: Any) -> bool:
        """Whether a start request, request or item goes on to the scheduler or the pipelines."""
        raise NotImplementedError

    async def process_start(self, start: AsyncIterator[Any]) -> AsyncIterator[Any]:
        """Filter start requests."""
        async for item in start:
            if self.keep(item):
                yield item

    def process_spider_output(self, response: Response, result: Iterable[Any]) -> Iterable[Any]:
        """Filter what a callback yields."""
        return (item for item in result if self.keep(item))

    async def process_spider_output_async(self, response: Response, result: AsyncIterator[Any]
                                          ) -> AsyncIterator[Any]:
        """Filter what an async callback yields."""
        async for item in result:
            if self.keep(item):
                yield item
