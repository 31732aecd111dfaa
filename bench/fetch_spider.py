"""The baseline for bench/crawl.py: fetch every article a sitemap lists, and do nothing with it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import scrapy
from scrapy.http import Response

from scraper.discovery.sitemaps import parse_sitemap


class FetchOnlySpider(scrapy.Spider):
    """Fetches pages; no extraction, no pipelines."""

    name = "fetch_only"
    custom_settings = {"ITEM_PIPELINES": {}, "SPIDER_MIDDLEWARES": {}, "EXTENSIONS": {}}  # noqa: RUF012

    def __init__(self, sitemap: str = "", **kwargs: str) -> None:
        super().__init__(**kwargs)
        self.sitemap = sitemap

    async def start(self) -> AsyncIterator[scrapy.Request]:
        """The sitemap first."""
        yield scrapy.Request(self.sitemap, callback=self.parse_sitemap)

    def parse_sitemap(self, response: Response) -> Iterator[scrapy.Request]:
        """One request per listed page."""
        for entry in parse_sitemap(response.body):
            yield scrapy.Request(entry.loc, callback=self.parse_page)

    def parse_page(self, response: Response) -> None:
        """Nothing: the page was fetched."""
