"""The User-Agent header: the project's name and how to reach whoever runs the crawl."""

from __future__ import annotations

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.http import Response


class ContactUserAgentMiddleware:
    """Sets USER_AGENT on every request, with `{contact}` replaced by the CONTACT setting."""

    def __init__(self, user_agent: str) -> None:
        self.user_agent = user_agent

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ContactUserAgentMiddleware:
        settings = crawler.settings
        return cls(settings.get("USER_AGENT", "").replace("{contact}", settings.get("CONTACT", "")))

    def process_request(self, request: Request) -> Request | Response | None:
        """Add the header unless the request has its own."""
        if self.user_agent:
            request.headers.setdefault(b"User-Agent", self.user_agent)
        return None
