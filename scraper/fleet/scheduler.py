"""The fleet's scheduler: scrapy-redis's, which keeps the queue and the fingerprints in Redis, plus what a fleet
needs of a worker that Scrapy does not know about: it stays while another worker may still find pages, it
leaves the queue to the others when it stops early, and it stops with one ERROR line when Redis goes away."""

from __future__ import annotations

from typing import Any

from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import CloseSpider, DontCloseSpider
from scrapy_redis.scheduler import Scheduler
from twisted.internet.task import LoopingCall

from scraper.fleet.shared import FINISH_REASON, Fleet

HEARTBEAT_SECONDS = 1.0


class FleetScheduler(Scheduler):
    """scrapy-redis's Scheduler with fleet membership, idle waiting and Redis loss handled.

    A finished crawl's last worker flushes the queue and fingerprints (unless SCHEDULER_PERSIST) and the
    fleet's run keys; a worker that stops for another reason (Ctrl-C, Redis gone) leaves them for the rest of
    the fleet or for the next start, which resumes the crawl."""

    crawler: Crawler
    fleet: Fleet
    _beat: LoopingCall

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> FleetScheduler:
        fleet = Fleet.of(crawler)
        instance: FleetScheduler = super().from_crawler(crawler)
        instance.crawler, instance.fleet = crawler, fleet
        instance.stats = None  # scrapy-redis passes `spider=` to the stats (deprecated): counted here instead
        instance._beat = LoopingCall(instance._heartbeat)
        crawler.signals.connect(instance._idle, signal=signals.spider_idle)
        return instance

    def open(self, spider: Spider) -> Any:
        """Open scrapy-redis's queue and join the fleet."""
        result = self.fleet.call(lambda: super(FleetScheduler, self).open(spider), None)
        self.fleet.heartbeat(busy=True)
        self._beat.start(HEARTBEAT_SECONDS, now=False)
        return result

    def _heartbeat(self) -> None:
        engine = self.crawler.engine
        if engine is None or engine.spider is None or self.fleet.lost:
            return
        idle = engine.spider_is_idle()
        self.fleet.heartbeat(busy=not idle)
        slot = getattr(engine, "_slot", None)  # Scrapy polls an idle scheduler every 5 s only: ask for requests
        if slot is not None and not engine.needs_backout() and self.has_pending_requests():
            slot.nextcall.schedule()

    def _idle(self, spider: Spider) -> None:
        """Stay while another worker has requests in hand: it may yet queue pages for this one."""
        if self.fleet.lost:
            raise CloseSpider(FINISH_REASON)
        self.fleet.heartbeat(busy=False)
        if self.fleet.others_busy():
            raise DontCloseSpider

    def close(self, reason: str) -> None:
        """Leave the fleet; the last worker of a finished crawl cleans the run's keys."""
        if self._beat.running:
            self._beat.stop()
        last = self.fleet.leave()
        if last and reason == "finished" and not self.persist:
            self.fleet.call(self.flush, None)
            self.fleet.clean()

    def enqueue_request(self, request: Request) -> bool:
        """Queue `request` in Redis unless the fleet has seen its fingerprint."""
        queued = bool(self.fleet.call(lambda: super(FleetScheduler, self).enqueue_request(request), False))
        if queued and self.crawler.stats is not None:
            self.crawler.stats.inc_value("scheduler/enqueued/redis")
        return queued

    def next_request(self) -> Request | None:
        """The fleet's next request, highest priority first."""
        request: Request | None = self.fleet.call(lambda: super(FleetScheduler, self).next_request(), None)
        if request is not None:
            self.fleet.mark_busy()
            if self.crawler.stats is not None:
                self.crawler.stats.inc_value("scheduler/dequeued/redis")
        return request

    def has_pending_requests(self) -> bool:
        """Whether the fleet's queue holds requests."""
        return bool(self.fleet.call(lambda: super(FleetScheduler, self).has_pending_requests(), False))

    def __len__(self) -> int:
        return int(self.fleet.call(lambda: super(FleetScheduler, self).__len__(), 0))
