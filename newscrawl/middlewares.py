"""Downloader middlewares."""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING, Any

from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware
from scrapy.utils.httpobj import urlparse_cached
from twisted.internet.defer import Deferred

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.http import Request

logger = logging.getLogger(__name__)


class RobotsTxtCrawlDelayMiddleware(RobotsTxtMiddleware):
    """Scrapy's robots.txt middleware, plus the ``Crawl-delay`` line, and robots.txt
    for every request that waited for it.

    Scrapy 2.19 lets every request to a host whose robots.txt is still downloading
    await one shared Deferred; under the asyncio reactor each await turns it into a
    Future whose callback returns None, so only the first waiting request gets the
    parser and the others are downloaded unchecked (e.g. ``-a urls=`` with several
    disallowed URLs on one host, or a Redis worker taking several requests for a new
    host at once). Here a request that got None looks up the parsed robots.txt again.

    A robots.txt answered with a server error (5xx) disallows the whole host for the run
    (RFC 9309), where Scrapy would allow everything.

    Scrapy obeys ``Allow``/``Disallow`` but ignores ``Crawl-delay``. Here the delay a
    site asks of our User-Agent becomes the minimum delay of the download slot the
    request goes through (per source), without jitter, and AutoThrottle is told not to
    lower it. ``NEWSCRAWL_MAX_CRAWL_DELAY`` caps absurd values.

    The robots.txt group that applies is chosen by our product token, the User-Agent's
    first word (``newscrawl``), as RFC 9309 2.2.1 says, unless ``ROBOTSTXT_USER_AGENT``
    names one. Scrapy matched the whole User-Agent header, so a group for another robot
    named by a word of its comment ("research archive of entertainment news", the
    operator's contact address) was taken for ours.
    """

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        self.max_delay = crawler.settings.getfloat("NEWSCRAWL_MAX_CRAWL_DELAY", 60.0)
        self._applied: dict[str, float] = {}
        if not self._robotstxt_useragent:
            token = re.match(r"[A-Za-z0-9_-]+", (self._default_useragent or "").strip())
            if token:
                self._robotstxt_useragent = token.group(0)

    async def robot_parser(self, request: Request) -> Any:
        parser = await super().robot_parser(request)
        if parser is None:
            # Once parsed, the parser replaces the Deferred in _parsers (None if the
            # download failed, which allows everything, as in Scrapy).
            cached = self._parsers.get(urlparse_cached(request).netloc)
            if cached is not None and not isinstance(cached, Deferred):
                return cached
        return parser

    async def _parse_robots(self, response: Any, netloc: str, request: Request) -> None:
        if response.status >= 500:
            # RFC 9309 2.3.1.4: a robots.txt the server fails to give (5xx, after the
            # retries) means "assume complete disallow" for now, not "allow all" (Scrapy's
            # default). The pages become robots drops, tried again on the next run.
            logger.warning(
                "robots.txt of %s answered %s: nothing is fetched from it this run",
                netloc,
                response.status,
            )
            response = response.replace(body=b"User-agent: *\nDisallow: /\n")
        await super()._parse_robots(response, netloc, request)

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
        asked = delay
        delay = min(delay, self.max_delay)
        request.meta["autothrottle_dont_adjust_delay"] = True
        downloader = self.crawler.engine.downloader
        key = downloader.get_slot_key(request)
        if self._applied.get(key) == delay:
            return
        if asked > delay:
            # Once per site, when the delay is applied (not with every request).
            logger.warning(
                "robots.txt asks for Crawl-delay %s s; capped at %s s", asked, self.max_delay
            )
        self._applied[key] = delay
        slot_settings = downloader.per_slot_settings.setdefault(key, {})
        slot_settings["delay"] = max(float(slot_settings.get("delay", 0)), delay)
        slot_settings["jitter"] = 0.0
        slot = downloader.slots.get(key)
        if slot is not None:
            slot.delay = max(slot.delay, delay)
            slot.jitter = 0.0
        self.crawler.stats.set_value(f"newscrawl/crawl_delay/{key}", delay)
