"""Downloader middlewares."""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING, Any

from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Request, Response
from scrapy.http.request import NO_CALLBACK
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils.httpobj import urlparse_cached
from scrapy.utils.misc import build_from_crawler
from twisted.internet.defer import Deferred

from newscrawl.discovery import is_robots_txt
from newscrawl.retry_after import PublisherThrottled

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)

DISALLOW_ALL = b"User-agent: *\nDisallow: /\n"
UNREADABLE_ROBOTS = "Forbidden by robots.txt: it could not be read"
"""How the ``detail`` of a ``robots`` drop starts when the host's robots.txt could not
be read (the page itself may be allowed: a later run tries again)."""


class RobotsTxtCrawlDelayMiddleware(RobotsTxtMiddleware):
    """Scrapy's robots.txt middleware, plus the ``Crawl-delay`` line, and robots.txt
    for every request that waited for it.

    Scrapy 2.19 lets every request to a host whose robots.txt is still downloading
    await one shared Deferred; under the asyncio reactor each await turns it into a
    Future whose callback returns None, so only the first waiting request gets the
    parser and the others are downloaded unchecked (e.g. ``-a urls=`` with several
    disallowed URLs on one host, or a Redis worker taking several requests for a new
    host at once). Here a request that got None looks up the parsed robots.txt again.

    A robots.txt the crawl cannot get disallows the whole host for the run (RFC 9309
    2.3.1.4, "unreachable"), where Scrapy would allow everything: a server error (5xx),
    429 Too Many Requests (as Google does: the host asked us to slow down, not "there
    is no robots.txt"), and, by extension, a timeout or a connection failure, which
    Scrapy also logged as an ERROR with a traceback. The pages become ``robots`` drops
    that say why, fetched again by the next run.

    Scrapy obeys ``Allow``/``Disallow`` but ignores ``Crawl-delay``. Here the delay a
    site asks of our User-Agent becomes the minimum delay of the download slot the
    request goes through (per source), without jitter, and AutoThrottle is told not to
    lower it. ``NEWSCRAWL_MAX_CRAWL_DELAY`` caps absurd values.

    The robots.txt group that applies is chosen by our product token, the User-Agent's
    first word (``newscrawl``), as RFC 9309 2.2.1 says, unless ``ROBOTSTXT_USER_AGENT``
    names one. Scrapy matched the whole User-Agent header, so a group for another robot
    named by a word of its comment ("research archive of entertainment news", the
    operator's contact address) was taken for ours.

    A spider's own request for a host's robots.txt (a source whose ``sitemaps`` name it,
    for its ``Sitemap:`` lines) is answered with the copy fetched to obey it: the
    publisher is asked for its robots.txt once per crawl, not twice.
    """

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        self.max_delay = crawler.settings.getfloat("NEWSCRAWL_MAX_CRAWL_DELAY", 60.0)
        self._applied: dict[str, float] = {}
        # netloc -> why its robots.txt could not be read (everything is disallowed)
        self._why_disallowed: dict[str, str] = {}
        # netloc -> its robots.txt response, for the spider's own request for it
        self._robots_responses: dict[str, Response] = {}
        if not self._robotstxt_useragent:
            token = re.match(r"[A-Za-z0-9_-]+", (self._default_useragent or "").strip())
            if token:
                self._robotstxt_useragent = token.group(0)

    async def process_request(self, request: Request) -> Response | None:
        if request.meta.get("dont_obey_robotstxt") or not is_robots_txt(request.url):
            return await super().process_request(request)
        netloc = urlparse_cached(request).netloc
        await self.robot_parser(request)
        response = self._robots_responses.get(netloc)
        if response is None or netloc in self._why_disallowed:
            # Not read (unreachable: the host is disallowed, and the request says why).
            return await super().process_request(request)
        self._stats.inc_value("newscrawl/robots_txt_reused")
        return response.replace(request=request)

    async def robot_parser(self, request: Request) -> Any:
        # Scrapy 2.19's robot_parser, but a failed download goes to _robots_error without
        # Scrapy's ERROR log with a traceback (a robots.txt that times out is the
        # publisher's problem, reported as a warning there).
        netloc = urlparse_cached(request).netloc
        if netloc not in self._parsers:
            self._parsers[netloc] = Deferred()
            meta: dict[str, Any] = {"dont_obey_robotstxt": True}
            slot = request.meta.get("download_slot")
            refusing = getattr(self.crawler.engine.downloader, "refusing", None)
            if slot is not None and not (refusing and refusing(slot)):
                # The publisher's own slot: a 429 / 503 to robots.txt holds and slows down
                # the slot its pages go through (newscrawl/retry_after.py), not a slot
                # named by the host that none of them uses. (Not while that slot refuses
                # requests: robots.txt, refused unsent, would disallow the host for the
                # whole run, past the wait; it goes through the host's slot then.)
                meta["download_slot"] = slot
                # A pace the operator set stays set: AutoThrottle, adjusting the slot on
                # robots.txt's answer, raised a `download_delay: 0` source to its 1 s
                # start delay (the demo crawl took 65 s instead of 8).
                if request.meta.get("autothrottle_dont_adjust_delay"):
                    meta["autothrottle_dont_adjust_delay"] = True
            robots_request = Request(
                f"{urlparse_cached(request).scheme}://{netloc}/robots.txt",
                priority=self.DOWNLOAD_PRIORITY,
                meta=meta,
                callback=NO_CALLBACK,
            )
            try:
                response = await self.crawler.engine.download_async(robots_request)
                await self._parse_robots(response, netloc, request)
            except Exception as error:  # noqa: BLE001 - every failure decides the host
                self._robots_error(error, netloc)
            self._stats.inc_value("robotstxt/request_count")
        parser = self._parsers[netloc]
        if isinstance(parser, Deferred):
            parser = await maybe_deferred_to_future(parser)
        if parser is None:
            # Once parsed, the parser replaces the Deferred in _parsers; a request that
            # awaited the shared Deferred may have got None (see the class docstring).
            cached = self._parsers.get(netloc)
            if cached is not None and not isinstance(cached, Deferred):
                return cached
        return parser

    async def _parse_robots(self, response: Any, netloc: str, request: Request) -> None:
        self._robots_responses[netloc] = response
        if response.status >= 500 or response.status == 429:
            # RFC 9309 2.3.1.4: a robots.txt the server fails to give (5xx, after the
            # retries) means "assume complete disallow" for now, not "allow all" (Scrapy's
            # default). The pages become robots drops, tried again on the next run.
            self._unreachable(netloc, f"HTTP {response.status}")
            response = response.replace(body=DISALLOW_ALL)
        await super()._parse_robots(response, netloc, request)

    def _robots_error(self, exc: Exception, netloc: str) -> None:
        if isinstance(exc, IgnoreRequest) and not isinstance(exc, PublisherThrottled):
            # Refused by a middleware before it was sent (Scrapy: allow everything).
            super()._robots_error(exc, netloc)
            return
        self._stats.inc_value(f"robotstxt/exception_count/{type(exc)}")
        self._unreachable(netloc, f"{type(exc).__name__}: {exc}".rstrip(": "))
        waiting = self._parsers[netloc]
        parser = build_from_crawler(self._parserimpl, self.crawler, DISALLOW_ALL)
        self._parsers[netloc] = parser
        if isinstance(waiting, Deferred):
            waiting.callback(parser)

    def _unreachable(self, netloc: str, why: str) -> None:
        self._why_disallowed[netloc] = why
        logger.warning(
            "robots.txt of %s could not be read (%s): nothing is fetched from it this run",
            netloc,
            why,
        )

    def process_request_2(self, rp: Any, request: Request) -> None:
        try:
            super().process_request_2(rp, request)
        except IgnoreRequest:
            why = self._why_disallowed.get(urlparse_cached(request).netloc)
            if why is None:
                raise
            raise IgnoreRequest(
                f"{UNREADABLE_ROBOTS} ({why}), so nothing is"
                " fetched from this host this run (RFC 9309)"
            ) from None
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
