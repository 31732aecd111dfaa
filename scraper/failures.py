"""Why a request failed, as a short stats key and one readable log line."""

from __future__ import annotations

import logging
from typing import Any

from scrapy import Request, exceptions
from scrapy.exceptions import IgnoreRequest
from scrapy.spidermiddlewares.httperror import HttpError
from scrapy.statscollectors import StatsCollector
from twisted.internet import error
from twisted.internet.defer import CancelledError
from twisted.python.failure import Failure
from twisted.web._newclient import ResponseFailed

Logger = logging.Logger | logging.LoggerAdapter[logging.Logger]  # a module's logger, or a spider's

_NETWORK: dict[type[BaseException], str] = {
    # Scrapy >= 2.19 wraps Twisted's errors in its own
    exceptions.CannotResolveHostError: "dns",
    exceptions.DownloadTimeoutError: "timeout",
    exceptions.DownloadConnectionRefusedError: "connection_refused",
    exceptions.ResponseDataLossError: "connection_lost",  # the connection closed before the announced body
    exceptions.DownloadFailedError: "connection_lost",
    # only DOWNLOAD_MAXSIZE cancels a download in Scrapy's HTTP/1.1 handler (a timeout is DownloadTimeoutError)
    exceptions.DownloadCancelledError: "too_large",
    exceptions.UnsupportedURLSchemeError: "unsupported_scheme",
    error.DNSLookupError: "dns",
    error.TimeoutError: "timeout",
    error.TCPTimedOutError: "timeout",
    error.ConnectionRefusedError: "connection_refused",
    error.ConnectionLost: "connection_lost",
    error.ConnectionDone: "connection_lost",
    ResponseFailed: "connection_lost",
    CancelledError: "cancelled",
}
# IgnoreRequest says why in its message only: (words to look for, reason)
_IGNORED = (
    ("robots", "robots"),
    ("offsite", "offsite"),
    ("download_maxsize", "too_large"),
    ("redirect loop", "redirect_loop"),
    ("max redirections", "too_many_redirects"),
)
_DETAILS = {"too_large": "larger than DOWNLOAD_MAXSIZE", "connection_lost": "connection closed mid-response"}


def failure_reason(failure: Failure) -> str:
    """A stats key for a failed request: `http_404`, `dns`, `timeout`, `too_large`, `robots`, ..."""
    exc = failure.value
    if isinstance(exc, HttpError):
        return f"http_{exc.response.status}"
    if isinstance(exc, IgnoreRequest):
        message = str(exc).lower()
        return next((reason for words, reason in _IGNORED if words in message), "ignored")
    for kind, reason in _NETWORK.items():
        if isinstance(exc, kind):
            return reason
    return type(exc).__name__


def failure_detail(failure: Failure, reason: str) -> str:
    """The first line of the failure's message (or what the reason means), at most 200 characters."""
    exc = failure.value
    if isinstance(exc, HttpError) and 300 <= exc.response.status < 400:
        location = (exc.response.headers.get(b"Location") or b"").decode("latin-1")
        return f"redirect to {location[:150]!r} not followed" if location else "redirect without a Location"
    text = str(exc).strip()
    if not text or text == type(exc).__name__ or text.startswith("[<"):  # empty, or a list of Twisted failures
        return _DETAILS.get(reason, type(exc).__name__)
    return text.splitlines()[0][:200]


def failed_request(failure: Failure) -> tuple[str, dict[str, Any]]:
    """The URL the spider asked for (before any redirect: the one a user knows; `?` when unknown) and the
    request's meta (empty when unknown)."""
    request: Request | None = getattr(failure, "request", None)
    if request is None:
        return "?", {}
    return str((request.meta.get("redirect_urls") or [request.url])[0]), request.meta


def count_failure(
    url: str, reason: str, detail: str, stats: StatsCollector | None, logger: Logger, site: str | None = None
) -> None:
    """Count a failed page under `pages/failed/<reason>` (and `site/<id>/failed/<reason>`) and log one line:
    `Failed URL: reason (detail)`, INFO for robots.txt refusals, WARNING for the rest."""
    if stats is not None:
        stats.inc_value(f"pages/failed/{reason}")
        if site:
            stats.inc_value(f"site/{site}/failed/{reason}")
    level = logging.INFO if reason == "robots" else logging.WARNING
    logger.log(level, "Failed %s: %s (%s)", url, reason, detail)


def record_failure(failure: Failure, stats: StatsCollector | None, logger: Logger) -> None:
    """Count and log a failed request once, under its reason and its site (the request's `site` meta)."""
    url, meta = failed_request(failure)
    reason = failure_reason(failure)
    count_failure(url, reason, failure_detail(failure, reason), stats, logger, site=meta.get("site"))
