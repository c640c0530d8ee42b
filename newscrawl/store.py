"""The archive: one SQLite file, written in batches, read by Datasette while it grows.

``Archive`` is the only writer of the tables described in docs/schema.md. Every write
goes through :meth:`Archive.write_batch`, one transaction per batch, so a crash leaves
either the whole batch or none of it. Articles are keyed by ``canonical_url``: storing
the same article again updates it in place, and a changed ``content_hash`` first copies
the previous version to ``revisions``.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import sqlite3
import time
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import quote

from sqlite_utils import Database

from newscrawl import __version__, schema
from newscrawl.errors import NewscrawlError
from newscrawl.items import Article, NotModified
from newscrawl.store_rows import (  # noqa: F401 - Drop, StoreOutcome, utcnow are imported from here
    ARTICLE_ARTISTS,
    REDIRECTED_PREFIX,
    REVISION_FIELDS,
    ArchiveRows,
    Drop,
    StoreOutcome,
    json_text,
    utcnow,
)

# Tables whose presence makes an SQLite file a newscrawl archive.
ARCHIVE_TABLES = ("articles", "mentions", "artists", "sources", "crawl_runs", "articles_fts")


def open_readonly(path: str | os.PathLike) -> sqlite3.Connection:
    """Open an existing archive for reading, or raise a one-line :class:`NewscrawlError`
    saying why it cannot be (missing, not a file, not SQLite, not a newscrawl archive)."""
    path = Path(path)
    if not path.exists():
        raise NewscrawlError(f"{path}: no such archive")
    if not path.is_file():
        raise NewscrawlError(f"{path}: not a file")
    uri = f"file:{quote(str(path.resolve()))}?mode=ro"
    try:
        conn = sqlite3.connect(uri, uri=True, isolation_level=None)
        names = {r[0] for r in conn.execute("select name from sqlite_master where type = 'table'")}
    except sqlite3.DatabaseError as error:
        name = getattr(error, "sqlite_errorname", "")
        if name == "SQLITE_NOTADB":
            raise NewscrawlError(f"{path}: not an SQLite database ({error})") from None
        hint = ""
        if name.startswith(("SQLITE_READONLY", "SQLITE_CANTOPEN")):
            # A WAL archive is read through its -shm file, created next to it.
            hint = f" (SQLite must be able to create {path.name}-shm in its folder)"
        raise NewscrawlError(f"{path}: cannot read the archive: {error}{hint}") from None
    missing = [t for t in ARCHIVE_TABLES if t not in names]
    if missing:
        conn.close()
        raise NewscrawlError(f"{path}: not a newscrawl archive (no {', '.join(missing)} table)")
    return conn


def check_archive_folder(path: Path) -> None:
    """Raise :class:`NewscrawlError` (one line) unless the folder of the archive ``path``
    exists: one that does not, or a file where it should be, is named."""
    if not path.parent.is_dir():
        problem = "is a file, not a folder" if path.parent.exists() else "does not exist"
        raise NewscrawlError(f"{path}: folder {path.parent} {problem}")


def refuse_foreign_database(conn: sqlite3.Connection, path: Path) -> None:
    """Raise :class:`NewscrawlError` (one line) when ``path`` is an SQLite database of
    something else: tables, but no newscrawl migration recorded. Opening it as an
    archive would switch it to WAL and add newscrawl's tables beside the owner's; a
    mistyped ``--db`` must not change someone's database. An empty file, a new one and
    a newscrawl archive (of any schema version) pass."""
    tables = [
        name
        for (name,) in conn.execute(
            "select name from sqlite_master where type in ('table', 'view') order by name"
        )
        if not name.startswith("sqlite_")
    ]
    if not tables:
        return
    if "_sqlite_migrations" in tables:
        ours = conn.execute(
            "select 1 from _sqlite_migrations where migration_set = ? limit 1",
            [schema.migrations.name],
        ).fetchone()
        if ours:
            return
    shown = ", ".join(tables[:5]) + (f" and {len(tables) - 5} more" if len(tables) > 5 else "")
    raise NewscrawlError(
        f"{path}: an SQLite database that is not a newscrawl archive (it holds {shown});"
        " newscrawl leaves it unchanged: give a new file name for the archive"
    )


class Archive(ArchiveRows):
    """A newscrawl archive database.

    Opening it applies pending migrations, switches to WAL (so Datasette can read while
    a crawl writes) and sets a busy timeout so brief lock contention waits, not fails.
    """

    def __init__(self, path: str | os.PathLike, *, busy_timeout_ms: int = 30_000) -> None:
        self.path = Path(path)
        check_archive_folder(self.path)
        try:
            conn = sqlite3.connect(str(self.path), isolation_level=None, check_same_thread=False)
            conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
            try:
                refuse_foreign_database(conn, self.path)
            except NewscrawlError:
                conn.close()
                raise
            self.db = Database(conn)
            self._use_wal(busy_timeout_ms / 1000)
            # NORMAL is durable across application crashes in WAL mode; only an OS crash
            # can lose the last transactions, never corrupt the file.
            self.db.execute("PRAGMA synchronous = NORMAL")
            self.db.execute("PRAGMA foreign_keys = ON")
            schema.apply(self.db)
            self._known_sources: set[str] = set()
            # Rows for publishers first met while replaying (sync_sources(replace=False)).
            self._source_rows: dict[str, dict] = {}
        except sqlite3.DatabaseError as error:
            raise NewscrawlError(f"{self.path}: cannot open archive: {error}") from None

    @contextlib.contextmanager
    def transaction(self) -> Iterator[Archive]:
        """One write transaction (a savepoint when one is open already).

        It takes the write lock when it begins (``BEGIN IMMEDIATE``): a transaction that
        reads first and writes later (``BEGIN``, as ``Database.atomic`` does) cannot wait
        for another writer, SQLite fails its first write at once with "database is
        locked" when anyone else wrote in between. Beginning with the lock, a second
        writer on the same archive (another crawl, ``newscrawl reextract``, a ``delete``
        in the ``sqlite3`` shell) waits up to the busy timeout instead."""
        conn = self.db.conn
        if conn.in_transaction:
            with self.db.atomic():
                yield self
            return
        with schema.immediate_transaction(conn):
            yield self

    def _use_wal(self, timeout: float) -> None:
        """Switch a new archive to WAL. Changing the journal mode takes an exclusive
        lock without calling the busy handler, so when another process opens the same
        new archive at that moment, try again (for up to ``timeout`` seconds)."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                if self.db.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal":
                    return
                if self.db.conn.execute("PRAGMA journal_mode = wal").fetchone()[0] == "wal":
                    return
            except sqlite3.OperationalError as error:
                if "locked" not in str(error) or time.monotonic() > deadline:
                    raise
            else:
                if time.monotonic() > deadline:
                    raise sqlite3.OperationalError("cannot switch to WAL: database is locked")
            time.sleep(0.05)

    def close(self) -> None:
        """Checkpoint the WAL and close the connection."""
        # A reader may hold the WAL; it is then checkpointed next time.
        with contextlib.suppress(sqlite3.OperationalError):
            self.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        self.db.close()

    def __enter__(self) -> Archive:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- reference data -------------------------------------------------------------

    def sync_sources(self, sources: Iterable[Any], *, replace: bool = True) -> None:
        """Upsert the configured sources (objects with id, name, homepage, allowed_domains).

        ``replace=False`` (re-extraction) writes nothing now: a publisher without a row
        gets this one when its first article is stored, and existing rows stay as they
        are, so replaying into an archive adds no publisher it has no article of."""
        now = utcnow()
        rows = [
            {
                "id": s.id,
                "name": s.name,
                "homepage": s.homepage,
                "allowed_domains": json_text(list(s.allowed_domains)),
                "config": json_text(s.to_dict()) if hasattr(s, "to_dict") else None,
                "updated_at": now,
            }
            for s in sources
        ]
        if not replace:
            self._source_rows.update((row["id"], row) for row in rows)
            return
        with self.transaction():
            self.db["sources"].upsert_all(rows, pk="id")

    def sync_artists(self, artists: Iterable[Any]) -> None:
        """Upsert the watched artists (objects with id, name, aliases, wikidata)."""
        now = utcnow()
        rows = [
            {
                "id": a.id,
                "name": a.name,
                "aliases": json_text(list(getattr(a, "aliases", []) or [])),
                "wikidata": getattr(a, "wikidata", None),
                "updated_at": now,
            }
            for a in artists
        ]
        with self.transaction():
            conn = self.db.conn
            before = dict(conn.execute("select id, name from artists").fetchall())
            self.db["artists"].upsert_all(rows, pk="id")
            # A corrected canonical name under the same id ("Beyonce" -> "Beyoncé", both
            # slug beyonce): articles.artists repeats the names, so the articles that
            # mention a renamed artist take the new one, or the artist facet (artists.name)
            # and ?artists__arraycontains= / a release's articles.artists would disagree.
            renamed = sorted(
                r["id"] for r in rows if r["id"] in before and before[r["id"]] != r["name"]
            )
            if renamed:
                conn.execute(
                    f"update articles set artists = {ARTICLE_ARTISTS.format(article='articles.id')}"
                    " where id in (select article_id from mentions"
                    " where artist_id in (select value from json_each(?)))",
                    [json.dumps(renamed)],
                )

    # -- crawl runs -----------------------------------------------------------------

    def start_run(
        self, *, spider: str, args: dict | None = None, settings: dict | None = None
    ) -> int:
        """Record the start of a crawl; returns the new ``crawl_runs.id``."""
        with self.transaction():
            cursor = self.db.execute(
                "insert into crawl_runs (spider, args, settings, started_at, host, pid,"
                " newscrawl_version) values (?, ?, ?, ?, ?, ?, ?)",
                [
                    spider,
                    json_text(args or {}),
                    json_text(settings or {}),
                    utcnow(),
                    socket.gethostname(),
                    os.getpid(),
                    __version__,
                ],
            )
        return cursor.lastrowid

    def finish_run(
        self,
        run_id: int,
        *,
        finish_reason: str,
        counts: dict[str, int],
        per_source: dict[str, dict[str, int]] | None = None,
        stats: dict | None = None,
    ) -> None:
        """Record how a crawl ended, its funnel counts, and the counts per source."""
        columns = (
            "discovered",
            "requested",
            "pages_fetched",
            "pages_skipped",
            "articles_new",
            "articles_updated",
            "articles_unchanged",
            "articles_reextracted",
            "dropped",
        )
        values = {c: int(counts.get(c, 0)) for c in columns}
        with self.transaction():
            self.db["crawl_runs"].update(
                run_id,
                {
                    "finished_at": utcnow(),
                    "finish_reason": finish_reason,
                    "stats": json_text(stats or {}),
                    **values,
                },
            )
            rows = [
                {"run_id": run_id, "source_id": source_id, **source_counts}
                for source_id, source_counts in sorted((per_source or {}).items())
            ]
            if rows:
                self.db["run_sources"].upsert_all(rows, pk=("run_id", "source_id"))

    # -- lookups --------------------------------------------------------------------

    def archived_page(self, url: str) -> dict | None:
        """The archived article fetched from ``url`` (or whose canonical URL it is)."""
        keys = (
            "id",
            "canonical_url",
            "url",
            "fetched_at",
            "first_seen_at",
            "published_at",
            "modified_at",
            "content_hash",
            "discovery",
            "etag",
            "last_modified",
        )
        query = f"select {', '.join(keys)} from articles where canonical_url = ? or url = ?"
        # The row fetched from this very URL first: when a syndicated copy (canonical_url
        # = url) and the URL's own row both exist, the URL's own row is the answer.
        rows = self.db.execute(query + " order by url = ? desc limit 1", [url, url, url]).fetchall()
        if not rows:
            # A URL that redirected to an archived article (drops reason "redirected").
            target = self.redirect_target(url)
            if target is not None:
                rows = self.db.execute(
                    query + " order by url = ? desc limit 1", [target, target, target]
                ).fetchall()
        return dict(zip(keys, rows[0], strict=True)) if rows else None

    def redirect_target(self, url: str) -> str | None:
        """The final URL of an archived article ``url`` redirected to, if recorded."""
        row = self.db.execute(
            "select detail from drops where url = ? and reason = 'redirected'", [url]
        ).fetchone()
        if row is None or not (row[0] or "").startswith(REDIRECTED_PREFIX):
            return None
        return row[0][len(REDIRECTED_PREFIX) :]

    def dropped_page(self, url: str) -> dict | None:
        """The ``drops`` row for ``url``, if any."""
        rows = list(self.db.query("select * from drops where url = ?", [url]))
        return rows[0] if rows else None

    def article_with_hash(self, content_hash: str) -> dict | None:
        """An archived article with exactly this content (for cross-URL duplicates)."""
        rows = list(
            self.db.query(
                "select id, canonical_url, url, source_id from articles"
                " where content_hash = ? order by id limit 1",
                [content_hash],
            )
        )
        return rows[0] if rows else None

    # -- writes ---------------------------------------------------------------------

    def write_batch(
        self,
        articles: Sequence[Article | NotModified],
        drops: Sequence[Drop] = (),
        *,
        run_id: int | None,
        active_artist_ids: Iterable[str] | None = None,
        replay: bool = False,
    ) -> list[StoreOutcome]:
        """Store ``articles`` and ``drops`` in one transaction.

        ``active_artist_ids`` are the artists the tagger looked for: an article's existing
        mentions of other artists are kept, so a crawl limited with ``-a artists=...``
        does not erase what a full crawl found. ``replay`` is for re-extraction from
        WARC records: a record the archive already holds (same WARC pointer) updates that
        version in place, and a record older than the archived fetch is skipped.
        A :class:`~newscrawl.items.NotModified` (a 304 answer, or its revisit record
        when replaying) moves its article's last-fetch bookkeeping forward.
        """
        active = set(active_artist_ids) if active_artist_ids is not None else None
        now = utcnow()
        outcomes: list[StoreOutcome] = []
        with self.transaction():
            for article in articles:
                if isinstance(article, NotModified):
                    outcome = self._write_not_modified(
                        article, run_id=run_id, now=now, replay=replay
                    )
                else:
                    outcome = self._write_article(
                        article, run_id=run_id, active=active, now=now, replay=replay
                    )
                outcomes.append(outcome)
            archived_urls = {a.url for a in articles}
            for drop in drops:
                if drop.url in archived_urls:
                    continue
                self._write_drop(drop, run_id=run_id, now=now)
        return outcomes
