"""The `article` spider: fetch given article URLs, one-off. `-a url=URL` or `-a urls_file=PATH`."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import scrapy
from scrapy.http import Response
from twisted.python.failure import Failure

from scraper.arguments import SpiderArgumentError, http_url, reject_unknown, urls_from_file
from scraper.failures import record_failure
from scraper.items import Page
from scraper.sites import site_id_for


class ArticleSpider(scrapy.Spider):
    """Fetches the article URLs it is given and hands each response to the pipelines."""

    name = "article"

    @classmethod
    def check_arguments(cls, url: str | None = None, urls_file: str | None = None, **other: str) -> list[str]:
        """The URLs to fetch, or SpiderArgumentError naming what is wrong with the arguments."""
        reject_unknown(other, "-a url=URL or -a urls_file=PATH")
        if bool(url) == bool(urls_file):
            raise SpiderArgumentError("give exactly one of -a url=URL or -a urls_file=PATH")
        return [http_url(url)] if url else urls_from_file(urls_file or "")

    def __init__(self, url: str | None = None, urls_file: str | None = None, **kwargs: Any) -> None:
        super().__init__()
        self.urls = self.check_arguments(url=url, urls_file=urls_file, **kwargs)

    async def start(self) -> AsyncIterator[scrapy.Request]:
        """One request per URL; no link following."""
        for url in self.urls:
            yield scrapy.Request(
                url,
                callback=self.parse_article,
                errback=self.on_error,
                meta={"site": site_id_for(url), "kind": "article"},
            )

    def parse_article(self, response: Response) -> Page:
        """Pass the page on to the pipelines."""
        return Page.from_response(response, site=response.meta.get("site"))

    def on_error(self, failure: Failure) -> None:
        """Count and log a failed request once."""
        record_failure(failure, self.crawler.stats, self.logger)
