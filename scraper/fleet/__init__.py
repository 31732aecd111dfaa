"""The fleet: several `scrapy crawl news` workers, on one machine or many, crawling as one through Redis.

With `REDIS_URL` set (`-s REDIS_URL=redis://host:6379/0`, or in the environment) the request queue and the
request fingerprints are scrapy-redis's (scheduler, priority queue, dupefilter), the archived article keys
are a Redis set (scraper/fleet/seen.py) and discovery of a site is done by one worker per run (a lock).
Empty `REDIS_URL`: nothing here is used and redis is never imported. docs/fleet.md says how to run a fleet.
"""

from __future__ import annotations

import os
import re
import socket
from collections.abc import Sequence

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.settings import BaseSettings, Settings

SCHEDULER = "scraper.fleet.scheduler.FleetScheduler"
QUEUE = "scrapy_redis.queue.PriorityQueue"
DUPEFILTER = "scrapy_redis.dupefilter.RFPDupeFilter"
HANDLER = "scraper.fleet.politeness.FleetDownloadHandler"


def fleet_url(settings: BaseSettings) -> str:
    """The Redis URL the fleet shares ("" when this crawl runs alone)."""
    return str(settings.get("REDIS_URL") or "").strip()


def worker_name() -> str:
    """This worker's name for run ids and Redis: host and process id (`host-p1234`), safe in a file name."""
    host = re.sub(r"[^A-Za-z0-9_.-]+", "-", socket.gethostname()).strip(".-")[:40] or "host"
    return f"{host}-p{os.getpid()}"


def unreachable(settings: BaseSettings) -> str | None:
    """Why the fleet's Redis cannot be used (one line), or None when it answers or there is no fleet."""
    if not fleet_url(settings):
        return None
    import redis
    from scrapy_redis.connection import get_redis_from_settings

    from scraper.fleet.shared import describe, public_url

    try:
        get_redis_from_settings(settings).ping()
    except (redis.exceptions.RedisError, ValueError) as exc:
        return f"Redis at {public_url(fleet_url(settings))} is unreachable ({describe(exc)})"
    return None


def claim_discovery(crawler: Crawler, site: str, requests: Sequence[Request] = ()) -> bool:
    """Whether this worker discovers `site` (robots, sitemaps, feeds, start pages) in this run: always when it
    runs alone; in a fleet, the first worker to take the site's lock in Redis, which lists the site's start
    `requests` (all of them, built before the claim) in Redis in the same step, so that they outlive it."""
    if not fleet_url(crawler.settings):
        return True
    from scraper.fleet.shared import Fleet

    return Fleet.of(crawler).claim_discovery(site, requests)


class FleetAddon:
    """Scrapy add-on (ADDONS): with REDIS_URL set, scrapy-redis's scheduler, queue and dupefilter replace
    Scrapy's in-memory ones and HTTP downloads wait for the fleet's per-site slots; without it, no setting
    changes."""

    def update_settings(self, settings: Settings) -> None:
        """Switch the scheduler to the fleet's when REDIS_URL is set."""
        if not fleet_url(settings):
            return
        settings.set("SCHEDULER", SCHEDULER, priority="addon")
        settings.set("SCHEDULER_QUEUE_CLASS", QUEUE, priority="addon")
        settings.set("DUPEFILTER_CLASS", DUPEFILTER, priority="addon")
        handlers = settings.getdict("DOWNLOAD_HANDLERS")
        for scheme in ("http", "https"):  # per-site politeness held across the fleet
            handlers.setdefault(scheme, HANDLER)
        settings.set("DOWNLOAD_HANDLERS", handlers, priority="addon")
