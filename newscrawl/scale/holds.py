"""Redis mode: a publisher's "wait" (429/503 ``Retry-After``) holds every worker.

A worker that gets a 429 or 503 holds that download slot itself
(:mod:`newscrawl.retry_after`). Other workers fetching the same publisher know nothing
of it and would go on sending requests, so the publisher that asked the crawl to wait
would be asked again at once by every other worker. Here the hold is shared:

* the worker that was answered writes ``slot → {until, refuse, reason, worker, delay,
  keep}`` into the hash ``<prefix>:holds`` (a later hold wins, the larger least delay is
  kept; ``until`` and ``keep`` are on Redis's clock, so the workers' clocks do not
  matter). ``keep`` is when the other workers may forget the least delay,
  :data:`PACE_MEMORY` (an hour) after the answer: it is shared also when the publisher
  asked for no wait at all (a 429 with ``Retry-After: 0``);
* every worker reads the hash every ``NEWSCRAWL_REDIS_HOLD_POLL`` seconds (default 1)
  and holds, or refuses (a wait beyond ``NEWSCRAWL_MAX_RETRY_AFTER``: the slot's pages
  become ``fetch`` / ``throttled`` drops, fetched again by a later run), the same slot
  until the same moment, and from then on keeps at least the slot's least delay between
  requests (``NEWSCRAWL_THROTTLED_MIN_DELAY`` and its doublings, see
  :mod:`newscrawl.retry_after`).

A hold therefore reaches the other workers within one poll: a worker may send a request
or two in that window. Slot names come from the sources file (sources sharing a host
share a slot), so workers must use the same one, as docs/scaling.md already asks.
"""

from __future__ import annotations

import json
import logging
import os
import socket
from typing import TYPE_CHECKING, Any

from scrapy import signals
from scrapy.utils.asyncio import create_looping_call

from newscrawl.retry_after import PublisherThrottled, publisher_throttled
from newscrawl.scale.redis_queue import RedisKeys, connect

if TYPE_CHECKING:
    import redis
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)

# How long the other workers keep a slot's least delay after the answer that set it. A
# worker keeps it for the rest of its run; runs sharing a queue overlap, so an hour covers
# them, and a worker starting later than that begins at the configured pace, as a fresh
# local crawl does.
PACE_MEMORY = 3600.0

# Set the hold unless the one already there lasts longer; the larger least delay, and the
# later moment to forget it (``keep``), are kept either way. Times from Redis's TIME.
# Fields whose hold and pace are both over are removed on the way.
_PUBLISH = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local all = redis.call('HGETALL', KEYS[1])
for i = 1, #all, 2 do
  local h = cjson.decode(all[i + 1])
  if math.max(tonumber(h['until']), tonumber(h['keep'] or 0)) <= now then
    redis.call('HDEL', KEYS[1], all[i])
  end
end
local untl = now + tonumber(ARGV[2])
local delay = tonumber(ARGV[6])
local keep = 0
if delay > 0 then keep = now + tonumber(ARGV[7]) end
local current = redis.call('HGET', KEYS[1], ARGV[1])
if current then
  local held = cjson.decode(current)
  delay = math.max(delay, tonumber(held['delay'] or 0))
  keep = math.max(keep, tonumber(held['keep'] or 0))
  if tonumber(held['until']) >= untl then
    held['delay'] = delay
    held['keep'] = keep
    redis.call('HSET', KEYS[1], ARGV[1], cjson.encode(held))
    return 0
  end
end
redis.call('HSET', KEYS[1], ARGV[1], cjson.encode({['until'] = untl, refuse = ARGV[3] == '1',
  reason = ARGV[4], worker = ARGV[5], delay = delay, keep = keep}))
return 1
"""


def holds_key(keys: RedisKeys) -> str:
    """The hash of live holds, one field per download slot."""
    return f"{keys.prefix}:holds"


class SharedHolds:
    """Publishes this worker's holds and applies the other workers' (module docstring)."""

    def __init__(self, crawler: Crawler, server: redis.Redis, key: str, poll: float) -> None:
        self.crawler = crawler
        self.server = server
        self.key = key
        self.poll = poll
        self.worker = f"{socket.gethostname()}:{os.getpid()}"
        self.publish = server.register_script(_PUBLISH)
        self.applied: dict[str, float] = {}  # slot → the Redis "until" already applied
        self.task: Any = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SharedHolds:
        settings = crawler.settings
        spider_name = getattr(getattr(crawler, "spider", None), "name", None) or "news"
        keys = RedisKeys.for_spider(settings, spider_name)
        extension = cls(
            crawler,
            connect(settings.get("NEWSCRAWL_REDIS_URL")),
            holds_key(keys),
            settings.getfloat("NEWSCRAWL_REDIS_HOLD_POLL", 1.0),
        )
        crawler.signals.connect(extension.throttled, signal=publisher_throttled)
        crawler.signals.connect(extension.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        return extension

    def spider_opened(self, spider: Any) -> None:
        self.apply()  # a hold set before this worker started counts from its first request
        self.task = create_looping_call(self.apply)
        self.task.start(self.poll, now=False)

    def spider_closed(self, spider: Any) -> None:
        if self.task is not None and self.task.running:
            self.task.stop()

    def throttled(
        self, slot: str, seconds: float, refuse: bool, reason: str, delay: float = 0.0
    ) -> None:
        """This worker was asked to wait: tell the others."""
        self.publish(
            keys=[self.key],
            args=[slot, seconds, int(refuse), reason, self.worker, delay, PACE_MEMORY],
        )

    def apply(self) -> None:
        """Hold (or refuse) every slot another worker was asked to wait on."""
        with self.server.pipeline(transaction=False) as pipe:
            pipe.time()
            pipe.hgetall(self.key)
            (seconds, micros), fields = pipe.execute()
        now = seconds + micros / 1_000_000
        downloader = self.crawler.engine.downloader
        for raw_slot, raw in fields.items():
            slot = raw_slot.decode()
            hold = json.loads(raw)
            if hold["worker"] == self.worker:
                continue
            delay = float(hold.get("delay") or 0)
            until = float(hold["until"])
            kept = max(until, float(hold.get("keep") or 0)) > now
            if delay > downloader.delay_floor.get(slot, 0.0) and kept:
                # The pace that was refused must not come back from this worker either,
                # also when the publisher asked for no wait (Retry-After: 0).
                downloader.delay_floor[slot] = delay
                logger.warning(
                    "Download slot %s: another worker (%s) was told %s; at most one request"
                    " every %g s from now on",
                    slot,
                    hold["worker"],
                    hold["reason"],
                    delay,
                )
            if until <= now or self.applied.get(slot, 0.0) >= until:
                continue
            self.applied[slot] = until
            wait = until - now
            reason = hold["reason"]
            if hold["refuse"]:
                message = f"not requested: another worker was told {reason}"
                downloader.refuse(slot, wait, lambda _, m=message: PublisherThrottled(m))
            else:
                downloader.hold(slot, wait)
            self.crawler.stats.inc_value(f"newscrawl/throttle_shared/{slot}")
            logger.warning(
                "Download slot %s: another worker (%s) was told %s; no request to it for %.1f s",
                slot,
                hold["worker"],
                reason,
                wait,
            )
