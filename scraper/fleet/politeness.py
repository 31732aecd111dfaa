"""Politeness across the fleet: at most CONCURRENT_REQUESTS_PER_DOMAIN requests in flight to a site and one
request start per DOWNLOAD_DELAY, for all workers together, kept in Redis.

Scrapy's HTTP download handler, with a wait in front: a request is sent only once it holds one of the site's
slots (`news:site:<host>:inflight`, a sorted set of tokens with an expiry, so that a killed worker's slots come
back after DOWNLOAD_TIMEOUT + 30 s) and the site's next start time (`news:site:<host>:next`) has passed. The
check and the taking are one Lua script, on Redis's clock. Each worker's own per-site limits and AutoThrottle
still apply on top; this is the fleet's ceiling."""

from __future__ import annotations

import itertools

from scrapy import Request
from scrapy.core.downloader.handlers.http11 import HTTP11DownloadHandler
from scrapy.crawler import Crawler
from scrapy.http import Response
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils.httpobj import urlparse_cached
from twisted.internet import reactor
from twisted.internet.task import deferLater

from scraper.fleet.shared import Fleet

# KEYS: in-flight set, next-start key. ARGV: limit, delay s, hold s, token. Returns "0" (taken) or seconds to wait.
ACQUIRE = """
local now = redis.call('TIME')
local t = tonumber(now[1]) + tonumber(now[2]) / 1000000
local limit, delay, hold = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', t)
local wait = 0
local nxt = tonumber(redis.call('GET', KEYS[2]) or '0')
if nxt > t then wait = nxt - t end
if redis.call('ZCARD', KEYS[1]) >= limit then wait = math.max(wait, 0.05) end
if wait > 0 then return tostring(wait) end
redis.call('ZADD', KEYS[1], t + hold, ARGV[4])
redis.call('EXPIRE', KEYS[1], math.ceil(hold) + 60)
if delay > 0 then redis.call('SET', KEYS[2], tostring(t + delay), 'PX', math.ceil(delay * 1000) + 1000) end
return '0'
"""
MAX_POLL = 0.25  # seconds between tries while a site's slots are all taken


class FleetDownloadHandler(HTTP11DownloadHandler):
    """HTTP(S) downloads that wait for a fleet-wide slot of their site (REDIS_URL only; the add-on sets it)."""

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        settings = crawler.settings
        self.fleet = Fleet.of(crawler)
        self.limit = max(1, settings.getint("CONCURRENT_REQUESTS_PER_DOMAIN"))
        self.delay = max(0.0, settings.getfloat("DOWNLOAD_DELAY"))
        self.hold = settings.getfloat("DOWNLOAD_TIMEOUT") + 30.0
        self.acquire = self.fleet.server.register_script(ACQUIRE)
        self._tokens = itertools.count()

    def _keys(self, request: Request) -> list[str]:
        host = urlparse_cached(request).hostname or "?"
        return [f"{self.fleet.site_prefix}{host}:inflight", f"{self.fleet.site_prefix}{host}:next"]

    async def download_request(self, request: Request) -> Response:
        """Wait for a slot of the request's site across the fleet, download, give the slot back."""
        keys, token = self._keys(request), f"{self.fleet.name}:{next(self._tokens)}"
        args: list[str | int | float] = [self.limit, self.delay, self.hold, token]
        while (wait := float(self.fleet.call(lambda: self.acquire(keys=keys, args=args), "0"))) > 0:
            await maybe_deferred_to_future(deferLater(reactor, min(wait, MAX_POLL), lambda: None))
        try:
            return await super().download_request(request)
        finally:
            self.fleet.call(lambda: self.fleet.server.zrem(keys[0], token), 0)
