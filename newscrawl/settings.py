"""Scrapy settings for newscrawl.

Polite by default, like the ``scrapy startproject`` template: robots.txt obeyed,
AutoThrottle on, a small per-publisher concurrency, an honest User-Agent. Everything
else is a Scrapy default; see https://docs.scrapy.org/en/latest/topics/settings.html.
Every ``NEWSCRAWL_*`` setting is documented in docs/settings.md (a test checks that).
"""

from newscrawl import __version__

BOT_NAME = "newscrawl"
SPIDER_MODULES = ["newscrawl.spiders"]
NEWSPIDER_MODULE = "newscrawl.spiders"
COMMANDS_MODULE = "newscrawl.scrapy_commands"

# Identify ourselves honestly; operators put their own contact address in USER_AGENT.
USER_AGENT = f"newscrawl/{__version__} (research archive of entertainment news; +https://github.com/newscrawl/newscrawl)"
ROBOTSTXT_OBEY = True

CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 2
# Items processed in parallel per response. An article response yields one page (pages
# overlap across responses); Scrapy starts this many asyncio tasks per response, and
# the default 100 cost the reactor more than a third of a bare fetch (bench/crawl.py).
CONCURRENT_ITEMS = 4
DOWNLOAD_DELAY = 1.0
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0
DOWNLOAD_TIMEOUT = 30
# Article pages are small; anything past this is not an article (or is hostile).
DOWNLOAD_MAXSIZE = 10 * 1024 * 1024
DOWNLOAD_WARNSIZE = 3 * 1024 * 1024
RETRY_TIMES = 2
# No way into a running crawl from outside: Scrapy's telnet console, and its
# RemoteControl extension (on by default since 2.19: a localhost HTTP endpoint that runs
# Python code sent to it, with its token written to a file in the user's home). Crawls
# run unattended from cron and Scrapyd; `-s REMOTE_CONTROL_ENABLED=True` to debug one.
TELNETCONSOLE_ENABLED = False
REMOTE_CONTROL_ENABLED = False
LOG_LEVEL = "INFO"
LOG_FORMATTER = "newscrawl.ledger.QuietLogFormatter"

# Scrapy's downloader with per-slot concurrency that holds without a delay (downloader.py).
DOWNLOADER = "newscrawl.downloader.Downloader"
DOWNLOADER_MIDDLEWARES = {
    # Same position as Scrapy's own robots.txt middleware, which it extends.
    "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
    "newscrawl.middlewares.RobotsTxtCrawlDelayMiddleware": 100,
    # Scrapy's RetryMiddleware, plus waiting as a 429 / 503 answer asks (retry_after.py).
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "newscrawl.retry_after.RetryAfterMiddleware": 550,
}

ITEM_PIPELINES = {
    "newscrawl.pipelines.WarcPipeline": 100,
    "newscrawl.pipelines.ExtractPipeline": 200,
    "newscrawl.pipelines.TagPipeline": 300,
    "newscrawl.pipelines.DedupePipeline": 400,
    "newscrawl.pipelines.StorePipeline": 500,
}
EXTENSIONS = {
    "newscrawl.ledger.CoverageLedger": 500,
    "newscrawl.jobdir.JobDirGuard": 510,
}
# Redis mode when NEWSCRAWL_REDIS_URL is set; does nothing otherwise (docs/scaling.md).
ADDONS = {
    "newscrawl.scale.addon.RedisScaleOut": 0,
}

# --- newscrawl (documented in docs/settings.md) ---
NEWSCRAWL_DB = "archive/archive.db"
NEWSCRAWL_SOURCES = ""  # empty: the packaged newscrawl/data/sources.yml
NEWSCRAWL_ARTISTS = ""  # empty: the packaged newscrawl/data/artists.yml
NEWSCRAWL_WARC_ENABLED = True
NEWSCRAWL_WARC_DIR = ""  # empty: warc/ next to NEWSCRAWL_DB
NEWSCRAWL_WARC_MAX_SIZE = 1_000_000_000
NEWSCRAWL_WARC_GZIP_LEVEL = 6
NEWSCRAWL_WARC_PREFIX = "newscrawl"  # WARC file names: <prefix>-<time>-run<N>-<pid>-<n>.warc.gz
NEWSCRAWL_BATCH_SIZE = 100
NEWSCRAWL_EXTRACT_WORKERS = ""  # empty: one worker process per core; 0: in-process
NEWSCRAWL_EXTRACT_TIMEOUT = 120  # seconds a page may take in a worker; 0: no limit
NEWSCRAWL_MIN_WORDS = 40
NEWSCRAWL_INCREMENTAL = True
NEWSCRAWL_REFRESH_AGES = "1h,1d,7d"
NEWSCRAWL_CONDITIONAL_REQUESTS = True
NEWSCRAWL_PROGRESS_INTERVAL = 30.0
NEWSCRAWL_MAX_CRAWL_DELAY = 60.0
NEWSCRAWL_MAX_RETRY_AFTER = 60.0
NEWSCRAWL_RETRY_BACKOFF = 2.0
NEWSCRAWL_THROTTLED_MIN_DELAY = 1.0
NEWSCRAWL_REDIS_URL = ""
NEWSCRAWL_REDIS_PREFIX = ""  # empty: the spider name (news)
NEWSCRAWL_REDIS_WORKER_TTL = 30.0
NEWSCRAWL_REDIS_HOLD_POLL = 1.0
