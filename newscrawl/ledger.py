"""The coverage ledger: every rejected page becomes a ``drops`` row, every crawl a
``crawl_runs`` row with its funnel counts, and progress is logged while it runs."""

from __future__ import annotations

import logging
import os
from typing import TYPE_CHECKING, Any

from scrapy import signals
from scrapy.logformatter import LogFormatter
from twisted.internet import task

from newscrawl.session import CrawlSession
from newscrawl.store import Drop

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)


class CoverageLedger:
    """Records drops from the pipelines and the run's start, progress and end."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.interval = crawler.settings.getfloat("NEWSCRAWL_PROGRESS_INTERVAL", 30.0)
        self._progress: task.LoopingCall | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CoverageLedger:
        ledger = cls(crawler)
        crawler.signals.connect(ledger.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ledger.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(ledger.item_dropped, signal=signals.item_dropped)
        crawler.signals.connect(ledger.item_error, signal=signals.item_error)
        return ledger

    @property
    def session(self) -> CrawlSession:
        return CrawlSession.of(self.crawler)

    def spider_opened(self, spider: Any) -> None:
        self.session.open()
        if self.interval > 0:
            self._progress = task.LoopingCall(self.log_progress)
            self._progress.start(self.interval, now=False)

    def log_progress(self) -> None:
        counts = self.session.summary()
        logger.info(
            "Progress: %d discovered, %d requested, %d fetched, %d skipped, %d archived (%d new), %d dropped",
            counts.get("discovered", 0),
            counts.get("requested", 0),
            counts.get("fetched", 0),
            counts.get("skipped", 0),
            counts.get("archived", 0),
            counts.get("articles_new", 0),
            counts.get("dropped", 0),
        )

    def item_dropped(self, item: Any, response: Any, exception: BaseException, spider: Any) -> None:
        url = getattr(item, "url", None) or getattr(exception, "url", None) or "?"
        self.session.drop(
            Drop(
                url=getattr(item, "request_url", None) or url,
                source_id=getattr(item, "source_id", None),
                stage=getattr(exception, "stage", "pipeline"),
                reason=getattr(exception, "reason", "dropped"),
                detail=getattr(exception, "detail", None) or str(exception),
            )
        )

    def item_error(self, item: Any, response: Any, spider: Any, failure: Any) -> None:
        # A bug or an unexpected input in a pipeline step: the page is still accounted for.
        error = failure.value
        self.session.drop(
            Drop(
                url=getattr(item, "request_url", None) or getattr(item, "url", None) or "?",
                source_id=getattr(item, "source_id", None),
                stage="pipeline",
                reason="error",
                detail=f"{type(error).__name__}: {error}",
            )
        )

    def spider_closed(self, spider: Any, reason: str) -> None:
        if self._progress is not None and self._progress.running:
            self._progress.stop()
        self.log_progress()
        self.session.close(reason)


class QuietLogFormatter(LogFormatter):
    """Log items by URL only: the default formatter would print whole page bodies."""

    def scraped(self, item: Any, response: Any, spider: Any) -> dict:
        return {
            "level": logging.DEBUG,
            "msg": "Archived %(url)s",
            "args": {"url": getattr(item, "url", "?")},
        }

    def dropped(self, item: Any, exception: BaseException, response: Any, spider: Any) -> dict:
        level = getattr(exception, "log_level", None) or "INFO"
        return {
            "level": logging.getLevelName(level) if isinstance(level, str) else level,
            "msg": "Dropped %(exception)s",
            "args": {"exception": exception},
        }

    def item_error(self, item: Any, exception: BaseException, response: Any, spider: Any) -> dict:
        return {
            "level": logging.ERROR,
            "msg": "Error processing %(url)s" + os.linesep,
            "args": {"url": getattr(item, "url", "?")},
        }
