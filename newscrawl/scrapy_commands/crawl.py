"""``scrapy crawl`` with one-line errors for bad configuration and unwritable archives.

A malformed sources.yml or artists.yml, or a bad ``-a`` argument, is an operator's
mistake, not a bug: it is printed as one line naming file, entry and field, with exit
code 1, instead of a traceback from inside the crawler. So is an archive (or WARC
folder) that cannot be written, checked before the first request, a JOBDIR another
crawl is running with, and a crawl that stopped because its archive refused writes
halfway (a full disk).

With ``LOG_FILE`` (a cron job's log, a Scrapyd job's ``log_url``) the line also goes to
the log, which is where an operator looks afterwards: stderr alone left a log ending
at Scrapy's version banner, with no word of why nothing was crawled. The log's folder
is created when missing.

A graceful stop that comes while the spider opens waits for the engine to run, then
closes the run (:func:`newscrawl.runner.stop_when_running`).
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Any

from scrapy.commands.crawl import Command as ScrapyCrawlCommand

from newscrawl.errors import NewscrawlError
from newscrawl.jobdir import check_job_dir
from newscrawl.runner import stop_when_running
from newscrawl.session import check_writable

logger = logging.getLogger(__name__)


class Command(ScrapyCrawlCommand):
    crawler = None

    def _create_crawler(self, spidercls: Any) -> Any:
        self.crawler = super()._create_crawler(spidercls)
        stop_when_running(self.crawler)
        return self.crawler

    def process_options(self, args: list[str], opts: Any) -> None:
        super().process_options(args, opts)
        # Scrapy opens LOG_FILE before any command code runs: a folder that is not there
        # yet (the cron recipe's logs/ on its first run) was a FileNotFoundError traceback.
        # Its folder is created, as NEWSCRAWL_DB's and JOBDIR's are.
        log_file = self.settings.get("LOG_FILE")
        if log_file:
            folder = Path(log_file).parent
            try:
                folder.mkdir(parents=True, exist_ok=True)
            except OSError as error:
                print(
                    f"Error: LOG_FILE {log_file}: cannot create its folder {folder}: "
                    f"{error.strerror or error}",
                    file=sys.stderr,
                )
                sys.exit(1)

    def run(self, args: list[str], opts: Any) -> None:
        spider_class = None
        if args:
            try:
                spider_class = self.crawler_process.spider_loader.load(args[0])
            except KeyError:
                spider_class = None  # Scrapy reports the unknown spider itself
        if spider_class is not None and hasattr(spider_class, "configure"):
            try:
                spider_class(**opts.spargs).configure(self.settings)
                check_writable(self.settings)
                check_job_dir(self.settings)
            except NewscrawlError as error:
                print(f"Error: {error}", file=sys.stderr)
                if self.settings.get("LOG_FILE"):
                    # Without LOG_FILE Scrapy logs to stderr: the line would show twice.
                    logger.error("%s", error)
                self.exitcode = 1
                return
        super().run(args, opts)
        # A crawl stopped because its archive refused writes (a full disk) failed.
        session = getattr(self.crawler, "_newscrawl_session", None)
        if session is not None and session.error:
            print(f"Error: {session.error}", file=sys.stderr)
            self.exitcode = 1
