"""Scrapy's downloader, with per-slot concurrency that holds when a slot has no delay,
slots a publisher can put on hold (``Retry-After``) or close for a while, and slots
slowed down for the rest of a run after a 429 / 503."""

from __future__ import annotations

from collections.abc import Callable
from time import monotonic
from typing import TYPE_CHECKING

from scrapy.core.downloader import Downloader as ScrapyDownloader
from scrapy.utils.asyncio import call_later
from scrapy.utils.defer import _schedule_coro
from twisted.python.failure import Failure

if TYPE_CHECKING:
    from scrapy.core.downloader import Slot
    from scrapy.crawler import Crawler
    from scrapy.http import Request


class Downloader(ScrapyDownloader):
    """Scrapy 2.19's ``Downloader`` with one fix in ``_process_queue`` and slot holds.

    Scrapy starts each download as an asyncio task and only counts the request as
    transferring once the task runs. Its loop "while the slot has free transfer slots,
    start the next queued request" therefore started every queued request at once when
    the slot has no delay (with a delay it starts one and waits): a source with
    ``download_delay: 0`` and ``concurrency: 2`` had every queued article in flight
    together (up to ``CONCURRENT_REQUESTS``). Here a request counts as transferring as
    soon as it is started; ``_download`` adds it again (a set) and removes it when done.

    :meth:`hold` keeps a slot from starting any request until a time (a publisher's
    ``Retry-After``, see :mod:`newscrawl.retry_after`); :meth:`refuse` fails the
    slot's requests without sending them until a time (a publisher that asked for a
    longer wait than the crawl will make). Both are keyed by slot name, so they outlive
    Scrapy's garbage collection of idle slots. :meth:`slow_down` gives a slot a least
    delay between requests for the rest of the run.
    """

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        self.held_until: dict[str, float] = {}
        self.refused_until: dict[str, tuple[float, Callable[[Request], Exception]]] = {}
        # slot → the least delay between its requests for the rest of the run (a
        # publisher that answered 429 / 503; AutoThrottle alone would undo a longer
        # delay within a few quick answers and return to the pace that was refused).
        self.delay_floor: dict[str, float] = {}

    def hold(self, key: str, seconds: float) -> None:
        """Start no request of slot ``key`` for ``seconds`` from now (a later hold wins)."""
        until = monotonic() + seconds
        if until > self.held_until.get(key, 0.0):
            self.held_until[key] = until

    def refuse(self, key: str, seconds: float, error: Callable[[Request], Exception]) -> None:
        """Fail every request of slot ``key`` with ``error(request)``, unsent, for
        ``seconds`` from now."""
        self.refused_until[key] = (monotonic() + seconds, error)

    def refusing(self, key: str) -> bool:
        """Whether slot ``key``'s requests are failed unsent now (:meth:`refuse`)."""
        refused = self.refused_until.get(key)
        return refused is not None and refused[0] > monotonic()

    def slow_down(self, key: str, *, minimum: float, maximum: float) -> float:
        """Double slot ``key``'s least delay (at least ``minimum``, at most ``maximum``)
        for the rest of the run; returns the new delay."""
        slot = self.slots.get(key)
        current = max(self.delay_floor.get(key, 0.0), slot.delay if slot else 0.0)
        self.delay_floor[key] = min(max(current * 2, minimum), maximum)
        return self.delay_floor[key]

    def needs_backout(self) -> bool:
        # Requests waiting in a held slot are not in flight: counting them against
        # CONCURRENT_REQUESTS let one publisher that asked us to wait fill the
        # downloader and stop every other publisher's requests for as long.
        if not self.held_until:
            return super().needs_backout()
        now = monotonic()
        waiting = sum(
            len(slot.queue)
            for key, slot in self.slots.items()
            if self.held_until.get(key, 0.0) > now
        )
        return 0 < self.total_concurrency <= len(self.active) - waiting

    def _process_queue(self, slot: Slot) -> None:
        if slot.latercall:
            return  # block processing until slot.latercall is called
        now = monotonic()
        # _enqueue_request puts the slot's name in every queued request's meta.
        key = slot.queue[0][0].meta.get(self.DOWNLOAD_SLOT) if slot.queue else None
        if key is not None and self._refused(key, slot, now):
            return
        held = self.held_until.get(key, 0.0) - now if key is not None else 0.0
        if held > 0:
            slot.latercall = call_later(held, self._latercall, slot)
            return
        delay = max(slot.download_delay(), self.delay_floor.get(key, 0.0) if key else 0.0)
        if delay:
            penalty = delay - now + slot.lastseen
            if penalty > 0:
                slot.latercall = call_later(penalty, self._latercall, slot)
                return
        while slot.queue and slot.free_transfer_slots() > 0:
            slot.lastseen = now
            request, queue_dfd = slot.queue.popleft()
            slot.transferring.add(request)  # the fix: counted before the task runs
            _schedule_coro(self._wait_for_download(slot, request, queue_dfd))
            if delay:  # prevent a burst when inter-request delays are configured
                self._process_queue(slot)
                break

    def _refused(self, key: str, slot: Slot, now: float) -> bool:
        """Fail the slot's queued requests if it is refused now; True if it was."""
        refused = self.refused_until.get(key)
        if refused is None or refused[0] <= now:
            return False
        error = refused[1]
        while slot.queue:
            request, queue_dfd = slot.queue.popleft()
            queue_dfd.errback(Failure(error(request)))
        return True
