"""The Scrapy add-on that switches a crawl to Redis mode (listed in ``ADDONS``).

Without ``NEWSCRAWL_REDIS_URL`` it does nothing. With it, the crawl shares its frontier
with every other worker on that Redis (:class:`~newscrawl.scale.frontier.SharedFrontier`
over scrapy-redis) and, in place of the dedupe and store steps, queues its items for
``newscrawl ingest`` (:class:`~newscrawl.scale.redis_queue.RedisQueuePipeline`); the
crawl session then writes through a :class:`~newscrawl.scale.redis_queue.RedisWriter`
instead of opening the SQLite archive. Settings are set at add-on priority, so ``-s NAME=VALUE`` still overrides any of them,
except ``JOBDIR``, which is unset (the frontier lives in Redis).
"""

from __future__ import annotations

import logging
from typing import Any

from newscrawl.extras import require_scale

logger = logging.getLogger(__name__)

REPLACED_STEPS = ("newscrawl.pipelines.DedupePipeline", "newscrawl.pipelines.StorePipeline")
QUEUE_STEP = "newscrawl.scale.redis_queue.RedisQueuePipeline"
SHARED_HOLDS = "newscrawl.scale.holds.SharedHolds"


class RedisScaleOut:
    """Redis mode when ``NEWSCRAWL_REDIS_URL`` is set (see docs/scaling.md)."""

    def update_settings(self, settings: Any) -> None:
        url = settings.get("NEWSCRAWL_REDIS_URL")
        if not url:
            return
        require_scale("NEWSCRAWL_REDIS_URL")
        prefix = settings.get("NEWSCRAWL_REDIS_PREFIX") or "%(spider)s"
        for name, value in {
            "SCHEDULER": "newscrawl.scale.frontier.SharedFrontier",
            "SCHEDULER_QUEUE_CLASS": "scrapy_redis.queue.PriorityQueue",
            "SCHEDULER_QUEUE_KEY": f"{prefix}:requests",
            "SCHEDULER_DUPEFILTER_KEY": f"{prefix}:dupefilter",
            "DUPEFILTER_CLASS": "scrapy_redis.dupefilter.RFPDupeFilter",
            "SCHEDULER_PERSIST": True,
            "REDIS_URL": url,
        }.items():
            settings.set(name, value, priority="addon")
        pipelines = settings["ITEM_PIPELINES"]
        order = max((pipelines.get(step) or 0) for step in REPLACED_STEPS) or 500
        for step in REPLACED_STEPS:
            pipelines[step] = None
        pipelines[QUEUE_STEP] = order
        # A publisher's Retry-After holds every worker, not only the one it answered.
        settings["EXTENSIONS"][SHARED_HOLDS] = 0
        if settings.get("JOBDIR"):
            logger.warning("JOBDIR is ignored in Redis mode: the frontier lives in Redis")
            # Unset, not only unused: Scrapy's SpiderState kept spider.state there, and
            # the next worker run with that JOBDIR restored the budgets the last one
            # spent (and fetched nothing). Here the only add-on setting -s cannot beat.
            settings.set("JOBDIR", None, priority=settings.getpriority("JOBDIR"))
