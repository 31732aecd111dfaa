"""What the workers of a fleet share in Redis besides the scrapy-redis queue and fingerprints, and how a worker
stops when Redis goes away.

Keys (`news` is the spider's name):
- `news:workers`  sorted set, worker -> deadline (epoch seconds): the workers in the crawl, kept alive by a
  heartbeat every second; a worker killed with SIGKILL drops out when its deadline passes (FLEET_WORKER_TTL).
- `news:busy`     sorted set, worker -> deadline: the workers with requests in hand. An idle worker waits
  while another is busy (it may find more pages), then leaves.
- `news:discovery:<site>`  the discovery lock: `SET NX PX` by the first worker to start the site in this run,
  held FLEET_DISCOVERY_LOCK_SECONDS; the last worker of a finished crawl deletes it.
- `news:site:<host>:inflight`, `news:site:<host>:next`  politeness across the fleet (scraper/fleet/politeness.py).
- `news:taken:<worker>`  hash: the requests a worker took from the queue and has not finished, and the start
  requests of the sites it claimed that are not in the queue yet (`start:<site>:<n>`). When a worker
  stops answering, the first other worker to notice renames its hash (atomic: one taker) and puts them back.
- `news:claims:<worker>`  set: the archived keys a worker added to `news:archived` (dedupe pipeline) whose
  record its archive pipeline has not written yet; the worker that recovers a dead worker's taken requests
  takes these keys back out of `news:archived`.
- `news:found`  hash: articles found per site by the whole fleet in this run (for the site health verdict).
- `news:crawled`  hash, archived URL -> crawled_at of its latest record (revisits after a sitemap lastmod): kept.
- `news:archived` the archived article keys (`url:<url>`, `hash:<content hash>`): kept on purpose.
"""

from __future__ import annotations

import logging
import re
import time
import weakref
from collections.abc import Callable, Sequence
from typing import TypeVar

import redis
from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.utils.defer import deferred_from_coro
from scrapy_redis.connection import get_redis_from_settings

from scraper.fleet import fleet_url, worker_name

log = logging.getLogger(__name__)
_FLEETS: weakref.WeakKeyDictionary[Crawler, Fleet] = weakref.WeakKeyDictionary()
T = TypeVar("T")
REDIS_ERRORS = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError)
FINISH_REASON = "redis_error"  # the crawl's finish reason when Redis went away (exit status 1)
START_FIELD = "fleet_start"  # request.meta: the field of a claimed site's start request in the taken hash
# SET the discovery lock NX PX and, only when it was taken, list the site's start requests as taken (one step)
CLAIM_SCRIPT = """
if not redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return 0 end
for i = 3, #ARGV, 2 do redis.call('HSET', KEYS[2], ARGV[i], ARGV[i + 1]) end
return 1
"""


def describe(exc: Exception) -> str:
    """An exception as one short line (redis-py quotes some of its messages)."""
    text = str(exc).strip("'\"")
    return text.splitlines()[0] if text else type(exc).__name__


def public_url(url: str) -> str:
    """The Redis URL without its password, for logs."""
    return re.sub(r"//[^@/]*@", "//***@", url)


class Fleet:
    """One worker's view of the fleet: its Redis connection, its name and the shared keys."""

    def __init__(self, crawler: Crawler) -> None:
        settings = crawler.settings
        self.crawler = crawler
        self.url = fleet_url(settings)
        self.server: redis.Redis = get_redis_from_settings(settings)
        self.name = worker_name()
        spider = crawler.spidercls.name
        self.workers_key, self.busy_key = f"{spider}:workers", f"{spider}:busy"
        self.archived_key, self.lock_prefix = f"{spider}:archived", f"{spider}:discovery:"
        self.crawled_key = f"{spider}:crawled"  # URL -> when it was last archived, kept like the archived keys
        self.site_prefix = f"{spider}:site:"  # per-site politeness keys (scraper/fleet/politeness.py)
        self.taken_prefix = f"{spider}:taken:"
        self.found_key = f"{spider}:found"
        self._published: dict[str, int] = {}
        self.taken_key = self.taken_prefix + self.name
        self.claims_prefix = f"{spider}:claims:"
        self.claims_key = self.claims_prefix + self.name  # archived keys claimed, their record not written yet
        self.ttl = max(2.0, settings.getfloat("FLEET_WORKER_TTL"))
        self.lock_ms = int(max(1.0, settings.getfloat("FLEET_DISCOVERY_LOCK_SECONDS")) * 1000)
        self.lost = False
        self._busy_until = 0.0
        self.encode: Callable[[Request], bytes | str] | None = None  # the queue's request encoder (scheduler)

    @classmethod
    def of(cls, crawler: Crawler) -> Fleet:
        """The crawler's one Fleet (shared by the scheduler, the seen-store and the spider)."""
        if crawler not in _FLEETS:
            _FLEETS[crawler] = cls(crawler)
        return _FLEETS[crawler]

    def call(self, action: Callable[[], T], default: T) -> T:
        """`action()`, or `default` once Redis is unreachable (the crawl is then stopping: see `stop`)."""
        if self.lost:
            return default
        try:
            return action()
        except REDIS_ERRORS as exc:
            self.stop(exc)
            return default

    def stop(self, exc: Exception) -> None:
        """Redis went away: one ERROR line, `fleet/redis_error` in the stats, finish reason `redis_error`."""
        if self.lost:
            return
        self.lost = True
        log.error(
            "Redis at %s is unreachable (%s): this worker stops; what it had taken stays listed there for the others",
            public_url(self.url),
            describe(exc),
        )
        stats, engine = self.crawler.stats, self.crawler.engine
        if stats is not None:
            stats.set_value("fleet/redis_error", str(exc)[:200])
        if engine is not None and engine.spider is not None:
            deferred_from_coro(engine.close_spider_async(reason=FINISH_REASON))

    # --- discovery --------------------------------------------------------------------------------------------
    def claim_discovery(self, site: str, requests: Sequence[Request] = ()) -> bool:
        """Take `site`'s discovery lock (SET NX PX); False when another worker of this run holds it.

        The lock and the site's discovery `requests` listed as taken by this worker (`start:<site>:<n>` in
        `news:taken:<worker>`) are written in one step (a Lua script), and each leaves that list once it is in
        the fleet's queue (FleetScheduler.enqueue_request): a worker killed after taking the lock but before
        its start requests reached the queue leaves them for the worker that recovers its taken requests,
        instead of leaving the site undiscovered for the lock's lifetime."""
        fields: list[bytes | str] = []
        for n, request in enumerate(requests):
            request.meta[START_FIELD] = field = f"start:{site}:{n}"
            fields += [field, self.encode(request)] if self.encode is not None else []
        lock = self.lock_prefix + site
        taken = self.call(
            lambda: self.server.eval(CLAIM_SCRIPT, 2, lock, self.taken_key, self.name, self.lock_ms, *fields), None
        )
        if taken or self.lost:
            return bool(taken)
        for request in requests:
            request.meta.pop(START_FIELD, None)
        holder = self.call(lambda: self.server.get(self.lock_prefix + site), None) or b"?"
        holder = holder.decode() if isinstance(holder, bytes) else str(holder)
        log.info(
            "Site %s is discovered by worker %s of the fleet; this worker takes requests from the queue", site, holder
        )
        if self.crawler.stats is not None:
            self.crawler.stats.inc_value("fleet/discovery_elsewhere")
        return False

    # --- site health ---------------------------------------------------------------------------------------------
    def publish_found(self, found: dict[str, int]) -> None:
        """Add to the fleet's per-site counts what this worker found since it last said (before it says it is
        idle, so that a worker that sees nobody busy sees everybody's counts)."""
        changes = {
            site: n - self._published.get(site, 0)
            for site, n in found.items()
            if site not in self._published or n != self._published[site]
        }
        if not changes:
            return

        def add() -> None:
            pipe = self.server.pipeline()
            for site, n in changes.items():
                pipe.hincrby(self.found_key, site, n)
            pipe.execute()

        self.call(add, None)
        if not self.lost:
            self._published.update(found)

    def fleet_found(self) -> dict[str, int]:
        """Articles found per site by the whole fleet in this run."""
        none: dict[bytes | str, bytes | str] = {}
        counts = self.call(lambda: self.server.hgetall(self.found_key), none)
        return {(k.decode() if isinstance(k, bytes) else str(k)): int(v) for k, v in counts.items()}

    # --- membership -------------------------------------------------------------------------------------------
    def heartbeat(self, busy: bool) -> None:
        """Say this worker is alive (and whether it has requests in hand) for FLEET_WORKER_TTL more seconds."""
        deadline = time.time() + self.ttl

        def beat() -> None:
            pipe = self.server.pipeline()
            pipe.zadd(self.workers_key, {self.name: deadline})
            if busy:
                pipe.zadd(self.busy_key, {self.name: deadline})
            else:
                pipe.zrem(self.busy_key, self.name)
            pipe.execute()

        self.call(beat, None)
        self._busy_until = deadline if busy else 0.0

    def mark_busy(self) -> None:
        """This worker took a request: it is busy (at most one write a second)."""
        if time.time() + self.ttl - self._busy_until > 1.0:
            self.heartbeat(busy=True)

    def others_busy(self) -> list[str]:
        """The other live workers that have requests in hand."""
        now = time.time()
        none: list[object] = []
        members = self.call(lambda: list(self.server.zrangebyscore(self.busy_key, now, "+inf")), none)
        names = [m.decode() if isinstance(m, bytes) else str(m) for m in members]
        return [name for name in names if name != self.name]

    def leave(self) -> bool:
        """Leave the fleet; True when no live worker is left (this was the last one)."""

        def out() -> int:
            pipe = self.server.pipeline()
            pipe.zrem(self.workers_key, self.name)
            pipe.zrem(self.busy_key, self.name)
            pipe.delete(self.claims_key)  # written or dropped by now: the keys of dropped items stay archived
            pipe.zcount(self.workers_key, time.time(), "+inf")  # the dead stay listed until their requests are back
            return int(pipe.execute()[-1])

        return self.call(out, 1) == 0

    def recover(self, decode: Callable[[bytes], Request], push: Callable[[Request], None]) -> int:
        """Put back in the queue (`push`) the requests taken by workers whose heartbeat stopped; how many."""
        now, count = time.time(), 0
        for raw in self.server.zrangebyscore(self.workers_key, "-inf", now):
            dead = raw.decode() if isinstance(raw, bytes) else str(raw)
            self._release_claims(dead)  # before its requests are back: whoever fetches them must not drop them
            mine = f"{self.taken_prefix}{dead}:recovering:{self.name}"
            try:
                self.server.rename(self.taken_prefix + dead, mine)  # only one worker can take them over
            except redis.exceptions.ResponseError:  # nothing taken, or another worker got there first
                pass
            else:
                requests = [decode(value) for value in self.server.hgetall(mine).values() if isinstance(value, bytes)]
                for request in requests:
                    push(request)
                self.server.delete(mine)
                count += len(requests)
                log.warning(
                    "Worker %s stopped answering: %d requests it had taken are back in the queue", dead, len(requests)
                )
            self.server.zrem(self.workers_key, dead)
            self.server.zrem(self.busy_key, dead)
        return count

    def _release_claims(self, dead: str) -> None:
        """Take out of the archived keys those a dead worker claimed and never wrote (its requests for them are
        back in the queue: whoever fetches them archives them)."""
        mine = f"{self.claims_prefix}{dead}:recovering:{self.name}"
        try:
            self.server.rename(self.claims_prefix + dead, mine)  # one taker
        except redis.exceptions.ResponseError:
            return
        keys = list(self.server.smembers(mine))
        if keys:
            self.server.srem(self.archived_key, *keys)
            log.warning("Worker %s stopped answering: %d archived keys it had claimed are free again", dead, len(keys))
        self.server.delete(mine)

    def clean(self) -> None:
        """The fleet's run is over: drop what it kept for the run (workers, locks, politeness, taken, found)."""

        def drop() -> None:
            prefixes = (self.lock_prefix, self.site_prefix, self.taken_prefix, self.claims_prefix)
            keys = [k for prefix in prefixes for k in self.server.scan_iter(f"{prefix}*", 1000)]
            self.server.delete(self.workers_key, self.busy_key, self.found_key, *keys)

        self.call(drop, None)
