"""The ``reextract`` spider: replay archived WARC responses through the pipelines.

No network: ``start()`` reads the raw archive oldest record first and yields each
response as a :class:`~newscrawl.items.Page` item, which goes through the same extract
→ tag → dedupe → store steps as a crawl (the WARC step sees the page is already
archived). The store runs in replay mode, so re-extraction is idempotent: a record the
archive already holds updates that version in place, and a rebuilt database gets the
same articles and revisions as the crawls that wrote the WARC files. A 304 answer
(a revisit record) is replayed in its place too, so the article's last fetch moves
forward as it did in the crawl; no extraction, nothing new.
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
from newscrawl.packaged import packaged_config
from newscrawl.sources import load_sources
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
        self.urls_in_flight: dict[str, int] = {}
        self.replayed = 0
        self.damaged: list[str] = []

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
        # Names for the publishers of a rebuilt archive (the store would otherwise add
        # each as a bare id); rows an archive already has are left alone (the session
        # adds missing ones only when replaying).
        self.sources = load_sources(
            settings.get("NEWSCRAWL_SOURCES") or packaged_config("sources.yml")
        )

    def _item_done(self, item: Any = None, *args: Any, **kwargs: Any) -> None:
        self.in_flight -= 1
        url = getattr(item, "url", None)
        if url in self.urls_in_flight:
            self.urls_in_flight[url] -= 1
            if not self.urls_in_flight[url]:
                del self.urls_in_flight[url]

    def _damaged(self, message: str) -> None:
        self.logger.warning("Damaged WARC data: %s", message)
        self.crawler.stats.inc_value("newscrawl/warc_damaged")
        self.damaged.append(message)

    async def start(self) -> AsyncIterator[Any]:
        current_file = None
        for page in read_pages(self.warc_dir, on_damage=self._damaged, revisits=True):
            # Pages run through the pipelines side by side and finish in any order; two
            # fetches of one article must reach the store oldest first (a newer version
            # stored first would make the older one "stale" and lose a revision). Within
            # a file, fetches of one URL wait for each other. Fetches of one article
            # under two URLs (its AMP page in one run, its own URL in the next) share
            # only a canonical URL, known after extraction: each file's pages are
            # stored before the next file's start, and a file is one crawl's (files
            # are read in time order).
            if page.warc_file != current_file:
                while self.in_flight:
                    await asyncio.sleep(0.005)
                current_file = page.warc_file
            while self.in_flight >= MAX_IN_FLIGHT or page.url in self.urls_in_flight:
                await asyncio.sleep(0.005)
            self.in_flight += 1
            self.urls_in_flight[page.url] = self.urls_in_flight.get(page.url, 0) + 1
            self.replayed += 1
            self.crawler.stats.inc_value("newscrawl/replayed")
            yield page
        # Scrapy checks whether the spider is idle when start() ends, and afterwards only
        # on its 5-second heartbeat (items from start() wake nothing when they finish):
        # ending while the last pages are still in the pipelines kept every reextract
        # waiting up to 5 s with nothing to do.
        while self.in_flight:
            await asyncio.sleep(0.005)
