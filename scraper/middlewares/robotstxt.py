"""Scrapy's robots.txt middleware, without its race: requests that wait together for a site's robots.txt all
get its rules.

Scrapy 2.19's RobotsTxtMiddleware makes the second and later requests that arrive while a site's robots.txt is
being fetched await the same Deferred; under the asyncio reactor each waiter turns it into a future with
`Deferred.asFuture`, whose callback passes None on, so every waiter after the first is told "no rules" and is
let through. A crawl rarely has several requests for a site before its robots.txt is in; a fleet worker that
joins a running crawl (or resumes one) takes a burst of them at once, and fetched disallowed pages."""

from __future__ import annotations

from scrapy import Request
from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware
from scrapy.robotstxt import RobotParser
from scrapy.utils.httpobj import urlparse_cached


class SharedRobotsTxtMiddleware(RobotsTxtMiddleware):
    """RobotsTxtMiddleware whose waiting requests read the parsed rules once they are in."""

    async def robot_parser(self, request: Request) -> RobotParser | None:
        """The site's robots.txt rules, None when robots.txt could not be had (everything allowed)."""
        parser = await super().robot_parser(request)
        if parser is None:  # a waiter may have been handed None by another waiter's future: read the rules
            found = self._parsers.get(urlparse_cached(request).netloc)
            parser = found if isinstance(found, RobotParser) else None
        return parser
