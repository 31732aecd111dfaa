"""The fleet's scheduler: scrapy-redis's, which keeps the queue and the fingerprints in Redis, plus what a fleet
needs of a worker that Scrapy does not know about: it stays while another worker may still find pages, it
keeps the requests it has taken in Redis until they are done so that they outlive it (a worker killed with
SIGKILL: another puts them back in the queue), and it stops with one ERROR line when Redis goes away."""

from __future__ import annotations

import itertools
import logging
import warnings
from typing import Any

from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import CloseSpider, DontCloseSpider, ScrapyDeprecationWarning
from scrapy_redis.scheduler import Scheduler
from twisted.internet.task import LoopingCall

from scraper.extensions.summary import articles_found, per_site
from scraper.fleet.shared import FINISH_REASON, START_FIELD, Fleet

HEARTBEAT_SECONDS = 1.0
# scrapy-redis PriorityQueue.pop (the best-scored request) and its record in this worker's taken hash, in one
# step: a worker killed in between cannot drop a request that the fingerprints keep from being queued again
POP_AND_TAKE = """
local popped = redis.call('ZRANGE', KEYS[1], 0, 0)
if #popped == 0 then return false end
redis.call('ZREMRANGEBYRANK', KEYS[1], 0, 0)
redis.call('HSET', KEYS[2], ARGV[1], popped[1])
return popped[1]
"""
log = logging.getLogger(__name__)


class FleetScheduler(Scheduler):
    """scrapy-redis's Scheduler with fleet membership, taken requests, idle waiting and Redis loss handled.

    A finished crawl's last worker flushes the queue and fingerprints (unless SCHEDULER_PERSIST) and the
    fleet's run keys; a worker that stops for another reason (Ctrl-C, Redis gone) puts the requests it had
    taken back and leaves the queue for the rest of the fleet or for the next start, which resumes the crawl."""

    crawler: Crawler
    fleet: Fleet
    _beat: LoopingCall
    _taken: dict[str, Request]
    _ids: itertools.count[int]

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> FleetScheduler:
        fleet = Fleet.of(crawler)
        instance: FleetScheduler = super().from_crawler(crawler)
        instance.crawler, instance.fleet = crawler, fleet
        instance.stats = None  # scrapy-redis passes `spider=` to the stats (deprecated): counted here instead
        instance._beat = LoopingCall(instance._heartbeat)
        instance._taken, instance._ids = {}, itertools.count()
        crawler.signals.connect(instance._idle, signal=signals.spider_idle)
        return instance

    def open(self, spider: Spider) -> Any:
        """Open scrapy-redis's queue and join the fleet."""
        with warnings.catch_warnings():  # scrapy-redis logs "Resuming crawl" with the deprecated Spider.log()
            warnings.simplefilter("ignore", ScrapyDeprecationWarning)
            result = self.fleet.call(lambda: super(FleetScheduler, self).open(spider), None)
        self.fleet.encode = self.queue._encode_request  # for the start requests of the sites it claims
        if queued := len(self):
            log.info("Joining the fleet's crawl: %d requests in its queue", queued)
        self.fleet.heartbeat(busy=True)
        self._recover()  # a fleet restarted after its workers were killed: their requests go back first
        self._beat.start(HEARTBEAT_SECONDS, now=False)
        return result

    def _inc(self, key: str, count: int = 1) -> None:
        if self.crawler.stats is not None:
            self.crawler.stats.inc_value(key, count)

    # --- requests this worker has taken ------------------------------------------------------------------------
    def _done(self) -> None:
        """Forget, here and in Redis, the taken requests the engine has finished with (response handled, items
        through the pipelines, or failed)."""
        slot = getattr(self.crawler.engine, "_slot", None)  # the engine's requests in progress (Scrapy internal)
        inprogress = getattr(slot, "inprogress", None)
        if inprogress is None or not self._taken:
            return
        done = [key for key, request in self._taken.items() if request not in inprogress]
        if done:
            for key in done:
                del self._taken[key]
            self.fleet.call(lambda: self.fleet.server.hdel(self.fleet.taken_key, *done), 0)

    def _give_back(self) -> None:
        """Put the requests this worker took and did not finish back in the queue (a worker closing with requests
        the engine never finished: none, as Scrapy drains them before it closes the scheduler)."""
        pending = list(self._taken.values()) + self._unqueued_starts()
        self._taken.clear()
        for request in pending:
            self.fleet.call(lambda r=request: self.queue.push(r), None)  # type: ignore[misc]
        self.fleet.call(lambda: self.fleet.server.delete(self.fleet.taken_key), 0)
        if pending:
            log.info("Put %d unfinished requests back in the fleet's queue", len(pending))
            self._inc("fleet/given_back", len(pending))

    def _unqueued_starts(self) -> list[Request]:
        """The start requests of the sites this worker claimed that never reached the queue (a crawl stopped
        before its start() was through)."""
        none: dict[bytes | str, bytes | str] = {}
        listed = self.fleet.call(lambda: self.fleet.server.hgetall(self.fleet.taken_key), none)
        return [
            self.queue._decode_request(v)
            for k, v in listed.items()
            if isinstance(k, bytes) and k.startswith(b"start:") and isinstance(v, bytes)
        ]

    def _recover(self) -> int:
        """Put back in the queue the requests that workers which stopped answering had taken."""
        recovered = self.fleet.call(lambda: self.fleet.recover(self.queue._decode_request, self.queue.push), 0)
        if recovered:
            self._inc("fleet/recovered", recovered)
        return recovered

    # --- site health ---------------------------------------------------------------------------------------------
    def _publish_found(self) -> None:
        """Tell the fleet how many articles this worker found per site (before it says whether it is busy)."""
        if self.crawler.stats is not None:
            sites = per_site(self.crawler.stats.get_stats())
            self.fleet.publish_found({site: articles_found(counters) for site, counters in sites.items()})

    def _note_fleet_found(self) -> None:
        """`site/<id>/fleet_found` for this worker's sites: what the whole fleet found (the run summary's
        health verdict uses it)."""
        if self.crawler.stats is None:
            return
        totals = self.fleet.fleet_found()
        for site in per_site(self.crawler.stats.get_stats()):
            self.crawler.stats.set_value(f"site/{site}/fleet_found", totals.get(site, 0))

    # --- heartbeat and idle ------------------------------------------------------------------------------------
    def _heartbeat(self) -> None:
        engine = self.crawler.engine
        if engine is None or engine.spider is None or self.fleet.lost:
            return
        self._done()
        idle = engine.spider_is_idle()
        self._publish_found()
        self.fleet.heartbeat(busy=not idle)
        # Scrapy looks at an idle scheduler, and calls spider_idle again, every 5 s only: look every beat, so that
        # queued requests are taken and an idle worker leaves (or recovers) within a second of the others' end.
        slot = getattr(engine, "_slot", None)
        if slot is not None and not engine.needs_backout() and (idle or self.has_pending_requests()):
            slot.nextcall.schedule()

    def _idle(self, spider: Spider) -> None:
        """Stay while another worker has requests in hand (it may yet queue pages for this one), or when the
        requests of a worker that stopped answering were just put back."""
        if self.fleet.lost:
            raise CloseSpider(FINISH_REASON)
        self._done()
        self._publish_found()
        self.fleet.heartbeat(busy=False)
        if self._recover() or self.fleet.others_busy():
            raise DontCloseSpider

    def close(self, reason: str) -> None:
        """Leave the fleet; the last worker of a finished crawl cleans the run's keys."""
        if self._beat.running:
            self._beat.stop()
        self._done()  # the engine has drained its requests in progress by now: normally all are done
        self._give_back()
        self._publish_found()
        self._note_fleet_found()
        last = self.fleet.leave()
        if last and reason == "finished" and not self.persist:
            self.fleet.call(self.flush, None)
            self.fleet.clean()

    # --- scrapy-redis's scheduler, guarded -------------------------------------------------------------------
    def enqueue_request(self, request: Request) -> bool:
        """Queue `request` in Redis unless the fleet has seen its fingerprint; a claimed site's start request
        then leaves this worker's taken list (killed in between: it is queued twice, a discovery page fetched
        twice, its links filtered by fingerprint)."""
        start = request.meta.pop(START_FIELD, None)
        queued = bool(self.fleet.call(lambda: super(FleetScheduler, self).enqueue_request(request), False))
        if start is not None:
            self.fleet.call(lambda: self.fleet.server.hdel(self.fleet.taken_key, start), 0)
        if queued:
            self._inc("scheduler/enqueued/redis")
        return queued

    def next_request(self) -> Request | None:
        """The fleet's next request, highest priority first (scrapy-redis's PriorityQueue, popped by a script that
        also records it as taken, in Redis, until it is done)."""
        self._done()
        key = str(next(self._ids))
        raw = self.fleet.call(
            lambda: self.fleet.server.eval(POP_AND_TAKE, 2, self.queue.key, self.fleet.taken_key, key), None
        )
        request = self.queue._decode_request(raw) if isinstance(raw, bytes) else None
        if request is not None:
            self._taken[key] = request
            self.fleet.mark_busy()
            self._inc("scheduler/dequeued/redis")
        return request

    def has_pending_requests(self) -> bool:
        """Whether the fleet's queue holds requests."""
        return bool(self.fleet.call(lambda: super(FleetScheduler, self).has_pending_requests(), False))

    def __len__(self) -> int:
        return int(self.fleet.call(lambda: super(FleetScheduler, self).__len__(), 0))
