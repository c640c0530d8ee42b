"""The one archive writer of Redis mode: drain the item queue into SQLite.

Workers push messages (:mod:`newscrawl.scale.redis_queue`) onto ``<prefix>:items``; the
:class:`Ingester` applies them through the same dedupe rules
(:class:`~newscrawl.dedupe.Deduplicator`) and store (:meth:`Archive.write_batch
<newscrawl.store.Archive.write_batch>`) as a local crawl, with the reliable-queue
pattern:

1. ``BLMOVE``/``LMOVE`` up to ``batch`` messages from the queue to
   ``<prefix>:items:processing``;
2. apply them, in order, in one SQLite transaction, which also records per worker run
   the ``seq`` of the last message applied (table ``ingest_runs``, created by the
   schema migrations);
3. after the commit, remove them from the processing list.

A crash before 3 leaves the batch in the processing list; the next ingester applies it
first. Messages the archive already holds (``seq`` not above the recorded one) are
skipped, so a replayed batch changes nothing, and a batch that did not commit is applied
as if for the first time. One ingester runs per queue (lock ``<prefix>:ingester``).
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import sqlite3
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from newscrawl.errors import NewscrawlError
from newscrawl.items import Article
from newscrawl.scale.ingest_lock import IngesterLock
from newscrawl.scale.ingest_runs import (
    WorkerRun,
    WorkerRuns,
    deduplicator,
    finish_run,
    record_progress,
)
from newscrawl.scale.messages import (
    MessageError,
    article_from_dict,
    decode,
    drop_from_dict,
    not_modified_from_dict,
)
from newscrawl.scale.redis_queue import RedisKeys, connect, redacted
from newscrawl.scale.refresh_queue import claim_key, refetch_if_changed, settled_urls
from newscrawl.store import Archive, Drop

if TYPE_CHECKING:
    import redis

logger = logging.getLogger(__name__)

_TAKE_WAIT = 1.0
"""Seconds one blocking take waits for a message (then the loop renews its lock)."""
_LEAST_WAIT = 0.01
"""The shortest blocking take: Redis reads a timeout of 0 as "wait forever"."""

# Errors of a message whose content this version cannot apply (the dead-letter list).
UNAPPLICABLE = (TypeError, KeyError, ValueError, AttributeError, sqlite3.IntegrityError)

# Drops a limited run makes without seeing the archive: not written over an archived
# article or an earlier drop of the URL.
LIMIT_REASONS = frozenset({"before_since", "not_selected", "budget"})


def counted(count: int, noun: str) -> str:
    """``1 batch``, ``2 batches``: the summary is read by people."""
    if count == 1:
        return f"1 {noun}"
    return f"{count} {noun}{'es' if noun.endswith(('ch', 'sh', 's', 'x')) else 's'}"


@dataclass
class IngestTotals:
    """What one :meth:`Ingester.run` did."""

    messages: int = 0
    batches: int = 0
    replayed: int = 0
    dead: int = 0
    outcomes: Counter = field(default_factory=Counter)

    def summary(self) -> str:
        o = self.outcomes
        return (
            f"{counted(self.messages, 'message')} in {counted(self.batches, 'batch')}:"
            f" {o['new']} new, {o['updated']} updated, {o['unchanged']} unchanged articles,"
            f" {counted(o['drop'], 'drop')} ({counted(o['duplicate'], 'duplicate')}),"
            f" {counted(o['run_start'], 'run')} started, {o['run_finish']} finished;"
            f" {self.replayed} replayed, {self.dead} unreadable"
            + (
                f"; {counted(o['refetch_queued'], 'refetch')} queued for newer channel dates"
                if o["refetch_queued"]
                else ""
            )
        )


def _faults() -> dict[str, float]:
    # Test hook (docs/scaling.md): NEWSCRAWL_INGEST_FAULTS="crash-in-batch=3,delay=0.01"
    # kills this process with SIGKILL inside the 3rd batch's transaction; also
    # crash-after-commit=N (between commit and acknowledgement) and delay=SECONDS (per message).
    faults = {}
    for part in os.environ.get("NEWSCRAWL_INGEST_FAULTS", "").split(","):
        if "=" in part:
            name, value = part.split("=", 1)
            faults[name.strip()] = float(value)
    return faults


class Ingester:
    """Drains ``<prefix>:items`` on ``redis_url`` into the archive at ``db_path``."""

    def __init__(
        self,
        redis_url: str,
        db_path: str | os.PathLike,
        *,
        prefix: str = "news",
        batch_size: int = 100,
        idle_exit: float | None = None,
        lock_ttl: float = 15.0,
        progress: Callable[[IngestTotals], None] | None = None,
        progress_interval: float = 5.0,
        refresh: Callable[[], Any] | None = None,
        refresh_every: float = 300.0,
        on_start: Callable[[], Any] | None = None,
    ) -> None:
        if batch_size < 1:
            raise NewscrawlError(f"--batch must be at least 1, got {batch_size}")
        self.redis_url = redis_url
        self.db_path = Path(db_path)
        self.keys = RedisKeys(prefix)
        self.batch_size = batch_size
        self.idle_exit = idle_exit
        self.lock_ttl_ms = int(lock_ttl * 1000)
        self.progress = progress
        self.progress_interval = progress_interval
        # The periodic scheduling step of refetches (newscrawl.scale.refresh_queue).
        self.refresh = refresh
        self.refresh_every = refresh_every
        # Called once Redis, the archive and the lock are ours, before the first batch.
        self.on_start = on_start
        self.totals = IngestTotals()
        self.stopping = False
        self._runs = WorkerRuns()
        self._server: redis.Redis | None = None
        self._faults = _faults()

    def stop(self, *_: Any) -> None:
        """Finish the current batch, then return from :meth:`run`."""
        self.stopping = True

    def run(self) -> IngestTotals:
        """Apply messages until stopped, or until the queue stayed idle ``idle_exit`` s."""
        import redis

        server = connect(self.redis_url)
        self._server = server
        archive = Archive(self.db_path)
        try:
            self._lock = IngesterLock(
                server,
                self.keys.ingester,
                ttl_ms=self.lock_ttl_ms,
                queue=self.keys.items,
                url=self.redis_url,
            )
            self._lock.acquire()
            if self.on_start is not None:
                self.on_start()
            try:
                self._loop(server, archive)
            finally:
                with contextlib.suppress(redis.RedisError):
                    self._lock.release()
        except redis.RedisError as error:
            # What was taken but not committed is still in the processing list.
            raise NewscrawlError(f"lost Redis at {redacted(self.redis_url)}: {error}") from None
        finally:
            archive.close()
            server.close()
        return self.totals

    # -- the loop -------------------------------------------------------------------

    def _loop(self, server: redis.Redis, archive: Archive) -> None:
        idle_since: float | None = None
        reported = time.monotonic()
        refreshed: float | None = None
        while not self.stopping:
            self._lock.renew()
            if self.refresh and (
                refreshed is None or time.monotonic() - refreshed >= self.refresh_every
            ):
                refreshed = time.monotonic()
                logger.info("Refresh: %s", self.refresh().summary())
            batch = server.lrange(self.keys.processing, 0, -1)
            if batch:
                logger.info("Applying %d messages left by an interrupted ingester", len(batch))
            else:
                # Idle time is judged before waiting for a message, and the wait ends when
                # it is up: judged only after each 1 s wait, --idle-exit S took S + 1 to 2 s
                # (--idle-exit 0 a whole second with nothing left to do).
                wait = _TAKE_WAIT
                if self.idle_exit is not None and self._idle(server):
                    idle_since = idle_since or time.monotonic()
                    left = self.idle_exit - (time.monotonic() - idle_since)
                    if left <= 0:
                        break
                    wait = min(wait, max(left, _LEAST_WAIT))
                else:
                    idle_since = None
                batch = self._take(server, wait)
            if not batch:
                continue
            idle_since = None
            self._apply_batch(server, archive, batch)
            if self.progress and time.monotonic() - reported >= self.progress_interval:
                reported = time.monotonic()
                self.progress(self.totals)

    def _take(self, server: redis.Redis, wait: float) -> list[bytes]:
        first = server.blmove(self.keys.items, self.keys.processing, wait, "LEFT", "RIGHT")
        if first is None:
            return []
        if self.batch_size == 1:
            return [first]
        pipe = server.pipeline(transaction=True)
        for _ in range(self.batch_size - 1):
            pipe.lmove(self.keys.items, self.keys.processing, "LEFT", "RIGHT")
        return [first, *(m for m in pipe.execute() if m is not None)]

    def _idle(self, server: redis.Redis) -> bool:
        """The queue is empty and no worker holds a lease (none will push more)."""
        if server.llen(self.keys.items):
            return False
        return next(server.scan_iter(match=self.keys.workers_pattern, count=200), None) is None

    def _apply_batch(self, server: redis.Redis, archive: Archive, batch: list[bytes]) -> None:
        self.totals.batches += 1
        dead: list[bytes] = []
        settled: set[str] = set()  # URLs whose refetch claim the commit releases
        try:
            with archive.transaction():
                touched: dict[str, WorkerRun] = {}
                for position, raw in enumerate(batch):
                    crash_here = position == len(batch) // 2
                    if crash_here and self.totals.batches == self._faults.get("crash-in-batch"):
                        os.kill(os.getpid(), signal.SIGKILL)
                    if self._faults.get("delay"):
                        time.sleep(self._faults["delay"])
                    try:
                        message = decode(raw)
                    except MessageError as error:
                        logger.error("Unreadable message moved to %s: %s", self.keys.dead, error)
                        dead.append(raw)
                        continue
                    # Each message in a savepoint: one whose content this version cannot
                    # apply (a field missing or of the wrong type) is set aside like an
                    # unreadable one, not retried forever with every message behind it.
                    archive.db.conn.execute("savepoint message")
                    try:
                        run = self._runs.for_message(archive, message)
                        if message["seq"] <= run.last_seq:
                            self.totals.replayed += 1
                            settled.update(settled_urls(message))
                            archive.db.conn.execute("release message")
                            continue
                        self._apply(archive, run, message)
                    except UNAPPLICABLE as error:
                        archive.db.conn.execute("rollback to message")
                        archive.db.conn.execute("release message")
                        self._runs.forget(message["run"])  # its memory may be half-updated
                        logger.error(
                            "Message %s/%s moved to %s: cannot apply it (%s: %s)",
                            message["run"],
                            message["seq"],
                            self.keys.dead,
                            type(error).__name__,
                            error,
                        )
                        dead.append(raw)
                        continue
                    archive.db.conn.execute("release message")
                    settled.update(settled_urls(message))
                    run.last_seq = message["seq"]
                    touched[run.key] = run
                record_progress(archive, list(touched.values()))
        except BaseException:
            # Nothing of this batch was committed: forget what memory says about it.
            self._runs.clear()
            raise
        if self.totals.batches == self._faults.get("crash-after-commit"):
            os.kill(os.getpid(), signal.SIGKILL)
        # The commit is done: now, and only now, the messages leave Redis.
        pipe = server.pipeline(transaction=True)
        if dead:
            pipe.rpush(self.keys.dead, *dead)
        if settled:
            # The archive now shows what the refetches did: they may be scheduled again.
            pipe.delete(*{claim_key(self.keys, url) for url in settled})
        pipe.ltrim(self.keys.processing, len(batch), -1)
        pipe.execute()
        self.totals.messages += len(batch)
        self.totals.dead += len(dead)

    # -- messages -------------------------------------------------------------------

    def _apply(self, archive: Archive, run: WorkerRun, message: dict[str, Any]) -> None:
        kind = message["type"]
        if kind == "article":
            self._apply_article(archive, run, article_from_dict(message["article"]))
        elif kind == "drop":
            drop = drop_from_dict(message["drop"])
            if drop.reason in LIMIT_REASONS and (
                archive.archived_page(drop.url) is not None
                or archive.dropped_page(drop.url) is not None
            ):
                # A worker cannot see the archive: a run limited by since, artists or a
                # budget leaves an archived article, and an earlier drop's reason, alone
                # (what a local crawl's spider decides before it fetches).
                self.totals.outcomes["drop_kept_out"] += 1
                return
            archive.write_batch([], [drop], run_id=run.run_id)
            self.totals.outcomes["drop"] += 1
        elif kind == "not_modified":
            answer = not_modified_from_dict(message["answer"])
            (outcome,) = archive.write_batch([answer], [], run_id=run.run_id)
            run.count(outcome.action)
            # As in the crawl session: a 304 for an article deleted meanwhile is a drop.
            archived = outcome.action == "unchanged"
            run.count("archived" if archived else "dropped", answer.source_id)
            self.totals.outcomes[outcome.action if archived else "drop"] += 1
        elif kind == "changed":
            # Queued now, before the batch commits: a crash replays the message, and the
            # refetch's claim keeps it from being queued twice.
            queued = refetch_if_changed(
                self._server, archive, message, keys=self.keys, by=f"ingester/{os.getpid()}"
            )
            self.totals.outcomes["refetch_queued" if queued else "changed_not_due"] += 1
        elif kind == "run_finish":
            finish_run(archive, run, message)
        if kind in ("run_start", "run_finish"):
            self.totals.outcomes[kind] += 1

    def _apply_article(self, archive: Archive, run: WorkerRun, article: Article) -> None:
        original = deduplicator(archive, run).duplicate_of(article, archive)
        if original is not None:
            drop = Drop(
                url=article.url,
                stage="dedupe",
                reason="duplicate",
                source_id=article.source_id,
                detail=original,
            )
            archive.write_batch([], [drop], run_id=run.run_id)
            run.count("dropped", article.source_id)
            self.totals.outcomes["drop"] += 1
            self.totals.outcomes["duplicate"] += 1
            return
        (outcome,) = archive.write_batch(
            [article], [], run_id=run.run_id, active_artist_ids=run.active
        )
        run.count(outcome.action)
        # Like the crawl session: the store itself may turn a copy into a duplicate drop.
        run.count("dropped" if outcome.action == "duplicate" else "archived", article.source_id)
        self.totals.outcomes[outcome.action] += 1
