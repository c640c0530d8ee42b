"""Known territory in Redis mode: which article URLs an earlier crawl requested.

A local crawl follows a listing's pagination while its pages list articles the archive
does not hold yet (or that the crawl itself requested), and stops at the first page
whose links are all archived: "known territory". A worker cannot read the archive, and
the shared "seen" set holds two kinds of URLs a listing walk must tell apart: those
earlier crawls requested (known territory), and those another worker of *this* crawl
requested moments ago, from its copy of the listing or from a sitemap (a page of those
says nothing about the next page: stopping there lost the stories only later pages
list). Following every listing to ``max_listing_pages`` instead cost every worker run
up to 50 pages per listing and per artist page, most of them already read.

So the frontier records when each article URL was first requested: the sorted set
``<seen key>:first_requested`` (fingerprint → Redis's clock in ms), written by the Lua
script that adds the URL to the "seen" set. Every worker's lease says when its run
started, on the same clock. A listing walk carries :func:`crawl_began`, the start of
the oldest run live when it began (that of the worker that queued its first page, which
may not be the one that reads a later page): a link first requested at or after that
moment was requested by this crawl and counts as new; one requested before is known
territory. A lease without a start (a worker of an older version) makes every link of
the "seen" set count as new, as before.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import TYPE_CHECKING

from newscrawl.scale.redis_queue import RedisKeys, seen_fingerprint

if TYPE_CHECKING:
    import redis

KEEP_MS = 24 * 3600 * 1000
"""How long before the oldest live run's start a first-request time is kept. Older ones
read as known territory anyway (a missing time is known territory too), except for a
listing page whose walk began more than this before (a killed worker's request returned
to the queue long after): that walk may then stop early."""


def first_requested_key(seen_key: str) -> str:
    """The sorted set of first-request times of the "seen" set at ``seen_key``
    (RedisWriter.forget takes URLs out of both)."""
    return f"{seen_key}:first_requested"


def redis_now_ms(server: redis.Redis) -> int:
    """Redis's clock in milliseconds: the one clock every worker and lease share."""
    seconds, microseconds = server.time()
    return int(seconds) * 1000 + int(microseconds) // 1000


def crawl_began(server: redis.Redis, keys: RedisKeys, seen_key: str) -> int:
    """The start (ms, Redis's clock) of the oldest worker run live now, this one included
    (its lease is written when its frontier opens). Forgets first-request times no walk
    of a live run can ask about."""
    began: int | None = None
    for lease in server.scan_iter(match=keys.workers_pattern, count=200):
        value = server.get(lease)
        if value is None:
            continue  # lapsed since the scan: that worker is gone
        try:
            started = json.loads(value).get("started")
        except (ValueError, AttributeError):
            started = None
        if not isinstance(started, int):
            return 0  # a worker that does not say when it started: assume the oldest
        began = started if began is None else min(began, started)
    if began is None:
        began = redis_now_ms(server)
    server.zremrangebyscore(first_requested_key(seen_key), "-inf", f"({began - KEEP_MS}")
    return began


def requested_since(
    server: redis.Redis, seen_key: str, urls: Iterable[str], moment: int
) -> list[str]:
    """Those of ``urls`` (article URLs in the "seen" set) first requested at or after
    ``moment``: by the crawl under way, not before it."""
    urls = list(urls)
    if not urls:
        return []
    fingerprints = [seen_fingerprint(url) for url in urls]
    times = server.zmscore(first_requested_key(seen_key), fingerprints)
    return [url for url, at in zip(urls, times, strict=True) if at is not None and at >= moment]
