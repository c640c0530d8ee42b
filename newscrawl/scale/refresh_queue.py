"""Redis mode refreshes: the archive's owner decides which article pages are due, workers
fetch them.

A worker never reads the archive, and the shared "seen" set refuses any article URL
requested before, so without this module an article was fetched once in Redis mode and
never again. :func:`schedule_refreshes` (``newscrawl refresh``, or ``newscrawl ingest
--refresh-every``) runs next to the archive and reads it with the local crawl's
:class:`~newscrawl.refresh.RefreshPolicy`:

* an archived article whose age-ladder step (``1h,1d,7d`` after publication) passed
  since its last fetch is due, and is asked for with its archived validators
  (``If-None-Match`` / ``If-Modified-Since``, :mod:`newscrawl.conditional`);
* a page whose last fetch failed for a reason that may pass (an HTTP error other than
  404 / 410, a connection error or timeout) is retried.

Each due URL goes straight onto the shared request queue as an article request for the
spider's ``parse_article`` (``dont_filter``: past the "seen" set), under a **claim**
(``<prefix>:refresh:<fingerprint>``, ``SET NX`` with a time to live): while a refetch
of a URL is queued or in flight, no scheduler queues it again, however many run at
once. The ingester releases a claim once the outcome of the refetch (the article, a
304, a drop) is committed to the archive (:func:`settled_urls`); a claim whose outcome
never arrives expires after its time to live. The scheduler reads the page's row again
once the claim is its own, so an outcome committed between its first read and the
claim is not followed by a second refetch. One Lua script then queues the request and
adds the URL to the "seen" set (so a worker's discovery does not request the page a
second time), if the claim is still its own.

The worker side is :mod:`newscrawl.scale.refetch_worker`.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import socket
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scrapy import Request

from newscrawl.article_responses import ARTICLE_STATUSES
from newscrawl.conditional import make_conditional, validators_for
from newscrawl.refresh import CONTENT_REASONS, RefreshPolicy, json_dict, parse_time
from newscrawl.scale.redis_queue import RedisKeys, channel_dates, seen_fingerprint
from newscrawl.store import open_readonly, utcnow

if TYPE_CHECKING:
    import sqlite3

    import redis

logger = logging.getLogger(__name__)

REFRESH_META = "newscrawl_refresh"
"""Request meta of a refetch the scheduler queued: ``why`` (the policy's reason) and
``archived`` (whether the archive holds the article)."""

# Drop reasons of fetches that may succeed later. Not robots, throttled, not_selected,
# before_since: the worker's own discovery retries those (they leave the "seen" set);
# not 404 / 410 (the page is gone), nor what a page's content caused.
RETRIED_REASONS = frozenset({"http_status", "fetch_error"})
GONE_STATUSES = frozenset({404, 410})

DEFAULT_CLAIM_TTL = 24 * 3600.0
"""Seconds a claim lasts when no outcome releases it (the refetch was lost)."""

# KEYS: claim, "seen" set, queue. ARGV: claim value, fingerprint, score, request.
# Mark the URL seen and queue its request, both or neither, while the claim is ours.
_QUEUE_CLAIMED = """
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('SADD', KEYS[2], ARGV[2])
redis.call('ZADD', KEYS[3], ARGV[3], ARGV[4])
return 1
"""


# KEYS: the channel dates hash. ARGV: fingerprint, then name / date pairs. Forget each
# date still recorded as reported (a newer one reported meanwhile stays).
_FORGET_DATES = """
for i = 2, #ARGV, 2 do
  local field = ARGV[1] .. ':' .. ARGV[i]
  if redis.call('HGET', KEYS[1], field) == ARGV[i + 1] then redis.call('HDEL', KEYS[1], field) end
end
return 1
"""


def claim_key(keys: RedisKeys, url: str) -> str:
    """The claim of a refetch of ``url``, held while it is queued or in flight."""
    return f"{keys.prefix}:refresh:{seen_fingerprint(url)}"


@dataclass
class Due:
    """An article page the archive says is to be fetched again, and why."""

    url: str
    source_id: str
    why: str
    known: dict | None
    """The archived article row (None: a failed page the archive does not hold)."""
    evidence: dict = field(default_factory=dict)


@dataclass
class ScheduleResult:
    """What one :func:`schedule_refreshes` did."""

    due: int = 0
    queued: int = 0
    claimed: int = 0
    """Due, but a refetch of the URL is already queued or in flight (or just done)."""

    def summary(self) -> str:
        return (
            f"{self.due} pages due, {self.queued} queued,"
            f" {self.claimed} already queued or in flight"
        )


def _rows(conn: sqlite3.Connection, sql: str, params: list | None = None) -> Iterator[dict]:
    cursor = conn.execute(sql, params or [])
    names = [c[0] for c in cursor.description]
    for row in cursor:
        yield dict(zip(names, row, strict=True))


_ARTICLES = (
    "select url, canonical_url, source_id, fetched_at, first_seen_at, published_at,"
    " modified_at, discovery, etag, last_modified from articles"
)


def due_pages(
    conn: sqlite3.Connection, policy: RefreshPolicy, *, url: str | None = None
) -> Iterator[Due]:
    """The archived articles an age-ladder step makes due, then the failed pages worth
    retrying (only ``url``'s, when given). No channel is read here: a channel's
    ``lastmod`` is the workers' to see."""
    if url:
        where, params = " where url = ?", [url]
    else:
        where, params = _maybe_due_by_age(policy)
    # Read to the end before anything is claimed: an open statement would keep the
    # archive's snapshot of its start, and the check after a claim must see the latest.
    articles = list(_rows(conn, _ARTICLES + where + " order by id", params))
    drops = _drops_of(conn, [row["url"] for row in articles])
    retried = list(
        _rows(
            conn,
            "select * from drops where stage = 'fetch' and reason in"
            f" ({', '.join('?' for _ in RETRIED_REASONS)})" + (" and url = ?" if url else ""),
            [*sorted(RETRIED_REASONS), *([url] if url else [])],
        )
    )
    archived = _archived(conn, [row["url"] for row in retried])
    for row in articles:
        decision = policy.decide(row, {}, dropped=drops.get(row["url"]))
        if decision.fetch and row["source_id"]:
            evidence = json_dict(row["discovery"])
            yield Due(row["url"], row["source_id"], decision.why, row, evidence)
    pause = retry_pause(policy)
    for drop in retried:
        if drop["url"] in archived or not drop.get("source_id"):
            continue
        if drop.get("status") in GONE_STATUSES:
            continue
        tried = parse_time(drop.get("last_seen_at"))
        if tried is not None and policy.now() - tried < pause:
            continue  # failed a moment ago: not again at every scheduling step
        decision = policy.decide(None, {}, dropped=drop)
        if decision.fetch:
            yield Due(drop["url"], drop["source_id"], decision.why, None, {"channel": "refresh"})


def retry_pause(policy: RefreshPolicy) -> timedelta:
    """How long a page that failed waits before it is queued again: the first step of
    the age ladder, else an hour. A local crawl retries it once per run; a scheduling
    step may run every minute (``ingest --refresh-every 60``) and must not hammer a
    page that keeps failing."""
    return min(policy.ladder) if policy.ladder else timedelta(hours=1)


# The articles an age step may make due, as SQL, so that a large archive is not read row
# by row into Python at every scheduling step: a step is due when the last fetch came
# before publication + step (RefreshPolicy.decide). Fetched later than publication +
# the last step + a day's slack, an article is never due by age again (a later failed
# fetch only moves its last fetch later). Dates SQLite cannot read (julianday() null:
# RFC 822 dates, a missing fetch time) are left to the policy.
_PUBLISHED = "coalesce(published_at, first_seen_at, fetched_at)"


def _maybe_due_by_age(policy: RefreshPolicy) -> tuple[str, list]:
    unreadable = f"julianday(fetched_at) is null or julianday({_PUBLISHED}) is null"
    if not policy.ladder:
        return f" where {unreadable}", []
    days = max(policy.ladder).total_seconds() / 86400 + 1
    return f" where {unreadable} or julianday(fetched_at) < julianday({_PUBLISHED}) + ?", [days]


def _in_chunks(urls: list[str], size: int = 500) -> Iterator[tuple[list[str], str]]:
    """``urls`` in chunks for ``in (...)``, each with its placeholders (SQLite limits the
    number of parameters of one statement)."""
    for start in range(0, len(urls), size):
        chunk = urls[start : start + size]
        yield chunk, ", ".join("?" for _ in chunk)


def _drops_of(conn: sqlite3.Connection, urls: list[str]) -> dict[str, dict]:
    """The drops rows of ``urls``, by URL."""
    found: dict[str, dict] = {}
    for chunk, marks in _in_chunks(urls):
        sql = f"select * from drops where url in ({marks})"
        found.update((r["url"], r) for r in _rows(conn, sql, chunk))
    return found


def _archived(conn: sqlite3.Connection, urls: list[str]) -> set[str]:
    """Those of ``urls`` the archive holds, under their own or their canonical URL."""
    held: set[str] = set()
    for chunk, marks in _in_chunks(urls):
        sql = (
            f"select url from articles where url in ({marks})"
            f" union select canonical_url from articles where canonical_url in ({marks})"
        )
        held.update(r["url"] for r in _rows(conn, sql, chunk + chunk))
    return held


def refetch_request(due: Due) -> dict[str, Any]:
    """The request a worker sends for ``due``, as scrapy-redis stores it (a dict for
    ``request_from_dict``: callback and errback by spider method name)."""
    request = Request(
        due.url,
        meta={
            "source_id": due.source_id,
            "newscrawl_article": True,
            "handle_httpstatus_list": list(ARTICLE_STATUSES),
            "newscrawl_evidence": due.evidence,
            "newscrawl_limits": {},
            REFRESH_META: {"why": due.why, "archived": due.known is not None},
        },
        dont_filter=True,
    )
    request = make_conditional(request, validators_for(due.known, due.url))
    data = request.to_dict()
    data["callback"], data["errback"] = "parse_article", "article_failed"
    return data


def schedule_refreshes(
    server: redis.Redis,
    db_path: str | Path,
    *,
    keys: RedisKeys,
    policy: RefreshPolicy,
    queue_key: str | None = None,
    seen_key: str | None = None,
    claim_ttl: float = DEFAULT_CLAIM_TTL,
    sources: Iterable[str] | None = None,
) -> ScheduleResult:
    """Queue a refetch of every due page of the archive at ``db_path`` that no other
    refetch of it is queued or in flight for (module docstring); of ``sources`` only,
    when given (a node of a partitioned crawl, fed through its own ``queue_key``)."""
    # A missing file, or one that is not SQLite or not an archive, is a one-line error.
    conn = open_readonly(db_path)
    wanted = None if sources is None else set(sources)
    if wanted:
        known = {row[0] for row in conn.execute("select id from sources")}
        for name in sorted(wanted - known):
            # Not an error: a source added to a node's list has no page archived yet.
            logger.warning("--sources: the archive has no source %r (yet)", name)
    queue_claimed = server.register_script(_QUEUE_CLAIMED)
    queue_key = queue_key or f"{keys.prefix}:requests"
    seen_key = seen_key or f"{keys.prefix}:dupefilter"
    result = ScheduleResult()
    claimed_at = utcnow()
    scheduler = f"{socket.gethostname()}/{os.getpid()}/{secrets.token_hex(4)}"
    try:
        for due in list(due_pages(conn, policy)):
            if wanted is not None and due.source_id not in wanted:
                continue
            result.due += 1
            # Read again once the URL is ours: a refetch whose outcome the ingester
            # committed (and whose claim it released) since the read above has made the
            # page fresh, and must not be followed by another one.
            if queue_refetch(
                server,
                due,
                keys=keys,
                queue_key=queue_key,
                seen_key=seen_key,
                claim_ttl=claim_ttl,
                by=scheduler,
                at=claimed_at,
                still_due=lambda url: next(due_pages(conn, policy, url=url), None),
                script=queue_claimed,
            ):
                result.queued += 1
            else:
                result.claimed += 1
    finally:
        conn.close()
    return result


def queue_refetch(
    server: redis.Redis,
    due: Due,
    *,
    keys: RedisKeys,
    queue_key: str,
    seen_key: str,
    claim_ttl: float = DEFAULT_CLAIM_TTL,
    by: str,
    at: str,
    still_due: Callable[[str], Due | None] | None = None,
    script: Any = None,
) -> bool:
    """Claim ``due.url`` and queue its refetch; False when a refetch of it is already
    queued or in flight (or ``still_due``, asked once the claim is ours, says the page is
    no longer due)."""
    from scrapy_redis import picklecompat

    claim = claim_key(keys, due.url)
    value = json.dumps({"at": at, "why": due.why, "by": by})
    if not server.set(claim, value, nx=True, px=int(claim_ttl * 1000)):
        return False
    if still_due is not None:
        due = still_due(due.url)
        if due is None:
            server.delete(claim)
            return False
    script = script or server.register_script(_QUEUE_CLAIMED)
    data = picklecompat.dumps(refetch_request(due))
    if not script(
        keys=[claim, seen_key, queue_key], args=[value, seen_fingerprint(due.url), 0, data]
    ):
        return False  # the claim lapsed in between (a stall longer than its time to live)
    logger.debug("Refetch of %s queued: %s", due.url, due.why)
    return True


def refetch_if_changed(
    server: redis.Redis, archive: Any, message: dict[str, Any], *, keys: RedisKeys, by: str
) -> bool:
    """A worker found an article URL it had requested before listed by a channel with a
    ``lastmod`` / ``updated`` date (a ``changed`` message): queue a refetch when that date
    is newer than what the archive knows (the local crawl's rule, RefreshPolicy), with
    the new date in its evidence, so that the stored page records it. True if queued."""
    url = message["url"]
    known, dropped = archive.archived_page(url), archive.dropped_page(url)
    evidence = {k: v for k, v in (message.get("evidence") or {}).items() if v is not None}
    if known is None and dropped is None:
        # Not fetched yet: its outcome is on its way, and may be of the page before the
        # change. The dates are to be reported again once the archive has it.
        _forget_dates(server, keys, url, evidence)
        return False
    if known is None and dropped.get("reason") not in CONTENT_REASONS:
        # A failure: retrying failures is the scheduling step's job (RETRIED_REASONS),
        # not a channel date's.
        return False
    decision = RefreshPolicy(()).decide(known, evidence, dropped=dropped)
    if not decision.fetch:
        return False
    merged = {**json_dict((known or {}).get("discovery")), **evidence}
    source_id = message.get("source_id") or (dropped or {}).get("source_id")
    due = Due(url, source_id, decision.why, known, merged)
    queued = queue_refetch(
        server,
        due,
        keys=keys,
        queue_key=message.get("queue") or f"{keys.prefix}:requests",
        seen_key=message.get("seen") or f"{keys.prefix}:dupefilter",
        by=by,
        at=utcnow(),
    )
    if not queued:
        # A refetch of the page is queued or in flight (or its outcome is in the batch
        # being applied, whose claim goes at the commit): it may have fetched the page
        # before the change, and does not carry the new date. Without this the workers,
        # which report a date once, would never report it again.
        _forget_dates(server, keys, url, evidence)
    return queued


def _forget_dates(server: redis.Redis, keys: RedisKeys, url: str, evidence: dict) -> None:
    """Let the workers report ``evidence``'s channel dates for ``url`` again (they are
    taken out of ``<prefix>:channel_dates`` unless a newer date replaced them)."""
    pairs = channel_dates(evidence)
    if pairs:
        server.register_script(_FORGET_DATES)(
            keys=[keys.channel_dates], args=[seen_fingerprint(url), *pairs]
        )


def settled_urls(message: dict[str, Any]) -> Iterable[str]:
    """The URLs whose refetch ``message`` (one the ingester applied) settles: an
    article, a 304 answer, or a drop made after the page was requested. An article
    settles the URL it was requested as too: a refetch that redirected (a moved story)
    is stored under its new URL, and the claim is the requested URL's."""
    kind = message.get("type")
    if kind == "article":
        article = message.get("article") or {}
        urls = (article.get("url"), article.get("canonical_url"), article.get("request_url"))
        return [u for u in urls if u]
    if kind == "not_modified":
        return [u for u in [(message.get("answer") or {}).get("url")] if u]
    if kind == "drop":
        drop = message.get("drop") or {}
        if drop.get("stage") != "discover" and drop.get("url"):
            return [drop["url"]]
    return []
