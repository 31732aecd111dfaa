"""Redirects that go round in circles or off the site fail with a reason, instead of vanishing silently
(into the scheduler's duplicate filter, or Scrapy's offsite filter, which drops a redirect with no errback)."""

from __future__ import annotations

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.offsite import OffsiteMiddleware
from scrapy.downloadermiddlewares.redirect import MetaRefreshMiddleware, RedirectMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response


def _defrag(url: str) -> str:
    return url.split("#", 1)[0]


def check_redirect(result: Request | Response, request: Request, crawler: Crawler) -> Request | Response:
    """`result`, unless it is a redirect back to a URL of its own chain (IgnoreRequest "redirect loop") or to
    a host that Scrapy's OffsiteMiddleware would filter (IgnoreRequest "offsite redirect").

    Without this, the first is dropped by the scheduler's duplicate filter and the second by Scrapy's
    OffsiteMiddleware at scheduling time: neither reaches the request's errback, so neither is counted.
    """
    if isinstance(result, Request) and result is not request:
        target = _defrag(result.url)
        if any(_defrag(url) == target for url in result.meta.get("redirect_urls", [])):
            raise IgnoreRequest(f"redirect loop: {request.url} redirects back to {result.url}")
        offsite = crawler.get_downloader_middleware(OffsiteMiddleware)  # its policy, applied now
        if (
            offsite is not None
            and crawler.spider is not None
            and not result.meta.get("allow_offsite")
            and not result.dont_filter
            and not offsite.should_follow(result, crawler.spider)
        ):
            if crawler.stats is not None:
                crawler.stats.inc_value("offsite/filtered")  # as Scrapy's OffsiteMiddleware counts them
            raise IgnoreRequest(f"offsite redirect to {result.url} not followed")
    return result


class CheckedRedirectMiddleware(RedirectMiddleware):
    """Scrapy's RedirectMiddleware (3xx + Location); a loop fails as `redirect_loop`, a redirect off the
    spider's `allowed_domains` as `offsite`."""

    def process_response(self, request: Request, response: Response) -> Request | Response:  # type: ignore[override]
        """Redirect as Scrapy does, unless the target is already in the chain or off the site."""
        return check_redirect(super().process_response(request, response), request, self.crawler)


class CheckedMetaRefreshMiddleware(MetaRefreshMiddleware):
    """Scrapy's MetaRefreshMiddleware (`<meta http-equiv="refresh">`), checked as CheckedRedirectMiddleware."""

    def process_response(self, request: Request, response: Response) -> Request | Response:  # type: ignore[override]
        """Follow the refresh as Scrapy does, unless the target is already in the chain or off the site."""
        return check_redirect(super().process_response(request, response), request, self.crawler)
