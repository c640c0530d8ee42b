"""Per-crawl state shared by the spider, the pipelines and the ledger extension.

One :class:`CrawlSession` exists per crawler. It owns the archive connection, the
``crawl_runs`` row of this crawl, the write buffers (articles and drops are written
together in batches, one transaction each) and the funnel counters per source. It is
opened by whichever component needs it first and closed by the ledger extension when
the spider closes, after the pipelines have flushed.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import tempfile
from collections import Counter, defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scrapy.utils.defer import deferred_from_coro

from newscrawl.errors import NewscrawlError
from newscrawl.extras import require_scale
from newscrawl.store import Archive, Drop

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

    from newscrawl.items import Article, NotModified

logger = logging.getLogger(__name__)

# Funnel counters kept per source and summed into the crawl_runs row.
FUNNEL = ("discovered", "requested", "fetched", "skipped", "archived", "dropped")
# Recorded with a run (crawl_runs.settings): every NEWSCRAWL_* setting in force, so a
# run with NEWSCRAWL_INCREMENTAL=0 or NEWSCRAWL_WARC_ENABLED=0 says so, and these.
RECORDED_SETTINGS = ("JOBDIR", "USER_AGENT")
# Files a run read and the folder it wrote its WARC files to, recorded as absolute
# paths: `newscrawl reextract` tags with the watchlist the latest run names and replays
# the WARC folder the latest crawl names, and may run from another folder than the
# crawl did.
RECORDED_FILES = ("NEWSCRAWL_ARTISTS", "NEWSCRAWL_SOURCES", "NEWSCRAWL_WARC_DIR")
# The finish reason of a crawl stopped because its archive refused writes.
ARCHIVE_ERROR = "archive_error"


def recorded_settings(settings: Any) -> dict[str, Any]:
    """The settings a ``crawl_runs`` row keeps: every ``NEWSCRAWL_*`` one and
    :data:`RECORDED_SETTINGS`, empty values left out."""
    names = sorted({name for name in settings if name.startswith("NEWSCRAWL_")})
    recorded = {}
    for name in (*names, *RECORDED_SETTINGS):
        value = settings.get(name)
        if value in (None, ""):
            continue
        if name in RECORDED_FILES:
            value = os.path.abspath(value)  # absolute and without ".." (as a user would write it)
        recorded[name] = value if isinstance(value, str | int | float | bool) else str(value)
    return recorded


def check_writable(settings: Any) -> None:
    """Raise :class:`NewscrawlError` (one line) unless the crawl can write its archive
    and its WARC folder: a read-only file or folder fails here, before any request.
    A Redis-mode worker never opens the archive: there Redis must answer instead."""
    if settings.get("NEWSCRAWL_REDIS_URL"):
        require_scale("NEWSCRAWL_REDIS_URL")
        from newscrawl.scale.redis_queue import connect

        connect(settings.get("NEWSCRAWL_REDIS_URL")).close()
    else:
        check_archive_writable(settings)
    _check_warc_writable(settings)


def check_archive_writable(settings: Any) -> None:
    """Raise :class:`NewscrawlError` (one line) unless ``NEWSCRAWL_DB`` opens as an
    archive the crawl can write (creating it, and its folder, when missing)."""
    db_path = Path(settings.get("NEWSCRAWL_DB") or "archive/archive.db")
    try:
        db_path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        # "File exists" alone did not say which file was in the way.
        in_the_way = next((p for p in db_path.parents if p.exists()), None)
        if in_the_way is not None and not in_the_way.is_dir():
            raise NewscrawlError(
                f"{db_path}: cannot create its folder: {in_the_way} is a file"
            ) from None
        raise NewscrawlError(f"{db_path}: cannot create its folder: {error.strerror}") from None
    archive = Archive(db_path)
    try:
        # A read-only file opens and even takes the write lock; only a write fails.
        version = archive.db.execute("pragma user_version").fetchone()[0]
        archive.db.execute("begin immediate")
        try:
            archive.db.execute(f"pragma user_version = {int(version)}")
        finally:
            archive.db.execute("rollback")
    except sqlite3.Error as error:
        raise NewscrawlError(f"{db_path}: cannot write to the archive: {error}") from None
    finally:
        archive.db.close()


def _check_warc_writable(settings: Any) -> None:
    if settings.getbool("NEWSCRAWL_WARC_ENABLED", True):
        from newscrawl.warc import warc_dir_for

        directory = warc_dir_for(settings)
        try:
            directory.mkdir(parents=True, exist_ok=True)
            with tempfile.TemporaryFile(dir=directory):
                pass
        except OSError as error:
            raise NewscrawlError(
                f"{directory}: cannot write WARC files: {error.strerror}"
            ) from None


class CrawlSession:
    """The archive writer and run ledger of one crawl."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        settings = crawler.settings
        self.db_path = Path(settings.get("NEWSCRAWL_DB") or "archive/archive.db")
        self.batch_size = settings.getint("NEWSCRAWL_BATCH_SIZE", 100)
        self.archive: Archive | None = None
        self.run_id: int | None = None
        self.active_artist_ids: list[str] | None = None
        self._articles: list[Article | NotModified] = []
        self._drops: list[Drop] = []
        self.funnel: dict[str, Counter] = defaultdict(Counter)
        self.outcomes: Counter = Counter()
        # canonical URL -> source of each article this run archived (for replaced copies)
        self._archived_here: dict[str, str] = {}
        self.closed = False
        self.error: str | None = None
        """Why the archive could not be written (the crawl then stops), or None."""
        self.before_commit: list[tuple[str, Callable[[], None]]] = []
        """(what, callable) run before a batch of articles is written: the WARC step
        registers its ``fsync`` here, so the records a batch's rows point at are on disk
        before the rows are. An ``OSError`` stops the crawl like a refused write."""

    @classmethod
    def of(cls, crawler: Crawler) -> CrawlSession:
        """The session of ``crawler``, created on first use."""
        session = getattr(crawler, "_newscrawl_session", None)
        if session is None:
            session = cls(crawler)
            crawler._newscrawl_session = session
        return session

    # -- lifecycle ------------------------------------------------------------------

    def open(self) -> Archive:
        """Open the archive and start the run row (once; later calls return the archive)."""
        if self.archive is not None:
            return self.archive
        spider = self.crawler.spider
        if self.crawler.settings.get("NEWSCRAWL_REDIS_URL"):
            # Redis mode: writes become messages for `newscrawl ingest` (docs/scaling.md).
            from newscrawl.scale.redis_queue import RedisWriter

            self.archive = RedisWriter.from_crawler(self.crawler)
        else:
            self.db_path.parent.mkdir(parents=True, exist_ok=True)
            self.archive = Archive(self.db_path)
        sources = getattr(spider, "all_sources", None) or getattr(spider, "sources", [])
        # The whole watchlist: a run limited with -a artists= still tags with all of it.
        watchlist = getattr(spider, "full_watchlist", None) or getattr(spider, "watchlist", None)
        if getattr(spider, "replay", False):
            self.archive.sync_sources(sources, replace=False)
        else:
            self.archive.sync_sources(sources)
        if watchlist is not None:
            self.archive.sync_artists(watchlist.artists)
            # Re-extraction rewrites every mention from the watchlist it is given (an
            # artist taken off the watchlist loses their mentions); a crawl keeps the
            # mentions of artists its watchlist does not list.
            if not getattr(spider, "replay", False):
                self.active_artist_ids = [a.id for a in watchlist.artists]
        recorded = recorded_settings(self.crawler.settings)
        self.run_id = self.archive.start_run(
            spider=getattr(spider, "name", "?"),
            args=getattr(spider, "run_args", {}),
            settings=recorded,
        )
        self.crawler.stats.set_value("newscrawl/run_id", self.run_id)
        logger.info("Archive %s, crawl run %s", self.db_path, self.run_id)
        return self.archive

    def close(self, reason: str) -> None:
        """Flush what is buffered and record how the run ended."""
        if self.closed or self.archive is None:
            return
        self.flush(stopping=True)
        if self.error is not None:
            # Rows were lost (the last batch, when the disk filled at the very end):
            # Scrapy's "finished" would tell the next crawl there is nothing to catch
            # up on, and it would stop at known territory in front of what was lost.
            reason = ARCHIVE_ERROR
        stats = self.crawler.stats.get_stats()
        totals = Counter()
        for counts in self.funnel.values():
            totals.update(counts)
        counts = {
            "discovered": totals["discovered"],
            "requested": totals["requested"],
            "pages_fetched": totals["fetched"],
            "pages_skipped": totals["skipped"],
            "articles_new": self.outcomes["new"],
            "articles_updated": self.outcomes["updated"],
            "articles_unchanged": self.outcomes["unchanged"],
            "articles_reextracted": self.outcomes["reextracted"],
            "dropped": totals["dropped"],
        }
        per_source = {
            source_id: {name: counts_[name] for name in FUNNEL}
            for source_id, counts_ in self.funnel.items()
        }
        try:
            self.archive.finish_run(
                self.run_id,
                finish_reason=reason,
                counts=counts,
                per_source=per_source,
                stats={k: v for k, v in stats.items() if isinstance(v, int | float | str)},
            )
        except sqlite3.Error as error:  # the archive refuses writes: reported, not raised
            if self.error is None:
                self._stop(f"{self.db_path}: cannot write to the archive: {error}", 1, True)
        self.archive.close()
        self.closed = True

    # -- counting -------------------------------------------------------------------

    def count(self, source_id: str | None, name: str, value: int = 1) -> None:
        """Add to a funnel counter of ``source_id`` and to the crawl stats."""
        self.funnel[source_id or "-"][name] += value
        self.crawler.stats.inc_value(f"newscrawl/{name}", value)

    # -- writes ---------------------------------------------------------------------

    def add_article(self, article: Article | NotModified) -> None:
        """Buffer an article (or a 304 answer confirming one) for the next batch."""
        self.open()
        self._articles.append(article)
        if len(self._articles) + len(self._drops) >= self.batch_size:
            self.flush()

    def drop(self, drop: Drop) -> None:
        """Record that a URL was not archived, and why."""
        self.open()
        self.count(drop.source_id, "dropped")
        self.crawler.stats.inc_value(f"newscrawl/drops/{drop.reason}")
        self._drops.append(drop)
        if len(self._articles) + len(self._drops) >= self.batch_size:
            self.flush()

    def flush(self, *, stopping: bool = False) -> None:
        """Write buffered articles and drops in one transaction."""
        if self.archive is None or self.error or not (self._articles or self._drops):
            return
        articles, drops = self._articles, self._drops
        self._articles, self._drops = [], []
        # Drops point at no WARC record: a batch of drops alone needs no sync.
        for what, prepare in self.before_commit if articles else ():
            try:
                prepare()
            except OSError as error:
                self._stop(
                    f"{what}: {error.strerror or error}", len(articles) + len(drops), stopping
                )
                return
        try:
            outcomes = self.archive.write_batch(
                articles,
                drops,
                run_id=self.run_id,
                active_artist_ids=self.active_artist_ids,
                replay=getattr(self.crawler.spider, "replay", False),
            )
        except sqlite3.Error as error:
            self._stop(
                f"{self.db_path}: cannot write to the archive: {error}",
                len(articles) + len(drops),
                stopping,
            )
            return
        for article, outcome in zip(articles, outcomes, strict=True):
            self.outcomes[outcome.action] += 1
            # The store itself turns a syndicated copy of an archived original into a drop,
            # and a 304 for an article deleted meanwhile into an http_status one.
            dropped = outcome.action in ("duplicate", "not_held")
            self.count(article.source_id, "dropped" if dropped else "archived")
            if outcome.action in ("new", "updated", "unchanged"):
                self._archived_here[article.canonical_url] = article.source_id
            if outcome.replaced_source_id is not None:
                # The copy is now a drop. It counted as archived only if this run stored
                # it (an earlier run's copy is in that run's counts).
                if self._archived_here.pop(article.canonical_url, None) == (
                    outcome.replaced_source_id
                ):
                    self.count(outcome.replaced_source_id, "archived", -1)
                else:
                    # An earlier run's copy: this run updated the article's row (when the
                    # copy is this run's, the article is already counted as new).
                    self.outcomes["updated"] += 1
                self.count(outcome.replaced_source_id, "dropped")
            self.crawler.stats.inc_value(f"newscrawl/articles_{outcome.action}")

    def fail(self, why: str) -> None:
        """Stop the crawl because the page at hand cannot be archived (its raw record
        cannot be written): the rows buffered so far, whose records are written, are
        stored first; the run ends as ``archive_error``, so the next one fetches again
        what this one lost."""
        self.flush()
        if not self.error:
            self._stop(why, 1, stopping=False)

    def _stop(self, why: str, lost: int, stopping: bool) -> None:
        """The archive refuses writes (disk full, read-only, I/O error), or the WARC
        records a batch points at cannot be made durable: the batch's transaction left
        nothing behind; stop the crawl with one clear line instead of fetching pages
        that cannot be stored."""
        rows = "row was" if lost == 1 else f"{lost} rows were"
        self.error = f"{why} (the crawl stopped; the last {rows} not written)"
        logger.error(self.error)
        self.crawler.stats.set_value("newscrawl/archive_error", self.error)
        engine = self.crawler.engine
        if not stopping and engine is not None and engine.spider is not None:
            deferred_from_coro(engine.close_spider_async(reason=ARCHIVE_ERROR))

    def summary(self) -> dict[str, Any]:
        """Counts of this run so far (for progress lines)."""
        totals = Counter()
        for counts in self.funnel.values():
            totals.update(counts)
        return {**dict(totals), **{f"articles_{k}": v for k, v in self.outcomes.items()}}
