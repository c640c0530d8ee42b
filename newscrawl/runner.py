"""Run a crawl from Python (the ``newscrawl`` commands use this; operators use
``scrapy crawl news``). Scrapy's reactor runs once per process, so one call per process."""

from __future__ import annotations

import logging
import os
import sys
from typing import Any

from newscrawl.errors import NewscrawlError


def project_settings(overrides: dict[str, Any] | None = None) -> Any:
    """The project's Scrapy settings with ``overrides`` at command-line priority."""
    os.environ.setdefault("SCRAPY_SETTINGS_MODULE", "newscrawl.settings")
    from scrapy.utils.project import get_project_settings

    settings = get_project_settings()
    for name, value in (overrides or {}).items():
        settings.set(name, value, priority="cmdline")
    return settings


def show_progress(stream: Any = None) -> None:
    """Print the ledger's progress lines even when Scrapy's log level hides INFO."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(logging.Formatter("  %(message)s"))
    ledger_logger = logging.getLogger("newscrawl.ledger")
    ledger_logger.setLevel(logging.INFO)
    ledger_logger.addHandler(handler)


def run_crawl(
    spider: str = "news", *, settings: dict[str, Any] | None = None, **spider_args: Any
) -> dict:
    """Run ``spider`` to completion in this process; returns the final crawl stats.

    Configuration errors are raised as :class:`NewscrawlError` before anything starts.
    """
    from scrapy.crawler import CrawlerProcess

    project = project_settings(settings)
    process = CrawlerProcess(project)
    spider_class = process.spider_loader.load(spider)
    if hasattr(spider_class, "configure"):
        spider_class(**spider_args).configure(project)
    if not project.get("NEWSCRAWL_REDIS_URL"):
        from newscrawl.session import check_archive_writable

        # As `scrapy crawl` does: a file that is no archive, or one that cannot be
        # written, is one line before the crawl starts, not tracebacks from its engine.
        check_archive_writable(project)
    crawler = process.create_crawler(spider)
    stop_when_running(crawler)
    process.crawl(crawler, **spider_args)
    process.start()
    stats = crawler.stats.get_stats() if crawler.stats else {}
    if not stats.get("finish_reason"):
        raise NewscrawlError(f"the {spider} crawl did not finish; see the log above")
    if stats.get("newscrawl/archive_error"):  # stopped: the archive refused writes
        raise NewscrawlError(stats["newscrawl/archive_error"])
    if "error" in str(stats["finish_reason"]):  # e.g. start_error: start() raised
        raise NewscrawlError(
            f"the {spider} run stopped early ({stats['finish_reason']}); see the log above"
        )
    return stats


def stop_when_running(crawler: Any) -> None:
    """Make a graceful stop (Ctrl-C, SIGTERM, Scrapyd's cancel.json) that comes while the
    spider is being opened wait for the engine to run, then stop it.

    Scrapy 2.19's ``Crawler.stop_async()`` stops only a running engine: a signal during
    the opening (the archive's run row is written, the extraction workers start: about
    a second) stopped the reactor with the spider never closed, so the process exited 0
    leaving its ``crawl_runs`` row unfinished (no finish reason, no counts: "crashed or
    still running") and its JOBDIR not written back."""
    from scrapy.utils.asyncio import sleep

    stop = crawler.stop_async

    async def stop_async() -> None:
        engine = crawler._engine
        while (
            crawler.crawling
            and engine is not None
            and engine.spider is not None
            and not engine.running
        ):
            await sleep(0.05)
        await stop()

    crawler.stop_async = stop_async
