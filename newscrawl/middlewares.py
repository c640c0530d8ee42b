"""Downloader middlewares."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.http import Request

logger = logging.getLogger(__name__)


class RobotsTxtCrawlDelayMiddleware(RobotsTxtMiddleware):
    """Scrapy's robots.txt middleware, plus the ``Crawl-delay`` line.

    Scrapy obeys ``Allow``/``Disallow`` but ignores ``Crawl-delay``. Here the delay a
    site asks of our User-Agent becomes the minimum delay of the download slot the
    request goes through (per source), without jitter, and AutoThrottle is told not to
    lower it. ``NEWSCRAWL_MAX_CRAWL_DELAY`` caps absurd values.
    """

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        self.max_delay = crawler.settings.getfloat("NEWSCRAWL_MAX_CRAWL_DELAY", 60.0)
        self._applied: dict[str, float] = {}

    def process_request_2(self, rp: Any, request: Request) -> None:
        super().process_request_2(rp, request)
        if rp is None or not hasattr(rp, "crawl_delay"):
            return
        useragent = self._robotstxt_useragent or request.headers.get(
            b"User-Agent", self._default_useragent
        )
        delay = rp.crawl_delay(useragent)
        if not delay:
            return
        if delay > self.max_delay:
            logger.warning(
                "robots.txt asks for Crawl-delay %s s; capped at %s s", delay, self.max_delay
            )
            delay = self.max_delay
        request.meta["autothrottle_dont_adjust_delay"] = True
        downloader = self.crawler.engine.downloader
        key = downloader.get_slot_key(request)
        if self._applied.get(key) == delay:
            return
        self._applied[key] = delay
        slot_settings = downloader.per_slot_settings.setdefault(key, {})
        slot_settings["delay"] = max(float(slot_settings.get("delay", 0)), delay)
        slot_settings["jitter"] = 0.0
        slot = downloader.slots.get(key)
        if slot is not None:
            slot.delay = max(slot.delay, delay)
            slot.jitter = 0.0
        self.crawler.stats.set_value(f"newscrawl/crawl_delay/{key}", delay)
