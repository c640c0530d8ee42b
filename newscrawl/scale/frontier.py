"""The shared frontier of Redis mode: one request queue and one "seen" set for all workers.

Built on scrapy-redis 0.9.1: its ``Scheduler``, ``PriorityQueue`` (a sorted set at
``<prefix>:requests``) and ``RFPDupeFilter`` (a set of fingerprints at
``<prefix>:dupefilter``), kept across runs (``SCHEDULER_PERSIST``). Not its
``RedisSpider``, which relies on ``start_requests()`` (gone since Scrapy 2.16).

What this class adds, so that a worker killed at any moment loses nothing:

* taking a request from the queue also records it in the worker's in-flight hash
  (``<prefix>:inflight:<worker>``), in one Lua script: there is no moment when a
  request is in neither place;
* a request leaves the in-flight hash only once Scrapy is done with it: its callback
  or errback ran, the requests it yielded are in the queue, and its items and drops
  are on the item queue (the crawl session is flushed before the acknowledgement);
* a worker holds a lease (``<prefix>:workers:<worker>``) renewed every second;
  when a lease lapses (``NEWSCRAWL_REDIS_WORKER_TTL``), any live worker returns that
  worker's in-flight requests to the queue;
* marking an article URL seen and queueing it is one atomic step too.

Article requests (``meta["newscrawl_article"]``) are de-duplicated across all workers
and runs by the persisted set. Discovery pages (sitemaps, feeds, listings, artist
pages) are de-duplicated only within the process, so every run, and every restarted
worker, reads them again for new links, while a sitemap index that lists itself still
cannot loop.

A worker stays open while the queue holds requests or another worker of the same queue
has requests in flight, so a crawl ends for every worker when the frontier is empty.
"""

from __future__ import annotations

import itertools
import json
import logging
import os
import secrets
import socket
import time
from typing import TYPE_CHECKING

from scrapy import signals
from scrapy.utils.request import request_from_dict
from scrapy_redis.queue import PriorityQueue
from scrapy_redis.scheduler import Scheduler
from twisted.internet import task

from newscrawl.scale.redis_queue import RedisKeys, channel_dates
from newscrawl.scale.refetch_worker import prepare_refetch
from newscrawl.scale.refresh_queue import REFRESH_META
from newscrawl.scale.territory import first_requested_key, redis_now_ms
from newscrawl.session import CrawlSession

if TYPE_CHECKING:
    from scrapy import Request, Spider
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)

ARTICLE_META = "newscrawl_article"
# In-flight hash field naming the queue its requests return to.
QUEUE_FIELD = "~queue"

# KEYS: queue, in-flight hash. ARGV: token. Take the best request, remember it in flight.
_POP = """
local found = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
if #found == 0 then return false end
redis.call('ZREM', KEYS[1], found[1])
redis.call('HSET', KEYS[2], ARGV[1], found[2] .. '|' .. found[1])
return found[1]
"""

# KEYS: "seen" set, queue, channel dates hash, first-request times. ARGV: fingerprint,
# score, request, then the name / date pairs of the channel dates the request carries.
# Queue only if not seen; the time on Redis's clock tells a listing walk whether this
# crawl or an earlier one requested the URL (newscrawl.scale.territory); the dates count
# as known (the fetch stores them), so another worker listing the page with the same
# dates does not report them to the ingester (RedisWriter.channel_dates_seen keeps the
# same fields).
_SEE_AND_PUSH = """
if redis.call('SADD', KEYS[1], ARGV[1]) == 0 then return 0 end
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[3])
local now = redis.call('TIME')
redis.call('ZADD', KEYS[4], tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000), ARGV[1])
for i = 4, #ARGV, 2 do redis.call('HSET', KEYS[3], ARGV[1] .. ':' .. ARGV[i], ARGV[i + 1]) end
return 1
"""

# KEYS: in-flight hash, its worker's lease, its queue. ARGV: 'force' to skip the lease
# check. Returns -1 while the lease is held, else how many requests went back.
_RETURN = """
if ARGV[1] ~= 'force' and redis.call('EXISTS', KEYS[2]) == 1 then return -1 end
local entries = redis.call('HGETALL', KEYS[1])
local returned = 0
for i = 1, #entries, 2 do
  if entries[i] ~= '~queue' then
    local value = entries[i + 1]
    local bar = string.find(value, '|', 1, true)
    redis.call('ZADD', KEYS[3], tonumber(string.sub(value, 1, bar - 1)), string.sub(value, bar + 1))
    returned = returned + 1
  end
end
redis.call('DEL', KEYS[1])
return returned
"""


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


class SharedFrontier(Scheduler):
    """scrapy-redis's scheduler with in-flight tracking and recovery (module docstring)."""

    crawler: Crawler
    spider: Spider

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SharedFrontier:
        frontier = super().from_crawler(crawler)
        frontier.crawler = crawler
        frontier.worker_ttl = max(3.0, crawler.settings.getfloat("NEWSCRAWL_REDIS_WORKER_TTL", 30))
        frontier._popped: dict[str, Request] = {}
        frontier._tokens = itertools.count(1)
        frontier._channels_seen: set[str] = set()
        frontier._surveyed_at = 0.0
        frontier._others_busy = False
        frontier._waiting = False
        frontier._tick: task.LoopingCall | None = None
        frontier._pop = frontier.server.register_script(_POP)
        frontier._see_and_push = frontier.server.register_script(_SEE_AND_PUSH)
        frontier._return = frontier.server.register_script(_RETURN)
        # Connected after the coverage ledger, so the lease outlives the run's last message.
        crawler.signals.connect(frontier._spider_closed, signal=signals.spider_closed)
        return frontier

    # -- lifecycle ------------------------------------------------------------------

    def open(self, spider: Spider) -> None:
        super().open(spider)
        if not isinstance(self.queue, PriorityQueue):
            raise ValueError(
                "SharedFrontier needs SCHEDULER_QUEUE_CLASS scrapy_redis.queue.PriorityQueue"
            )
        self.keys = RedisKeys.for_spider(spider.settings, spider.name)
        self.worker_id = f"{socket.gethostname()}-{os.getpid()}-{secrets.token_hex(3)}"
        self.lease_key = self.keys.worker(self.worker_id)
        self.inflight_key = self.keys.inflight(self.worker_id)
        # On Redis's clock, like the first-request times (newscrawl.scale.territory).
        self.started_ms = redis_now_ms(self.server)
        self._renew_lease()
        self.server.hset(self.inflight_key, QUEUE_FIELD, self.queue.key)
        logger.info(
            "Shared frontier %s (seen set %s), worker %s",
            self.queue.key,
            self.df.key,
            self.worker_id,
        )
        self._survey()
        self._tick = task.LoopingCall(self._heartbeat)
        self._tick.start(min(1.0, self.worker_ttl / 3), now=False)

    def close(self, reason: str) -> None:
        if self._tick is not None and self._tick.running:
            self._tick.stop()
        self._acknowledge(finished=True)
        if self._popped:
            # Not finished (the engine closed without them): back to the queue.
            returned = self._return(
                keys=[self.inflight_key, self.lease_key, self.queue.key], args=["force"]
            )
            logger.info("Returned %d unfinished requests to %s", returned, self.queue.key)
            self._popped.clear()
        else:
            self.server.delete(self.inflight_key)
        super().close(reason)

    def _spider_closed(self, spider: Spider, reason: str) -> None:
        self.server.delete(self.lease_key)

    # -- queue ----------------------------------------------------------------------

    def enqueue_request(self, request: Request) -> bool:
        data = self.queue.serializer.dumps(request.to_dict(spider=self.spider))
        score = -request.priority
        if request.dont_filter:
            self.server.zadd(self.queue.key, {data: score})
        elif request.meta.get(ARTICLE_META):
            fingerprint = self.df.request_fingerprint(request)
            dates = channel_dates(request.meta.get("newscrawl_evidence") or {})
            if not self._see_and_push(
                keys=[
                    self.df.key,
                    self.queue.key,
                    self.keys.channel_dates,
                    first_requested_key(self.df.key),
                ],
                args=[fingerprint, score, data, *dates],
            ):
                self.df.log(request, self.spider)
                return False
        else:
            fingerprint = self.df.request_fingerprint(request)
            if fingerprint in self._channels_seen:
                self.df.log(request, self.spider)
                return False
            self._channels_seen.add(fingerprint)
            self.server.zadd(self.queue.key, {data: score})
        if self.stats:
            self.stats.inc_value("scheduler/enqueued/redis")
        return True

    def next_request(self) -> Request | None:
        self._acknowledge()
        while True:
            token = str(next(self._tokens))
            data = self._pop(keys=[self.queue.key, self.inflight_key], args=[token])
            if not data:
                return None
            request = request_from_dict(self.queue.serializer.loads(data), spider=self.spider)
            if not request.meta.get(REFRESH_META):
                break
            # Queued by the archive's owner (newscrawl refresh): ready it for this worker.
            prepared = prepare_refetch(request, self.spider)
            if prepared is not None:
                request = prepared
                break
            # Not sent (its source's budget is spent, say): take the next one now, not
            # one request per engine tick through a queue of many such refetches.
            self.server.hdel(self.inflight_key, token)
        self._popped[token] = request
        if self.stats:
            self.stats.inc_value("scheduler/dequeued/redis")
        return request

    def has_pending_requests(self) -> bool:
        if len(self.queue) > 0:
            return True
        # Asked when this worker is idle: its own requests are done, say so at once, so
        # that workers waiting on them can stop.
        self._acknowledge()
        if time.monotonic() - self._surveyed_at >= 0.2:
            self._survey()
            if len(self.queue) > 0:
                return True
        # Waiting for other workers: the heartbeat wakes the engine to ask again.
        self._waiting = self._others_busy
        return self._others_busy

    # -- in flight ------------------------------------------------------------------

    def _in_progress(self) -> set | None:
        # The engine's set of requests it has not finished (download, callback, items).
        # Scrapy has no public signal for "request done"; newscrawl pins Scrapy <2.20
        # and tests/test_scale_redis.py fails if this ever stops working.
        slot = getattr(getattr(self.crawler, "engine", None), "_slot", None)
        return getattr(slot, "inprogress", None)

    def _acknowledge(self, *, finished: bool = False) -> None:
        """Remove finished requests from the in-flight hash (after their outcomes are
        on the item queue)."""
        if not self._popped:
            return
        active = self._in_progress()
        if active is None:
            if not finished:
                return
            active = set()
        done = [token for token, request in self._popped.items() if request not in active]
        if not done:
            return
        CrawlSession.of(self.crawler).flush()
        self.server.hdel(self.inflight_key, *done)
        for token in done:
            del self._popped[token]

    def _renew_lease(self) -> None:
        info = {
            "host": socket.gethostname(),
            "pid": os.getpid(),
            "queue": self.queue.key,
            "started": self.started_ms,
        }
        self.server.set(self.lease_key, json.dumps(info), px=int(self.worker_ttl * 1000))

    def _survey(self) -> None:
        """Return lapsed workers' in-flight requests to their queue, and note whether
        any other worker of this queue has requests in flight."""
        self._surveyed_at = time.monotonic()
        busy = False
        for raw_key in self.server.scan_iter(match=self.keys.inflight_pattern, count=200):
            key = _text(raw_key)
            if key == self.inflight_key:
                continue
            worker = key.rsplit(":", 1)[1]
            queue = _text(self.server.hget(key, QUEUE_FIELD) or self.queue.key)
            returned = self._return(keys=[key, self.keys.worker(worker), queue], args=[""])
            if returned > 0:
                logger.warning(
                    "Worker %s stopped without finishing %d requests: returned to %s",
                    worker,
                    returned,
                    queue,
                )
                if self.stats:
                    self.stats.inc_value("newscrawl/frontier/recovered", returned)
            elif returned < 0 and queue == self.queue.key and self.server.hlen(key) > 1:
                busy = True
        self._others_busy = busy

    def _heartbeat(self) -> None:
        try:
            self._renew_lease()
            self._acknowledge()
            self._survey()
            if self._waiting:
                # The engine was told to wait for other workers: let it look again now,
                # not at its next 5-second heartbeat (the private slot of _in_progress()).
                self._waiting = False
                slot = getattr(getattr(self.crawler, "engine", None), "_slot", None)
                if slot is not None:
                    slot.nextcall.schedule()
        except Exception:  # a LoopingCall stops at the first error; keep renewing
            logger.warning("Shared frontier heartbeat failed", exc_info=True)
