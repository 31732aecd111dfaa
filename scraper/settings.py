"""Scrapy settings for news-archiver: every setting with its default. Override any with `-s NAME=value`."""

import os

from scraper.extract.boilerplate import DEFAULT_PATTERNS

BOT_NAME = "news-archiver"  # the project's name, also in the User-Agent
SPIDER_MODULES = ["spiders"]  # where `scrapy crawl NAME` finds spiders
NEWSPIDER_MODULE = "spiders"  # where `scrapy genspider` puts new ones
COMMANDS_MODULE = "scraper.commands"  # our `crawl` checks spider arguments before anything starts

# --- Politeness -------------------------------------------------------------------------------------
CONTACT = "https://github.com/news-archiver/news-archiver"  # how site owners reach whoever runs the crawl
USER_AGENT = "news-archiver/0.1 (+{contact})"  # `{contact}` is replaced by CONTACT
ROBOTSTXT_OBEY = True  # never fetch what robots.txt disallows
DEFAULT_REQUEST_HEADERS = {  # Scrapy's, asking for gzip or deflate only (see docs/archive.md, "Capture")
    "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
    "Accept-Language": "en",
    "Accept-Encoding": "gzip, deflate",  # not br (warcio and pywb fail on it) nor zstd (nothing here decodes it)
}
CONCURRENT_REQUESTS = 16  # requests in flight over all sites
CONCURRENT_REQUESTS_PER_DOMAIN = 2  # requests in flight to one site
DOWNLOAD_DELAY = 1.0  # seconds between requests to one site (AutoThrottle adapts from here)
AUTOTHROTTLE_ENABLED = True  # slow down when a site answers slowly
AUTOTHROTTLE_START_DELAY = 1.0  # AutoThrottle's first delay, seconds
AUTOTHROTTLE_MAX_DELAY = 30.0  # AutoThrottle's longest delay, seconds
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0  # requests AutoThrottle aims to have in flight per site
RETRY_TIMES = 2  # retries after the first try of a failed request
RETRY_HTTP_CODES = [429, 500, 502, 503, 504, 522, 524, 408]  # statuses worth another try
RETRY_BACKOFF_BASE = 2.0  # seconds before retrying a 429/503 without Retry-After, doubled per retry
RETRY_BACKOFF_MAX = 120.0  # longest wait before a retry; a longer Retry-After gives up on the page
RETRY_GIVE_UP_LOG_LEVEL = "DEBUG"  # the spiders log one line per failed request themselves

# --- Limits: news pages are small; anything larger is refused -------------------------------------
DOWNLOAD_TIMEOUT = 30  # seconds for one response, slow-drip responses included (pages/failed/timeout)
DOWNLOAD_MAXSIZE = 10 * 1024 * 1024  # bytes, decompressed: larger responses (gzip bombs too) fail as `too_large`
DOWNLOAD_WARNSIZE = 2 * 1024 * 1024  # bytes: larger responses are logged as a warning
TELNETCONSOLE_ENABLED = False  # no listening console on scheduled runs
REMOTE_CONTROL_ENABLED = False  # nor Scrapy's remote-control HTTP server

# --- Components ---------------------------------------------------------------------------------------
DOWNLOADER_MIDDLEWARES = {  # ours replace Scrapy's robots.txt, user agent, retry and redirect middlewares
    "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
    "scraper.middlewares.robotstxt.SharedRobotsTxtMiddleware": 100,  # every request waiting for robots.txt obeys it
    "scrapy.downloadermiddlewares.useragent.UserAgentMiddleware": None,
    "scraper.middlewares.useragent.ContactUserAgentMiddleware": 500,
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "scraper.middlewares.retry.BackoffRetryMiddleware": 550,
    "scrapy.downloadermiddlewares.redirect.MetaRefreshMiddleware": None,
    "scraper.middlewares.redirects.CheckedMetaRefreshMiddleware": 580,  # redirect loops and offsite redirects fail with
    "scrapy.downloadermiddlewares.redirect.RedirectMiddleware": None,  # a reason: `redirect_loop`, `offsite`
    "scraper.middlewares.redirects.CheckedRedirectMiddleware": 600,
    "scraper.middlewares.capture.CaptureDownloaderMiddleware": 595,  # after redirects, before gzip is decoded
}
EXTENSIONS = {  # the end-of-run summary and the one-line-per-failure log policy
    "scraper.extensions.summary.RunSummary": 500,
    "scraper.extensions.logformatter.OneLinePerFailure": 0,  # Scrapy's repeats of a failure we log go to DEBUG
    "scraper.extensions.watchdog.PipelineWatchdog": 0,  # stuck pipelines: exit 4 instead of idling forever
}
SPIDER_MIDDLEWARES = {  # request policies: incremental runs, per-site page budgets
    "scraper.middlewares.incremental.IncrementalMiddleware": 950,  # runs first on a callback's output
    "scraper.middlewares.limits.SiteLimitMiddleware": 940,  # so that already-archived URLs use no page budget
    "scraper.middlewares.capture.CaptureSpiderMiddleware": 930,  # gives each Page its response's WARC capture
}
ITEM_PIPELINES = {  # Page -> Article, one job each, in this order
    "pipelines.capture.CapturePipeline": 50,  # the response to the WARC (ARCHIVE_WARC), before extraction
    "pipelines.extract.ExtractPipeline": 100,
    "pipelines.boilerplate.BoilerplatePipeline": 200,
    "pipelines.validate.ValidatePipeline": 300,
    "pipelines.dedupe.DedupePipeline": 400,
    "pipelines.archive.ArchivePipeline": 900,
}
CRAWL_WATCHDOG_TIMEOUT = 300.0  # seconds without progress (a response, an item done) while work is in hand; 0 = off
CRAWL_FAIL_ON_UNHEALTHY_SITE = True  # exit status 3 when a site found no article at all, or mostly errors
LOG_FORMATTER = "scraper.extensions.logformatter.ConciseLogFormatter"  # one readable line per dropped page
LOG_LEVEL = "INFO"  # DEBUG shows every request
STATS_CLASS = "scraper.extensions.statsfile.JsonFileStatsCollector"  # Scrapy's, plus STATS_FILE
STATS_FILE = ""  # write the run's final stats here as one JSON object (for monitoring, tests); "" = no file

# --- Discovery (the `news` spider) -----------------------------------------------------------------------
NEWS_NAVIGATION_DEPTH = 2  # links followed from a start page through section/tag pages before giving up

INCREMENTAL = True  # article URLs already in the archive are not fetched again
ARTICLE_REVISIT_MIN_HOURS = 6.0  # an archived article said to have changed is fetched again at most this often
DEDUPE = True  # an article already archived (same URL, canonical URL or text) is not archived again

# --- Extraction -----------------------------------------------------------------------------------------
EXTRACT_WORKERS = os.cpu_count() or 1  # extraction processes beside the crawler; 0 extracts in-process
EXTRACT_TIMEOUT = 2.0  # seconds one page may take to extract before it is dropped as too slow
EXTRACT_WORKER_MAX_PAGES = 500  # pages one extraction process handles before a fresh one replaces it
BOILERPLATE_PATTERNS = list(DEFAULT_PATTERNS)  # regexes for whole boilerplate lines in article text
BOILERPLATE_EXTRA_PATTERNS: list[str] = []  # your additions to BOILERPLATE_PATTERNS (a JSON list with -s)
ARTICLE_MIN_WORDS = 50  # shorter texts are dropped as `too_short`

# --- Archive -------------------------------------------------------------------------------------------
ARCHIVE_DIR = "data"  # archive root: ARCHIVE_DIR/YYYY-MM-DD/<spider>-<run_id>.jsonl
ARCHIVE_GZIP = False  # compress each run's files to .jsonl.gz when the run ends
ARCHIVE_FSYNC_EVERY = 100  # records between fsyncs (every record is flushed to the OS at once)
RUN_ID = ""  # this run's id in file names; empty makes one from the start time
ARCHIVE_WARC = True  # keep each article response as sent in ARCHIVE_DIR/YYYY-MM-DD/<spider>-<run_id>.warc.gz
ARCHIVE_WARC_ALL = False  # also keep sitemaps, feeds, robots.txt and navigation pages in the WARC

# --- Fleet: N workers share one crawl through Redis (docs/fleet.md) --------------------------------------------
REDIS_URL = os.environ.get("REDIS_URL", "")  # redis://host:6379/0 shares queue, fingerprints, archived keys; "" = alone
ADDONS = {"scraper.fleet.FleetAddon": 0}  # with REDIS_URL: scrapy-redis's scheduler, queue and dupefilter
FLEET_WORKER_TTL = 30.0  # seconds without a heartbeat before a worker (killed, frozen) counts as gone
FLEET_DISCOVERY_LOCK_SECONDS = 3600.0  # how long a site's discovery lock holds if its run never finishes
