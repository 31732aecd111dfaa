"""Why a request failed, as a short stats key and one readable log line."""

from __future__ import annotations

import logging

from scrapy.exceptions import IgnoreRequest
from scrapy.spidermiddlewares.httperror import HttpError
from scrapy.statscollectors import StatsCollector
from twisted.internet import error
from twisted.internet.defer import CancelledError
from twisted.python.failure import Failure
from twisted.web._newclient import ResponseFailed

_NETWORK = {
    error.DNSLookupError: "dns",
    error.TimeoutError: "timeout",
    error.TCPTimedOutError: "timeout",
    error.ConnectionRefusedError: "connection_refused",
    error.ConnectionLost: "connection_lost",
    ResponseFailed: "connection_lost",
    CancelledError: "cancelled",
}


def failure_reason(failure: Failure) -> str:
    """A stats key for a failed request: `http_404`, `dns`, `timeout`, `robots`, ..."""
    exc = failure.value
    if isinstance(exc, HttpError):
        return f"http_{exc.response.status}"
    if isinstance(exc, IgnoreRequest):
        message = str(exc).lower()
        return "robots" if "robots" in message else "offsite" if "offsite" in message else "ignored"
    for kind, reason in _NETWORK.items():
        if isinstance(exc, kind):
            return reason
    return type(exc).__name__


def record_failure(failure: Failure, url: str, stats: StatsCollector | None,
                   logger: logging.Logger | logging.LoggerAdapter[logging.Logger], site: str | None = None) -> str:
    """Count the failure under `pages/failed/<reason>` (and `site/<id>/failed/<reason>`) and log it once."""
    reason = failure_reason(failure)
    if stats is not None:
        stats.inc_value(f"pages/failed/{reason}")
        if site:
            stats.inc_value(f"site/{site}/failed/{reason}")
    detail = str(failure.value).splitlines()[0] if str(failure.value) else type(failure.value).__name__
    level = logging.INFO if reason == "robots" else logging.WARNING
    logger.log(level, "Failed %s: %s (%s)", url, reason, detail[:200])
    return reason
