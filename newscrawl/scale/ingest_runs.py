"""The worker runs an ingester knows: one ``crawl_runs`` row per worker run.

Each Redis-mode worker run becomes a crawl run of the archive, started by its
``run_start`` message (with the worker's sources, watchlist, settings, host and pid)
and finished by its ``run_finish``. ``ingest_runs`` maps the worker's run key to that
row and records the ``seq`` of the last message applied, so a replayed batch is
recognised after a crash. Memory here is only a cache of those rows: it is dropped
whenever a batch does not commit.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from typing import Any

from newscrawl.dedupe import Deduplicator
from newscrawl.items import Article
from newscrawl.store import Archive

logger = logging.getLogger(__name__)


@dataclass
class WorkerRun:
    """One worker run as the ingester knows it (an ``ingest_runs`` row)."""

    key: str
    run_id: int
    last_seq: int
    active: list[str] | None
    counts: dict[str, Any]
    deduplicator: Deduplicator | None = field(default=None, repr=False)

    def count(self, name: str, source_id: str | None = None) -> None:
        self.counts[name] = self.counts.get(name, 0) + 1
        if source_id is not None:
            per_source = self.counts.setdefault("sources", {}).setdefault(source_id, {})
            per_source[name] = per_source.get(name, 0) + 1


class WorkerRuns:
    """The ingester's cache of :class:`WorkerRun` by run key."""

    def __init__(self) -> None:
        self._runs: dict[str, WorkerRun] = {}

    def clear(self) -> None:
        self._runs.clear()

    def forget(self, key: str) -> None:
        self._runs.pop(key, None)

    def for_message(self, archive: Archive, message: dict[str, Any]) -> WorkerRun:
        """The run ``message`` belongs to: cached, read from ``ingest_runs``, or started."""
        key = message["run"]
        run = self._runs.get(key)
        if run is not None:
            return run
        row = archive.db.execute(
            "select run_id, last_seq, active_artists, counts from ingest_runs where run_key = ?",
            [key],
        ).fetchone()
        if row is not None:
            run = WorkerRun(
                key, row[0], row[1], json.loads(row[2] or "null"), json.loads(row[3] or "{}")
            )
        elif message["type"] == "run_start":
            run = _start_run(archive, message)
        else:
            logger.warning("Messages of worker run %s arrived without its run_start", key)
            run_id = archive.start_run(spider="news", settings={"redis_run": key})
            run = _insert_run(archive, key, run_id, worker=None, active=None)
        self._runs[key] = run
        return run


def record_progress(archive: Archive, runs: list[WorkerRun]) -> None:
    """Write each run's last applied ``seq`` and counts (inside the batch's transaction)."""
    for run in runs:
        archive.db.execute(
            "update ingest_runs set last_seq = ?, counts = ? where run_key = ?",
            [run.last_seq, json.dumps(run.counts, sort_keys=True), run.key],
        )


def finish_run(archive: Archive, run: WorkerRun, message: dict[str, Any]) -> None:
    """The worker's funnel counts, with what the ingester did in place of "queued"."""
    counts = dict(message.get("counts") or {})
    for action in ("new", "updated", "unchanged"):
        counts[f"articles_{action}"] = run.counts.get(action, 0)
    counts["dropped"] = int(counts.get("dropped", 0)) + run.counts.get("dropped", 0)
    per_source = {sid: dict(c) for sid, c in (message.get("per_source") or {}).items()}
    mine = run.counts.get("sources", {})
    for source_id in set(per_source) | set(mine):
        row = per_source.setdefault(source_id, {})
        stored = mine.get(source_id, {})
        row["archived"] = stored.get("archived", 0)
        row["dropped"] = int(row.get("dropped", 0)) + stored.get("dropped", 0)
    archive.finish_run(
        run.run_id,
        finish_reason=message.get("finish_reason") or "finished",
        counts=counts,
        per_source=per_source,
        stats=message.get("stats"),
    )
    archive.db["crawl_runs"].update(run.run_id, {"finished_at": message.get("finished_at")})
    run.deduplicator = None


def deduplicator(archive: Archive, run: WorkerRun) -> Deduplicator:
    """The run's dedupe memory. After a restart it is rebuilt by showing the rules the
    run's archived articles again, so a duplicate within a run stays one."""
    if run.deduplicator is None:
        run.deduplicator = Deduplicator()
        rows = archive.db.execute(
            "select url, canonical_url, source_id, content_hash, warc_file from articles"
            " where run_id = ? order by id",
            [run.run_id],
        ).fetchall()
        for url, canonical_url, source_id, content_hash, warc_file in rows:
            seen = Article(
                url=url,
                canonical_url=canonical_url,
                source_id=source_id,
                content_hash=content_hash,
                warc_file=warc_file,
            )
            run.deduplicator.duplicate_of(seen, _NOTHING_ARCHIVED)
    return run.deduplicator


class _NothingArchived:
    """Lookups for replaying a run's own articles into a fresh Deduplicator."""

    def archived_page(self, url: str) -> None:
        return None

    def article_with_hash(self, content_hash: str) -> None:
        return None


_NOTHING_ARCHIVED = _NothingArchived()


class _Record:
    """A source or artist as :meth:`Archive.sync_sources` / ``sync_artists`` read it."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.__dict__.update(data)
        if data.get("config") is not None:
            self.to_dict = lambda: data["config"]


def _start_run(archive: Archive, message: dict[str, Any]) -> WorkerRun:
    archive.sync_sources(_Record(s) for s in message.get("sources") or [])
    if message.get("artists"):
        archive.sync_artists(_Record(a) for a in message["artists"])
    settings = {**(message.get("settings") or {}), "redis_run": message["run"]}
    run_id = archive.start_run(
        spider=message.get("spider") or "news", args=message.get("args"), settings=settings
    )
    # The run is the worker's: its start time, host and pid, not the ingester's.
    archive.db["crawl_runs"].update(
        run_id,
        {
            "started_at": message.get("started_at"),
            "host": message.get("host"),
            "pid": message.get("pid"),
            "newscrawl_version": message.get("version"),
        },
    )
    worker = f"{message.get('host')}/{message.get('pid')}"
    return _insert_run(
        archive, message["run"], run_id, worker=worker, active=message.get("active_artist_ids")
    )


def _insert_run(
    archive: Archive, key: str, run_id: int, *, worker: str | None, active: list | None
) -> WorkerRun:
    archive.db.execute(
        "insert into ingest_runs (run_key, run_id, worker, last_seq, active_artists, counts)"
        " values (?, ?, ?, 0, ?, '{}')",
        [key, run_id, worker, json.dumps(active)],
    )
    return WorkerRun(key, run_id, 0, active, {})
