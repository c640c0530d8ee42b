"""Scale-out on engines operators already run: Redis for a shared frontier and an item
queue, Scrapyd for scheduling (see docs/scaling.md).

* :mod:`newscrawl.scale.addon` switches a crawl to Redis mode when
  ``NEWSCRAWL_REDIS_URL`` is set;
* :mod:`newscrawl.scale.frontier` is the shared request queue and "seen" set
  (scrapy-redis) with crash recovery of in-flight requests;
* :mod:`newscrawl.scale.redis_queue` holds the message format, the worker-side
  :class:`~newscrawl.scale.redis_queue.RedisWriter` and pipeline step;
* :mod:`newscrawl.scale.ingest` is the single archive writer draining the queue;
* :mod:`newscrawl.scale.refresh_queue` queues the refetches the archive says are due
  (``newscrawl refresh``), each once;
* :mod:`newscrawl.scale.egg` builds the egg Scrapyd runs.
"""
