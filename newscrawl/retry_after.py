"""A publisher that answers 429 Too Many Requests or 503 Service Unavailable is asked
no more until it is ready: ``Retry-After`` (or a back-off) holds its download slot.

Scrapy 2.19's RetryMiddleware retries such a response at once, ignoring ``Retry-After``
(scrapy/scrapy#3849): with ``RETRY_TIMES = 2`` a server that asked us to wait got two
more requests within milliseconds, and the slot's other requests went on. Here:

* ``Retry-After`` (seconds, or an HTTP date) holds the whole download slot (every
  source on that host) for that long: no request to it starts until then, the retry
  included. Requests of other slots go on.
* Without ``Retry-After``, the slot is held ``NEWSCRAWL_RETRY_BACKOFF`` seconds,
  doubled with each retry of the same request.
* After the wait the slot does not go back to the pace that was refused: after a 429,
  or a 503 whose ``Retry-After`` asks for a wait, its delay between requests is at least
  ``NEWSCRAWL_THROTTLED_MIN_DELAY`` (1 s), doubled with each further one, up to
  ``NEWSCRAWL_MAX_CRAWL_DELAY``, for the rest of the run; the next request waits at
  least that long after the refusal itself.
* A wait longer than ``NEWSCRAWL_MAX_RETRY_AFTER`` is not made: the page is given up
  for this run (a ``fetch`` / ``throttled`` drop, tried again on the next run), and
  the slot's requests until the time the publisher asked for are dropped the same way,
  unsent, so the crawl neither stalls nor hammers a publisher that said "not now".

The slot is held from the ``response_downloaded`` signal, which Scrapy sends before the
finished download frees its place in the slot: holding it later, from
``process_response``, let the slot's next queued request start first.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any

from scrapy import signals
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.exceptions import IgnoreRequest

from newscrawl.summary import describe_throttling, throttling

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.http import Request, Response

logger = logging.getLogger(__name__)

THROTTLE_STATUSES = frozenset({429, 503})
"""Statuses whose ``Retry-After`` says when to come back (RFC 6585, RFC 9110 10.2.3)."""
_WAIT = "newscrawl_throttle_wait"  # request.meta: the hold decided for its response

publisher_throttled = object()
"""Signal sent when a publisher's answer holds (or closes) a download slot, with
``slot``, ``seconds``, ``refuse`` (a wait beyond the cap), ``reason`` and ``delay`` (the
slot's least delay from now on, 0 for none). In Redis mode
:mod:`newscrawl.scale.holds` passes it on to the other workers."""


def parse_retry_after(value: str | bytes | None, *, now: datetime) -> float | None:
    """Seconds a ``Retry-After`` value asks to wait from ``now`` (0 for a date in the
    past), or None when there is none or it is neither a number nor an HTTP date."""
    if isinstance(value, bytes):
        value = value.decode("latin-1")
    text = (value or "").strip()
    if not text:
        return None
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:  # an HTTP date is in GMT (RFC 9110 5.6.7)
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())


class PublisherThrottled(IgnoreRequest):
    """A page given up for this run because its publisher asked for a longer wait than
    ``NEWSCRAWL_MAX_RETRY_AFTER``; the ledger records it as ``fetch`` / ``throttled``."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class RetryAfterMiddleware(RetryMiddleware):
    """Scrapy's RetryMiddleware that waits as a 429 / 503 answer asks (module docstring)."""

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler.settings)
        self.crawler = crawler
        self.max_wait = crawler.settings.getfloat("NEWSCRAWL_MAX_RETRY_AFTER", 60.0)
        self.backoff = crawler.settings.getfloat("NEWSCRAWL_RETRY_BACKOFF", 2.0)
        self.slowed_delay = crawler.settings.getfloat("NEWSCRAWL_THROTTLED_MIN_DELAY", 1.0)
        self.max_delay = crawler.settings.getfloat("NEWSCRAWL_MAX_CRAWL_DELAY", 60.0)
        self._warned: set[str] = set()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RetryAfterMiddleware:
        middleware = cls(crawler)
        crawler.signals.connect(middleware.response_downloaded, signal=signals.response_downloaded)
        crawler.signals.connect(middleware.spider_closed, signal=signals.spider_closed)
        return middleware

    def spider_closed(self, spider: Any) -> None:
        """One line naming every publisher that throttled this crawl (also in
        ``crawl_runs.stats`` and the crawl summary)."""
        throttled = throttling(self.crawler.stats.get_stats())
        if throttled:
            logger.warning(
                "Publishers asked this crawl to slow down (429/503): %s",
                describe_throttling(throttled),
            )

    def response_downloaded(self, response: Response, request: Request, spider: Any) -> None:
        """Hold (or close) the slot as the answer asks, before the slot sends its next
        request."""
        if response.status not in THROTTLE_STATUSES:
            return
        downloader = self.crawler.engine.downloader
        key = downloader.get_slot_key(request)
        asked = parse_retry_after(response.headers.get(b"Retry-After"), now=datetime.now(UTC))
        if asked is None:
            wait = min(self.backoff * 2 ** request.meta.get("retry_times", 0), self.max_wait)
            why = f"no Retry-After: back-off {wait:g} s"
        else:
            wait = asked
            why = f"Retry-After {asked:g} s"
        stats = self.crawler.stats
        stats.inc_value("newscrawl/throttled")
        stats.inc_value(f"newscrawl/throttled/{key}")
        delay = 0.0
        if self.slowed_delay > 0 and (response.status == 429 or (asked or 0) > 0):
            # Once the wait is over, the pace that was refused must not come back. A 503
            # that asks for no wait is more often a broken page or a restart than a rate
            # limit: it backs off (below) but does not slow the publisher down for good.
            delay = downloader.slow_down(key, minimum=self.slowed_delay, maximum=self.max_delay)
            stats.max_value(f"newscrawl/throttled_delay/{key}", delay)
            logger.info(
                "Download slot %s: at most one request every %g s for the rest of this run",
                key,
                delay,
            )
        if wait > self.max_wait:
            header = response.headers.get(b"Retry-After", b"").decode("latin-1")
            answer = (
                f"HTTP {response.status} with Retry-After: {header} ({wait:g} s), more than"
                f" NEWSCRAWL_MAX_RETRY_AFTER ({self.max_wait:g} s)"
            )
            logger.warning(
                "Download slot %s: %s answered %s; its requests are dropped (throttled)"
                " for that long and fetched again by the next run",
                key,
                request.url,
                answer,
            )
            unsent = f"not requested: {request.url} answered {answer}"
            downloader.refuse(key, wait, lambda _: PublisherThrottled(unsent))
            self._announce(key, wait, refuse=True, reason=answer, delay=delay)
            message = f"{answer}: given up for this run"
            request.meta[_WAIT] = PublisherThrottled(message, status=response.status)
            return
        # The slower pace counts from this answer: the slot paces a request from when
        # the one before it was sent, so a refused request that took its time to answer
        # let the next one out sooner than the new delay after the refusal.
        downloader.hold(key, max(wait, delay))
        if wait <= 0:
            if delay:
                # No wait, but a slower pace from now on: the other workers keep it too.
                self._announce(
                    key, 0.0, refuse=False, reason=f"HTTP {response.status} ({why})", delay=delay
                )
            return
        self._announce(
            key, wait, refuse=False, reason=f"HTTP {response.status} ({why})", delay=delay
        )
        stats.inc_value(f"newscrawl/throttle_wait/{key}", wait)
        level = logging.INFO if key in self._warned else logging.WARNING
        self._warned.add(key)
        logger.log(
            level,
            "Download slot %s: %s answered %s (%s): no request to it for %g s",
            key,
            request.url,
            response.status,
            why,
            wait,
        )
        request.meta[_WAIT] = wait

    def _announce(
        self, slot: str, seconds: float, *, refuse: bool, reason: str, delay: float
    ) -> None:
        self.crawler.signals.send_catch_log(
            publisher_throttled,
            slot=slot,
            seconds=seconds,
            refuse=refuse,
            reason=reason,
            delay=delay,
        )

    def process_response(self, request: Request, response: Response) -> Request | Response:
        decided = request.meta.pop(_WAIT, None)
        if isinstance(decided, PublisherThrottled):
            raise decided
        return super().process_response(request, response)
