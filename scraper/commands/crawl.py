"""`scrapy crawl`, with spider arguments checked up front and an exit status that tells cron what happened.

Exit status: 0 all went well; 1 the crawl could not run, the archive could not be written or Redis (REDIS_URL)
went away; 2 a bad
argument (one line on stderr, nothing fetched); 3 a site found no article at all, or mostly errors
(CRAWL_FAIL_ON_UNHEALTHY_SITE); 4 the watchdog stopped a crawl whose pipelines made no progress
(CRAWL_WATCHDOG_TIMEOUT, scraper/extensions/watchdog.py).
"""

from __future__ import annotations

import argparse
import sys

from scrapy.commands.crawl import Command as ScrapyCrawlCommand
from scrapy.exceptions import UsageError
from scrapy.settings import BaseSettings
from scrapy.spiderloader import get_spider_loader
from scrapy.statscollectors import StatsCollector

from archive.names import check_name
from scraper.arguments import SpiderArgumentError
from scraper.fleet import unreachable
from scraper.patterns import check_pattern_list

EXIT_FAILED, EXIT_USAGE, EXIT_UNHEALTHY = 1, 2, 3


def exit_status(stats: StatsCollector | None, fail_on_unhealthy: bool) -> int:
    """The process exit status for a finished crawl, from its stats."""
    if stats is None:
        return EXIT_FAILED
    if stats.get_value("finish_reason") in {"archive_error", "redis_error"}:
        return EXIT_FAILED
    if fail_on_unhealthy and stats.get_value("summary/unhealthy_sites"):
        return EXIT_UNHEALTHY
    return 0


def check_settings(settings: BaseSettings) -> None:
    """ValueError naming the setting when RUN_ID or a boilerplate pattern list cannot be used."""
    if run_id := settings.get("RUN_ID"):  # it names the archive's files: no '/', no '..'
        check_name("RUN_ID", run_id)
    for name in ("BOILERPLATE_PATTERNS", "BOILERPLATE_EXTRA_PATTERNS"):
        check_pattern_list(settings, name)


class Command(ScrapyCrawlCommand):
    """Scrapy's crawl command, with spider arguments checked before anything starts or logs."""

    def process_options(self, args: list[str], opts: argparse.Namespace) -> None:
        """Parse options as Scrapy does, check our settings, then call the spider's `check_arguments(**spargs)`."""
        super().process_options(args, opts)
        if len(args) != 1:
            return
        assert self.settings is not None
        try:
            check_settings(self.settings)
        except ValueError as exc:
            self._fail(f"scrapy crawl {args[0]}: error: {exc}")
        try:
            spidercls = get_spider_loader(self.settings).load(args[0])
        except KeyError:
            self._fail(f"scrapy crawl: error: no spider named {args[0]!r}")
        check = getattr(spidercls, "check_arguments", None)
        if check is not None:
            try:
                check(**opts.spargs)
            except SpiderArgumentError as exc:
                self._fail(f"scrapy crawl {args[0]}: error: {exc}")
        if problem := unreachable(self.settings):  # REDIS_URL set but no Redis: one line, nothing fetched
            self._fail(f"scrapy crawl {args[0]}: error: {problem}", EXIT_FAILED)

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        """Crawl as Scrapy does, then set the exit status from the run's stats."""
        if len(args) != 1:
            raise UsageError("give one spider name")
        assert self.crawler_process is not None and self.settings is not None
        crawler = self._create_crawler(args[0])
        self.crawler_process.crawl(crawler, **opts.spargs)
        self.crawler_process.start()
        if self.crawler_process.bootstrap_failed:
            self.exitcode = EXIT_FAILED
        else:
            self.exitcode = exit_status(crawler.stats, self.settings.getbool("CRAWL_FAIL_ON_UNHEALTHY_SITE"))

    @staticmethod
    def _fail(message: str, status: int = EXIT_USAGE) -> None:
        print(message, file=sys.stderr)
        sys.exit(status)
