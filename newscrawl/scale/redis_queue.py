"""Redis mode, worker side: the keys, the queue writer and the pipeline step.

In Redis mode a worker runs WARC → extract → tag and then, instead of writing SQLite,
pushes one JSON message per outcome onto the list ``<prefix>:items``
(:mod:`newscrawl.scale.messages` gives their format); ``newscrawl ingest``
(:mod:`newscrawl.scale.ingest`) is the single writer that drains it into the archive
through the dedupe and store steps.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import secrets
import socket
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

from scrapy import Request
from scrapy_redis.dupefilter import RFPDupeFilter

from newscrawl import __version__
from newscrawl.errors import NewscrawlError
from newscrawl.items import Article, NotModified
from newscrawl.middlewares import UNREADABLE_ROBOTS
from newscrawl.scale.messages import (
    CHANGE_DATES,
    MESSAGE_VERSION,
    article_to_dict,
    artist_record,
    encode,
    not_modified_message,
    source_record,
)
from newscrawl.session import CrawlSession
from newscrawl.store import Drop, StoreOutcome, utcnow

if TYPE_CHECKING:
    import redis
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)

# KEYS: the hash of channel dates already known. ARGV: fingerprint, then name / date
# pairs. Each date is kept in its own field (<fingerprint>:lastmod, :updated), so a
# sitemap's lastmod and a feed's updated for one page do not replace each other. 1 when
# any date is new for that URL (and now recorded), 0 when all were known.
_NOTE_DATES = """
local changed = 0
for i = 2, #ARGV, 2 do
  local field = ARGV[1] .. ':' .. ARGV[i]
  if redis.call('HGET', KEYS[1], field) ~= ARGV[i + 1] then
    redis.call('HSET', KEYS[1], field, ARGV[i + 1])
    changed = 1
  end
end
return changed
"""


@dataclass(frozen=True)
class RedisKeys:
    """The Redis keys of one crawl namespace (``NEWSCRAWL_REDIS_PREFIX``, default: the
    spider name). scrapy-redis keeps its queue and "seen" set at ``<prefix>:requests``
    and ``<prefix>:dupefilter``."""

    prefix: str

    @classmethod
    def for_spider(cls, settings: Any, spider_name: str) -> RedisKeys:
        return cls(settings.get("NEWSCRAWL_REDIS_PREFIX") or spider_name)

    @property
    def items(self) -> str:
        """List of messages for the ingester (workers push right, it pops left)."""
        return f"{self.prefix}:items"

    @property
    def processing(self) -> str:
        """Messages the ingester has taken but not yet committed."""
        return f"{self.prefix}:items:processing"

    @property
    def dead(self) -> str:
        """Messages the ingester could not read, kept for a human to look at."""
        return f"{self.prefix}:items:dead"

    @property
    def ingester(self) -> str:
        """Lock held by the one running ingester."""
        return f"{self.prefix}:ingester"

    @property
    def runs(self) -> str:
        """Counter numbering worker runs."""
        return f"{self.prefix}:runs"

    @property
    def channel_dates(self) -> str:
        """Hash: article URL fingerprint → the channel dates last reported for it."""
        return f"{self.prefix}:channel_dates"

    def worker(self, worker_id: str) -> str:
        """Lease of a live worker (expires when the worker stops renewing it)."""
        return f"{self.prefix}:workers:{worker_id}"

    @property
    def workers_pattern(self) -> str:
        return f"{self.prefix}:workers:*"

    def inflight(self, worker_id: str) -> str:
        """Requests a worker has taken from the queue and not finished."""
        return f"{self.prefix}:inflight:{worker_id}"

    @property
    def inflight_pattern(self) -> str:
        return f"{self.prefix}:inflight:*"


def redacted(url: str) -> str:
    """``url`` without its password, for logs and messages."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.rsplit("@", 1)[1]
    user = f"{parts.username}:***@" if parts.username else ":***@"
    return urlunsplit(parts._replace(netloc=user + netloc))


def connect(url: str) -> redis.Redis:
    """A client for ``url`` (``redis://host:port/db``) that answers PING, or a
    :class:`~newscrawl.errors.NewscrawlError` naming the server."""
    import redis

    try:
        server = redis.Redis.from_url(
            url, socket_timeout=30, socket_connect_timeout=10, retry_on_timeout=True
        )
        server.ping()
    except (redis.RedisError, ValueError) as error:
        raise NewscrawlError(f"cannot reach Redis at {redacted(url)}: {error}") from None
    return server


# Drops of pages that a later run fetches again (a run limited with -a artists or
# -a since left them out; a publisher asked for a longer wait than the run makes, so
# they were given up, mostly unsent; a bot check or CDN error page stood in for the
# story, as a local crawl retries it): a worker takes them out of the shared "seen" set.
RETRIED_WHEN_SEEN = frozenset({"not_selected", "before_since", "throttled", "blocked"})


def retried_when_seen(drop: Drop) -> bool:
    """Whether a later run fetches ``drop``'s page again: its reason is one of
    :data:`RETRIED_WHEN_SEEN`, or it is a ``robots`` drop because the host's robots.txt
    could not be read this run (not because it disallows the page)."""
    return drop.reason in RETRIED_WHEN_SEEN or (
        drop.reason == "robots" and (drop.detail or "").startswith(UNREADABLE_ROBOTS)
    )


def channel_dates(evidence: dict) -> list[str]:
    """The channel dates of ``evidence`` as the name / date pairs ``<prefix>:channel_dates``
    keeps (``["lastmod", "2026-01-06", ...]``; empty when it has none)."""
    return [part for key in CHANGE_DATES if evidence.get(key) for part in (key, str(evidence[key]))]


def seen_fingerprint(url: str) -> str:
    """The "seen" set's member for a GET of ``url``: scrapy-redis's RFPDupeFilter
    fingerprint (method, canonical URL, body), which SharedFrontier records."""
    return RFPDupeFilter.request_fingerprint(None, Request(url))  # uses no instance state


# -- the worker's writer ----------------------------------------------------------------


class RedisWriter:
    """Stands in for :class:`~newscrawl.store.Archive` in a Redis-mode worker.

    It has the archive methods the crawl session, spider and pipelines call. Writes
    become messages on the item queue; lookups return None, because a worker never
    reads the archive (it may run on another machine): whether a URL it finds is
    fetched is decided by the shared, persisted "seen" set alone; refetches are queued
    by the archive's owner (:mod:`newscrawl.scale.refresh_queue`, docs/scaling.md).
    """

    def __init__(
        self,
        server: redis.Redis,
        keys: RedisKeys,
        seen_key: str | None = None,
        queue_key: str | None = None,
    ) -> None:
        self.server = server
        self.keys = keys
        # The shared "seen" set of article requests (scrapy-redis's dupefilter key).
        self.seen_key = seen_key or f"{keys.prefix}:dupefilter"
        # This worker's request queue (scrapy-redis's SCHEDULER_QUEUE_KEY).
        self.queue_key = queue_key or f"{keys.prefix}:requests"
        self.run_key: str | None = None
        self.seq = 0
        self.pushed = 0
        self._sources: list[dict[str, Any]] = []
        self._artists: list[dict[str, Any]] = []
        self._note_dates: Any = None
        self._crawl_began: int | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RedisWriter:
        settings = crawler.settings
        url = settings.get("NEWSCRAWL_REDIS_URL")
        spider = getattr(crawler, "spider", None)
        name = getattr(spider, "name", "news")
        keys = RedisKeys.for_spider(settings, name)
        seen_key = settings.get("SCHEDULER_DUPEFILTER_KEY")
        queue_key = settings.get("SCHEDULER_QUEUE_KEY")
        writer = cls(
            connect(url),
            keys,
            seen_key % {"spider": name} if seen_key else None,
            queue_key % {"spider": name} if queue_key else None,
        )
        logger.info("Redis mode: items go to %s on %s", keys.items, redacted(url))
        return writer

    # Archive interface: reference data and runs

    def sync_sources(self, sources: Iterable[Any]) -> None:
        self._sources = [source_record(s) for s in sources]

    def sync_artists(self, artists: Iterable[Any]) -> None:
        self._artists = [artist_record(a) for a in artists]

    def start_run(
        self, *, spider: str, args: dict | None = None, settings: dict | None = None
    ) -> int:
        """Number the run (shared counter) and announce it; returns the number, which
        names this run's WARC files. The archive's ``crawl_runs.id`` is the ingester's."""
        number = int(self.server.incr(self.keys.runs))
        recorded = dict(settings or {})
        recorded.pop("NEWSCRAWL_DB", None)  # not this worker's: the ingester's archive
        if recorded.get("NEWSCRAWL_REDIS_URL"):  # the archive is published: no password
            recorded["NEWSCRAWL_REDIS_URL"] = redacted(recorded["NEWSCRAWL_REDIS_URL"])
        # The counter restarts if Redis loses its data; the random part keeps keys unique.
        self.run_key = f"{number}-{secrets.token_hex(4)}"
        self._push(
            [
                {
                    "type": "run_start",
                    "spider": spider,
                    "args": args or {},
                    "settings": recorded,
                    "host": socket.gethostname(),
                    "pid": os.getpid(),
                    "version": __version__,
                    "started_at": utcnow(),
                    "sources": self._sources,
                    "artists": self._artists,
                    "active_artist_ids": [a["id"] for a in self._artists],
                }
            ]
        )
        return number

    def finish_run(
        self,
        run_id: int,
        *,
        finish_reason: str,
        counts: dict[str, int],
        per_source: dict[str, dict[str, int]] | None = None,
        stats: dict | None = None,
    ) -> None:
        self._push(
            [
                {
                    "type": "run_finish",
                    "finish_reason": finish_reason,
                    "finished_at": utcnow(),
                    "counts": counts,
                    "per_source": per_source or {},
                    "stats": stats or {},
                }
            ]
        )

    # Archive interface: lookups (a worker knows nothing; see the class docstring)

    def archived_page(self, url: str) -> None:
        return None

    def dropped_page(self, url: str) -> None:
        return None

    def article_with_hash(self, content_hash: str) -> None:
        return None

    # The shared "seen" set: what stands in for the archive in a worker's decisions.

    def seen(self, url: str) -> bool:
        """Whether some worker already requested the article ``url`` (it is in the
        shared, persisted "seen" set). The spider skips it without spending budget."""
        return bool(self.server.sismember(self.seen_key, seen_fingerprint(url)))

    def channel_dates_seen(self, url: str, source_id: str, evidence: dict) -> bool:
        """A channel lists ``url``, already in the "seen" set, with a ``lastmod`` /
        ``updated`` date. Dates not reported for it before go to the ingester as a
        ``changed`` message (it has the archive, and queues a refetch if they are newer
        than what it holds: :func:`newscrawl.scale.refresh_queue.refetch_if_changed`).
        The hash ``<prefix>:channel_dates`` remembers what was reported, so a channel
        read every run does not report the same dates again (the worker that requested the
        page recorded the dates it was listed with: SharedFrontier). True if reported."""
        pairs = channel_dates(evidence)
        if not pairs:
            return False
        if self._note_dates is None:
            self._note_dates = self.server.register_script(_NOTE_DATES)
        if not self._note_dates(
            keys=[self.keys.channel_dates], args=[seen_fingerprint(url), *pairs]
        ):
            return False
        dates = dict(zip(pairs[::2], pairs[1::2], strict=True))
        message = {"type": "changed", "url": url, "source_id": source_id, "evidence": dates}
        # Where this worker's refetch goes: its own queue (a node's, when partitioned).
        self._push([{**message, "queue": self.queue_key, "seen": self.seen_key}])
        return True

    def forget(self, urls: Iterable[str]) -> None:
        """Take ``urls`` out of the "seen" set, so a later run may request them again."""
        fingerprints = {seen_fingerprint(url) for url in urls if url}
        if fingerprints:
            self.server.srem(self.seen_key, *fingerprints)
            self.server.zrem(f"{self.seen_key}:first_requested", *fingerprints)

    # Known territory of listing walks (newscrawl.scale.territory, imported here: it
    # imports this module).

    def crawl_began(self) -> int:
        """When the oldest worker run live now started (ms on Redis's clock); once a run."""
        if self._crawl_began is None:
            from newscrawl.scale.territory import crawl_began

            self._crawl_began = crawl_began(self.server, self.keys, self.seen_key)
        return self._crawl_began

    def requested_since(self, urls: Iterable[str], moment: int) -> list[str]:
        """Those of ``urls`` (in the "seen" set) first requested at or after ``moment``."""
        from newscrawl.scale.territory import requested_since

        return requested_since(self.server, self.seen_key, urls, moment)

    # Archive interface: writes

    def write_batch(
        self,
        articles: Sequence[Article | NotModified],
        drops: Sequence[Drop] = (),
        *,
        run_id: int | None,
        active_artist_ids: Iterable[str] | None = None,
        replay: bool = False,
    ) -> list[StoreOutcome]:
        """Queue ``drops`` then ``articles`` in one atomic push; every article's
        outcome is ``queued`` (the ingester decides new / updated / duplicate)."""
        # Drops first: an article stored later removes a drop of its URL, which is what
        # Archive.write_batch does for drops and articles of one batch.
        messages = [{"type": "drop", "drop": dataclasses.asdict(d)} for d in drops]
        messages += [
            not_modified_message(a)
            if isinstance(a, NotModified)
            else {"type": "article", "article": article_to_dict(a)}
            for a in articles
        ]
        self._push(messages)
        # Pages a limited run fetched but left out are for a later run to fetch again,
        # as in a local crawl: out of the "seen" set once their drops are queued.
        self.forget(d.url for d in drops if retried_when_seen(d))
        return [StoreOutcome(0, "queued") for _ in articles]

    def close(self) -> None:
        self.server.close()

    def _push(self, messages: list[dict[str, Any]]) -> None:
        if not messages:
            return
        if self.run_key is None:
            raise RuntimeError("RedisWriter: start_run() must come first")
        encoded = []
        for message in messages:
            self.seq += 1
            envelope = {"v": MESSAGE_VERSION, "run": self.run_key, "seq": self.seq, **message}
            encoded.append(encode(envelope))
        # One RPUSH of many values is atomic: a crash pushes all of them or none.
        self.server.rpush(self.keys.items, *encoded)
        self.pushed += len(encoded)


class RedisQueuePipeline:
    """Redis mode's last step (in place of dedupe and store): queue each article for
    the ingester, which dedupes and stores it. Drops reach the queue through the crawl
    session, like in a local crawl."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RedisQueuePipeline:
        return cls(crawler)

    def open_spider(self) -> None:
        writer = CrawlSession.of(self.crawler).open()
        if not isinstance(writer, RedisWriter):
            raise NewscrawlError("RedisQueuePipeline needs NEWSCRAWL_REDIS_URL (Redis mode)")

    def close_spider(self) -> None:
        CrawlSession.of(self.crawler).flush()

    def process_item(self, item: Any) -> Any:
        if isinstance(item, Article | NotModified):
            CrawlSession.of(self.crawler).add_article(item)
            self.crawler.stats.inc_value("newscrawl/queued")
        return item
