"""The end-of-run summary: per site, what was fetched, archived, dropped and why; unhealthy sites are errors."""

from __future__ import annotations

import logging
import os
import socket
from collections import defaultdict
from datetime import UTC, datetime
from typing import Any

from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.http import Response
from scrapy.statscollectors import StatsCollector

from archive.runs import Counts, SiteCounts, Summary, write_summary
from scraper.commands.crawl import exit_status
from scraper.items import Page, PageDropped
from scraper.record import Record

log = logging.getLogger("scraper.summary")  # operators grep this name: keep it


def per_site(stats: dict[str, Any]) -> dict[str, dict[str, int]]:
    """`site/<id>/<counter>` stats regrouped as {site: {counter: value}}."""
    sites: dict[str, dict[str, int]] = defaultdict(dict)
    for key, value in stats.items():
        if key.startswith("site/") and isinstance(value, int):
            _, site, counter = key.split("/", 2)
            sites[site][counter] = value
    return dict(sites)


def _reasons(counters: dict[str, Any], prefix: str) -> dict[str, int]:
    """{reason: count} of the counters named `<prefix><reason>`, by reason."""
    return {
        k.removeprefix(prefix): v for k, v in sorted(counters.items()) if k.startswith(prefix) and isinstance(v, int)
    }


def _by_prefix(counters: dict[str, int], prefix: str) -> tuple[int, str]:
    reasons = _reasons(counters, prefix)
    return sum(reasons.values()), ", ".join(f"{k} {v}" for k, v in reasons.items())


def site_line(site: str, c: dict[str, int]) -> str:
    """One line: `site x: 12 responses, 3 articles archived (5 already archived), 2 dropped (...), 1 failed (...)`."""
    dropped, why_dropped = _by_prefix(c, "dropped/")
    failed, why_failed = _by_prefix(c, "failed/")
    line = f"site {site}: {c.get('responses', 0)} responses, {c.get('archived', 0)} articles archived"
    if c.get("revised"):
        line += f" ({c['revised']} of them revised versions)"
    if c.get("already_archived"):
        line += f" ({c['already_archived']} already archived, not fetched again)"
    if dropped:
        line += f", {dropped} dropped ({why_dropped})"
    if failed:
        line += f", {failed} failed ({why_failed})"
    return line


def articles_found(c: dict[str, int]) -> int:
    """The articles a site's counters show found: archived now or before, found again, or refused by the archive."""
    return (
        c.get("archived", 0)
        + c.get("already_archived", 0)
        + _by_prefix(c, "dropped/duplicate")[0]
        + c.get("dropped/unchanged", 0)  # fetched again after a lastmod, same text
        + c.get("dropped/archive_error", 0)
    )  # found, but the archive could not take it: not the site's fault


def site_problem(c: dict[str, int]) -> str | None:
    """Why a site's run is unhealthy (no article found at all, or mostly errors), else None. In a fleet
    (REDIS_URL) `fleet_found` is what all its workers found: another worker may have fetched the articles."""
    failed, _ = _by_prefix(c, "failed/")
    if articles_found(c) + c.get("fleet_found", 0) == 0:
        return "no article found (nothing archived now or before)"
    if failed > c.get("responses", 0):
        return f"mostly errors ({failed} failed requests, {c.get('responses', 0)} responses)"
    return None


def _iso(value: object) -> str:
    when = value if isinstance(value, datetime) else datetime.now(UTC)
    return (when if when.tzinfo else when.replace(tzinfo=UTC)).astimezone(UTC).isoformat()


def summary_of(stats: dict[str, Any], spider: str, reason: str, status: int | None) -> Summary:
    """The run's summary (archive.runs.Summary) from its final stats: the figures the summary lines log."""
    sites = {
        site: SiteCounts(
            c.get("responses", 0),
            c.get("archived", 0),
            c.get("already_archived", 0),
            _reasons(c, "dropped/"),
            _reasons(c, "failed/"),
            site_problem(c),
        )
        for site, c in sorted(per_site(stats).items())
    }
    totals = Counts(
        stats.get("response_received_count", 0),
        stats.get("articles/archived", 0),
        sum(s.already_archived for s in sites.values()),
        _reasons(stats, "articles/dropped/"),
        _reasons(stats, "pages/failed/"),
    )
    return Summary(
        spider=spider,
        run_id=str(stats.get("archive/run_id", "")),
        started=_iso(stats.get("start_time")),
        finished=_iso(stats.get("finish_time")),
        finish_reason=reason,
        exit_status=status,
        host=socket.gethostname(),
        pid=os.getpid(),
        totals=totals,
        sites=sites,
    )


class RunSummary:
    """Counts per site, logs the summary at the end, marks unhealthy sites for the exit status, and (when the
    archive pipeline ran) keeps the summary in the archive beside the run's files (archive.runs)."""

    def __init__(self, stats: StatsCollector, fail_on_unhealthy: bool = True) -> None:
        self.stats = stats
        self.fail_on_unhealthy = fail_on_unhealthy

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RunSummary:
        if crawler.stats is None:
            raise NotConfigured("no stats collector")
        ext = cls(crawler.stats, crawler.settings.getbool("CRAWL_FAIL_ON_UNHEALTHY_SITE"))
        crawler.signals.connect(ext.response_received, signal=signals.response_received)
        crawler.signals.connect(ext.item_scraped, signal=signals.item_scraped)
        crawler.signals.connect(ext.item_dropped, signal=signals.item_dropped)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    def response_received(self, response: Response, request: Request, spider: Spider) -> None:
        """Count responses per site (requests of our spiders carry their site in meta)."""
        if site := request.meta.get("site"):
            self.stats.inc_value(f"site/{site}/responses")

    def item_scraped(self, item: Record, response: Response, spider: Spider) -> None:
        """Count archived articles per site (the archive pipeline passes on the record it wrote)."""
        if site := item.get("site"):
            self.stats.inc_value(f"site/{site}/archived")

    def item_dropped(self, item: Page, response: Response, exception: BaseException, spider: Spider) -> None:
        """Count dropped pages per site and reason."""
        if site := item.site:
            reason = exception.reason if isinstance(exception, PageDropped) else "other"
            self.stats.inc_value(f"site/{site}/dropped/{reason}")

    def spider_closed(self, spider: Spider, reason: str) -> None:
        """Log one line per site and the run's totals; an ERROR for each unhealthy site. Sites are judged only
        when the run finished: a run stopped early (a signal, a page budget, Redis or the archive gone) did not
        give every site its chance, so "no article found" would blame the site for the stop."""
        stats = dict(self.stats.get_stats())
        sites = per_site(stats)
        unhealthy = []
        if reason != "finished" and sites:
            log.info("Run stopped early (%s): no site is judged unhealthy", reason)
        for site, counters in sorted(sites.items()):
            problem = site_problem(counters) if reason == "finished" else None
            if problem:
                unhealthy.append(site)
                log.error("%s -- %s", site_line(site, counters), problem)
            else:
                log.info("%s", site_line(site, counters))
        archived = stats.get("articles/archived", 0)
        dropped, why_dropped = _by_prefix(stats, "articles/dropped/")
        failed, why_failed = _by_prefix(stats, "pages/failed/")
        log.info(
            "Run %s finished (%s): %d responses, %d articles archived, %d pages dropped%s, %d requests failed%s",
            stats.get("archive/run_id", "?"),
            reason,
            stats.get("response_received_count", 0),
            archived,
            dropped,
            f" ({why_dropped})" if dropped else "",
            failed,
            f" ({why_failed})" if failed else "",
        )
        for path in stats.get("archive/files") or []:
            log.info("Archive: %s", path)
        self.stats.set_value("summary/unhealthy_sites", unhealthy)
        if root := stats.get("archive/root"):  # the archive pipeline ran: the archive keeps the summary
            self.keep(root, spider, reason)

    def keep(self, root: str, spider: Spider, reason: str) -> None:
        """Write the run's summary into the archive (`archive/summary`: its path); a log line if it cannot."""
        status = exit_status(self.stats, self.fail_on_unhealthy)
        try:
            path = write_summary(root, summary_of(self.stats.get_stats(), spider.name, reason, status))
        except (OSError, ValueError) as exc:
            # an ERROR, unless the archive already failed (that was the ERROR, and the reason for this one)
            level = logging.WARNING if self.stats.get_value("archive/error") else logging.ERROR
            log.log(level, "Cannot keep the run summary in the archive %s: %s", root, exc)
            self.stats.set_value("archive/summary_error", str(exc))
            return
        log.info("Run summary: %s", path)
        self.stats.set_value("archive/summary", str(path))
