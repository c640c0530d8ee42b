"""Scrapy's downloader, with per-slot concurrency that holds when a slot has no delay."""

from __future__ import annotations

from time import monotonic
from typing import TYPE_CHECKING

from scrapy.core.downloader import Downloader as ScrapyDownloader
from scrapy.utils.asyncio import call_later
from scrapy.utils.defer import _schedule_coro

if TYPE_CHECKING:
    from scrapy.core.downloader import Slot


class Downloader(ScrapyDownloader):
    """Scrapy 2.19's ``Downloader`` with one fix in ``_process_queue``.

    Scrapy starts each download as an asyncio task and only counts the request as
    transferring once the task runs. Its loop "while the slot has free transfer slots,
    start the next queued request" therefore started every queued request at once when
    the slot has no delay (with a delay it starts one and waits): a source with
    ``download_delay: 0`` and ``concurrency: 2`` had every queued article in flight
    together (up to ``CONCURRENT_REQUESTS``). Here a request counts as transferring as
    soon as it is started; ``_download`` adds it again (a set) and removes it when done.
    """

    def _process_queue(self, slot: Slot) -> None:
        if slot.latercall:
            return  # block processing until slot.latercall is called
        now = monotonic()
        delay = slot.download_delay()
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
