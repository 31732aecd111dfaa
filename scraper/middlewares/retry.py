"""Retries that back off: 429 and 503 wait for the server's Retry-After, else for an exponential backoff."""

from __future__ import annotations

import asyncio
import logging
import re
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from scrapy import Request
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.http import Response
from scrapy.settings import BaseSettings

log = logging.getLogger(__name__)
BACKOFF_STATUSES = {429, 503}
_DELTA_SECONDS = re.compile(r"[0-9]+")  # RFC 9110 delay-seconds: ASCII digits only (not `²`, `٣`, `1.5`)


def retry_after_seconds(value: bytes | str | None) -> float | None:
    """Seconds a `Retry-After` header asks for (delta-seconds or an HTTP date), None if absent or unreadable
    (then the caller backs off as if there were no header)."""
    if not value:
        return None
    text = value.decode("latin-1") if isinstance(value, bytes) else value
    text = text.strip(" \t")
    if _DELTA_SECONDS.fullmatch(text):
        return float(text)
    if not text.isascii():
        return None
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


class BackoffRetryMiddleware(RetryMiddleware):
    """Scrapy's RetryMiddleware; before retrying a 429 or 503 it waits: Retry-After when the server sends
    one (up to RETRY_BACKOFF_MAX, beyond which it gives up), else RETRY_BACKOFF_BASE * 2**retries."""

    def __init__(self, settings: BaseSettings) -> None:
        super().__init__(settings)
        self.base = settings.getfloat("RETRY_BACKOFF_BASE")
        self.max = settings.getfloat("RETRY_BACKOFF_MAX")

    def _delay(self, request: Request, response: Response) -> float | None:
        asked = retry_after_seconds(response.headers.get(b"Retry-After"))
        if asked is not None:
            return asked if asked <= self.max else None
        retries: int = request.meta.get("retry_times", 0)
        return min(self.max, self.base * 2.0**retries)

    async def process_response(self, request: Request, response: Response) -> Request | Response:  # type: ignore[override]
        """Retry as Scrapy does, after the wait that 429 and 503 ask for."""
        if response.status not in BACKOFF_STATUSES or request.meta.get("dont_retry"):
            return super().process_response(request, response)
        delay = self._delay(request, response)
        if delay is None:
            log.warning(
                "%s asks to wait %s s before retrying, more than RETRY_BACKOFF_MAX (%g s): giving up",
                request.url,
                (response.headers.get(b"Retry-After") or b"?").decode("latin-1"),
                self.max,
            )
            return response
        retry = super().process_response(request, response)
        if isinstance(retry, Request) and delay > 0:
            assert self.crawler.stats is not None
            self.crawler.stats.inc_value("retry/backoff_ms", round(delay * 1000))
            await asyncio.sleep(delay)
        return retry
