"""The ``reextract`` spider: replay archived WARC responses through the pipelines.

No network: ``start()`` reads the raw archive oldest record first and yields each
response as a :class:`~newscrawl.items.Page` item, which goes through the same extract
→ tag → dedupe → store steps as a crawl (the WARC step sees the page is already
archived). The store runs in replay mode, so re-extraction is idempotent: a record the
archive already holds updates that version in place, and a rebuilt database gets the
same articles and revisions as the crawls that wrote the WARC files.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import scrapy
from scrapy import signals

from newscrawl.artists import load_watchlist
from newscrawl.errors import ConfigError
from newscrawl.spiders.news import packaged_config
from newscrawl.warc import read_pages, warc_dir_for

# Pages in the pipelines at once: start() yields items without Scrapy's backpressure.
MAX_IN_FLIGHT = 32


class ReextractSpider(scrapy.Spider):
    """Rebuild archive rows from the raw WARC archive."""

    name = "reextract"
    # Tells the store to treat records as replays (see Archive.write_batch).
    replay = True

    def __init__(self, *args: Any, warc_dir: str | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.warc_dir_arg = warc_dir
        self.run_args = {"warc_dir": warc_dir} if warc_dir else {}
        self.sources: list = []
        self.in_flight = 0
        self.replayed = 0

    @classmethod
    def from_crawler(cls, crawler: Any, *args: Any, **kwargs: Any) -> ReextractSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.configure(crawler.settings)
        for signal in (signals.item_scraped, signals.item_dropped, signals.item_error):
            crawler.signals.connect(spider._item_done, signal=signal)
        return spider

    def configure(self, settings: Any) -> None:
        """Find the WARC directory and load the watchlist (errors name the input)."""
        self.warc_dir = Path(self.warc_dir_arg) if self.warc_dir_arg else warc_dir_for(settings)
        if not self.warc_dir.is_dir():
            raise ConfigError("no such WARC directory", path=str(self.warc_dir))
        self.watchlist = load_watchlist(
            settings.get("NEWSCRAWL_ARTISTS") or packaged_config("artists.yml")
        )

    def _item_done(self, *args: Any, **kwargs: Any) -> None:
        self.in_flight -= 1

    async def start(self) -> AsyncIterator[Any]:
        for page in read_pages(self.warc_dir):
            while self.in_flight >= MAX_IN_FLIGHT:
                await asyncio.sleep(0.02)
            self.in_flight += 1
            self.replayed += 1
            self.crawler.stats.inc_value("newscrawl/replayed")
            yield page
