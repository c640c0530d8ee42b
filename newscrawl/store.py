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
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

from sqlite_utils import Database

from newscrawl import __version__, schema
from newscrawl.errors import NewscrawlError
from newscrawl.items import Article, Mention, NotModified
from newscrawl.urls import site_of

# Fields compared to decide what changed between two versions of an article.
REVISION_FIELDS = ("title", "description", "authors", "published_at", "modified_at", "body")


# Tables whose presence makes an SQLite file a newscrawl archive.
ARCHIVE_TABLES = ("articles", "mentions", "artists", "sources", "crawl_runs", "articles_fts")

# articles.artists of the article ``{article}`` (an SQL expression): the canonical names
# of the artists its mentions name, most salient first.
ARTICLE_ARTISTS = (
    "(select json_group_array(name) from (select ar.name from mentions m"
    " join artists ar on ar.id = m.artist_id where m.article_id = {article}"
    " order by m.salience desc, ar.name))"
)


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


REDIRECTED_PREFIX = "redirects to "
"""``drops.detail`` of a ``redirected`` row: this prefix, then the archived final URL."""


def utcnow() -> str:
    """Now, as ISO 8601 UTC with seconds precision."""
    return datetime.now(UTC).replace(microsecond=0).isoformat()


@dataclass
class Drop:
    """A URL that was found but not archived, and why (one ``drops`` row)."""

    url: str
    stage: str
    """Where it left the funnel: discover, fetch, extract, tag, dedupe, store."""
    reason: str
    """Short code: robots, offsite, off_pattern, budget, depth, http_status, fetch_error,
    redirect_loop, redirected (archived under the URL it redirects to), not_html, too_large,
    not_article, extraction_failed, no_artist, not_selected, duplicate, before_since,
    removed, throttled."""
    source_id: str | None = None
    detail: str | None = None
    status: int | None = None


@dataclass
class StoreOutcome:
    """What :meth:`Archive.write_batch` did with one article."""

    article_id: int
    action: str
    """new, updated (content changed; previous version kept in revisions), unchanged,
    replaced_copy (the publisher's original replaced a syndicated copy archived first),
    duplicate (a syndicated copy of an archived original: recorded in drops instead);
    when replaying WARC records also reextracted (a held version refreshed in place)
    or stale (older than the archived fetch; nothing written). A 304 answer
    (:class:`~newscrawl.items.NotModified`) is unchanged, or not_held when the archive
    no longer has the article (recorded in drops instead)."""
    changed_fields: tuple[str, ...] = ()
    replaced_source_id: str | None = None
    """For replaced_copy: the source of the copy that became a drop."""


def _json(value: Any) -> str | None:
    if value is None:
        return None
    return json.dumps(value, ensure_ascii=False, sort_keys=isinstance(value, dict))


class Archive:
    """A newscrawl archive database.

    Opening it applies pending migrations, switches to WAL (so Datasette can read while
    a crawl writes) and sets a busy timeout so brief lock contention waits, not fails.
    """

    def __init__(self, path: str | os.PathLike, *, busy_timeout_ms: int = 30_000) -> None:
        self.path = Path(path)
        if not self.path.parent.exists():
            raise NewscrawlError(f"{self.path}: folder {self.path.parent} does not exist")
        try:
            conn = sqlite3.connect(str(self.path), isolation_level=None, check_same_thread=False)
            conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
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
                "allowed_domains": _json(list(s.allowed_domains)),
                "config": _json(s.to_dict()) if hasattr(s, "to_dict") else None,
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
                "aliases": _json(list(getattr(a, "aliases", []) or [])),
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
                    _json(args or {}),
                    _json(settings or {}),
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
                    "stats": _json(stats or {}),
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

    _EXISTING = (
        "id",
        "url",
        "source_id",
        "content_hash",
        "title",
        "description",
        "authors",
        "published_at",
        "modified_at",
        "body",
        "word_count",
        "first_seen_at",
        "changed_at",
        "fetched_at",
        "revision_count",
        "warc_file",
        "warc_offset",
        "run_id",
    )

    def _existing(self, canonical_url: str) -> dict | None:
        found = self.db.conn.execute(
            f"select {', '.join(self._EXISTING)} from articles where canonical_url = ?",
            [canonical_url],
        ).fetchone()
        return dict(zip(self._EXISTING, found, strict=True)) if found else None

    def _existing_fetched_from(self, url: str) -> dict | None:
        found = self.db.conn.execute(
            f"select {', '.join(self._EXISTING)} from articles where url = ? limit 1", [url]
        ).fetchone()
        return dict(zip(self._EXISTING, found, strict=True)) if found else None

    def _ensure_source(self, source_id: str) -> None:
        # Re-extraction into a fresh archive meets sources no crawl synced yet: keep the
        # article and give its source the row of the given sources config, or a
        # placeholder (name = id) for a publisher that config does not list.
        if source_id in self._known_sources:
            return
        row = self._source_rows.get(source_id) or {
            "id": source_id,
            "name": source_id,
            "updated_at": utcnow(),
        }
        columns = ", ".join(row)
        self.db.conn.execute(
            f"insert or ignore into sources ({columns}) values ({', '.join('?' for _ in row)})",
            list(row.values()),
        )
        self._known_sources.add(source_id)

    def _write_article(
        self,
        article: Article,
        *,
        run_id: int | None,
        active: set[str] | None,
        now: str,
        replay: bool = False,
    ) -> StoreOutcome:
        conn = self.db.conn
        self._ensure_source(article.source_id)
        row = self._article_row(article, run_id=run_id)
        old = self._existing(article.canonical_url)
        if old is None:
            # The same page under a new canonical URL (the publisher renamed it): update
            # its row, not a second article fetched from the same URL.
            old = self._existing_fetched_from(article.url)
        if old is None:
            row.update(
                first_seen_at=row["fetched_at"], changed_at=row["fetched_at"], revision_count=0
            )
            columns = ", ".join(row)
            placeholders = ", ".join("?" for _ in row)
            cursor = conn.execute(
                f"insert into articles ({columns}) values ({placeholders})", list(row.values())
            )
            outcome = StoreOutcome(cursor.lastrowid, "new")
        elif replay and (held := self._refresh_in_place(old, row)):
            if held == "revision":
                # An earlier version, refreshed in its revisions row: the article's
                # mentions are the current version's, not this record's.
                return StoreOutcome(old["id"], "reextracted")
            outcome = StoreOutcome(old["id"], "reextracted")
        elif replay and row["fetched_at"] < (old["fetched_at"] or ""):
            # An older fetch than the archive holds: already part of its history.
            return StoreOutcome(old["id"], "stale")
        else:
            outcome = self._update_article(old, row, article, now=now)
            if outcome.action == "duplicate":
                return outcome
        self._write_mentions(outcome.article_id, article.mentions, active=active)
        # A replayed record says nothing about the page today: a "removed" row stays.
        conn.execute(
            "delete from drops where url = ?" + (" and reason != 'removed'" if replay else ""),
            [article.url],
        )
        if article.request_url and article.request_url != article.url:
            # The URL the spider asked for redirected here: the ledger keeps it, so that
            # the next run knows it is archived (as this article) and does not fetch it
            # on every run, and any earlier drop of it (a failed fetch) is replaced.
            self._write_drop(
                Drop(
                    article.request_url,
                    "fetch",
                    "redirected",
                    source_id=article.source_id,
                    detail=f"{REDIRECTED_PREFIX}{article.url}",
                ),
                run_id=run_id,
                now=now,
            )
        return outcome

    def _update_article(self, old: dict, row: dict, article: Article, *, now: str) -> StoreOutcome:
        canonical_site = site_of(article.canonical_url)
        old_is_copy = site_of(old["url"]) != canonical_site
        new_is_copy = site_of(article.url) != canonical_site
        if new_is_copy and not old_is_copy:
            # A syndicated copy never overwrites the publisher's own version (the dedupe
            # step drops it first; this keeps the store safe on its own).
            self._drop_copy(
                article.url, article.source_id, of=old["url"], run_id=row["run_id"], now=now
            )
            return StoreOutcome(old["id"], "duplicate")
        changed: tuple[str, ...] = ()
        action = "unchanged"
        replaced = None
        if old_is_copy and not new_is_copy:
            # The original replaces a copy archived before it: not a new version of the
            # story (the copy had its own dates and standfirst), and the copy's URL stays
            # accounted for in the ledger.
            self._drop_copy(
                old["url"], old["source_id"], of=row["url"], run_id=row["run_id"], now=now
            )
            action = "replaced_copy"
            replaced = old["source_id"]
        elif old["content_hash"] != article.content_hash:
            action = "updated"
            changed = tuple(f for f in REVISION_FIELDS if (old[f] or None) != (row[f] or None))
            self._keep_revision(old, changed, seen_until=row["fetched_at"] or now)
            row["changed_at"] = row["fetched_at"] or now
            row["revision_count"] = (old["revision_count"] or 0) + 1
        assignments = ", ".join(f"{c} = ?" for c in row)
        self.db.conn.execute(
            f"update articles set {assignments} where id = ?", [*row.values(), old["id"]]
        )
        return StoreOutcome(old["id"], action, changed, replaced_source_id=replaced)

    def _write_not_modified(
        self, answer: NotModified, *, run_id: int | None, now: str, replay: bool
    ) -> StoreOutcome:
        """A 304 to a conditional refetch: the archived version is still the page. Its
        fetch time, evidence and validators move forward (as an unchanged refetch's
        do); no revision, no mentions rewritten."""
        conn = self.db.conn
        old = self._existing_fetched_from(answer.url)
        if old is None:
            if replay:  # the response it confirms was not archived by this replay
                return StoreOutcome(0, "stale")
            # Deleted since the refetch was decided: fetched in full next run.
            detail = "HTTP 304 (not modified), but the archive no longer holds the page"
            drop = Drop(answer.url, "fetch", "http_status", answer.source_id, detail, 304)
            self._write_drop(drop, run_id=run_id, now=now)
            return StoreOutcome(0, "not_held")
        fetched_at = answer.fetched_at or now
        if replay and fetched_at <= (old["fetched_at"] or ""):
            return StoreOutcome(old["id"], "stale")
        fields = {"fetched_at": fetched_at, "discovery": _json(answer.discovery)}
        if not replay:
            fields["run_id"] = run_id
        assignments = ", ".join(f"{c} = ?" for c in fields)
        # A replayed revisit record has only the 304's own validators, often none: the
        # ones the request sent are those the archive holds.
        conn.execute(
            f"update articles set {assignments}, etag = coalesce(?, etag),"
            " last_modified = coalesce(?, last_modified) where id = ?",
            [*fields.values(), answer.etag, answer.last_modified, old["id"]],
        )
        conn.execute(
            "delete from drops where url = ?" + (" and reason != 'removed'" if replay else ""),
            [answer.url],
        )
        return StoreOutcome(old["id"], "unchanged")

    def _drop_copy(
        self, url: str, source_id: str, *, of: str, run_id: int | None, now: str
    ) -> None:
        drop = Drop(
            url, "dedupe", "duplicate", source_id=source_id, detail=f"syndicated copy of {of}"
        )
        self._write_drop(drop, run_id=run_id, now=now)

    def _refresh_in_place(self, old: dict, row: dict) -> str | None:
        """Re-extraction of a fetch the archive already holds: update that version
        (the article row or one of its revisions) in place, without a new revision.
        Returns which it was ("article" or "revision"), or None."""
        pointer = (row["warc_file"], row["warc_offset"])
        if row["warc_file"] is None:
            return None
        conn = self.db.conn
        if pointer == (old["warc_file"], old["warc_offset"]):
            keep = {"first_seen_at", "changed_at", "revision_count", "url", "source_id", "run_id"}
            if (old["fetched_at"] or "") > (row["fetched_at"] or ""):
                # A later 304 (a revisit record) confirmed this version: its last-fetch
                # bookkeeping stays, or the refresh policy would fetch the page again.
                keep |= {"fetched_at", "discovery", "etag", "last_modified"}
            fields = {k: v for k, v in row.items() if k not in keep}
            assignments = ", ".join(f"{c} = ?" for c in fields)
            conn.execute(
                f"update articles set {assignments} where id = ?", [*fields.values(), old["id"]]
            )
            return "article"
        fields = {k: row[k] for k in (*REVISION_FIELDS, "word_count", "content_hash")}
        assignments = ", ".join(f"{c} = ?" for c in fields)
        cursor = conn.execute(
            f"update revisions set {assignments}"
            " where article_id = ? and warc_file = ? and warc_offset = ?",
            [*fields.values(), old["id"], *pointer],
        )
        return "revision" if cursor.rowcount > 0 else None

    def _keep_revision(self, old: dict, changed: tuple[str, ...], *, seen_until: str) -> None:
        revision = (old["revision_count"] or 0) + 1
        self.db.conn.execute(
            "insert into revisions (article_id, revision, seen_from, seen_until, changed_fields,"
            " title, description, authors, published_at, modified_at, body, word_count,"
            " content_hash, warc_file, warc_offset, run_id)"
            " values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                old["id"],
                revision,
                old["changed_at"] or old["first_seen_at"],
                seen_until,
                _json(list(changed)),
                old["title"],
                old["description"],
                old["authors"],
                old["published_at"],
                old["modified_at"],
                old["body"],
                old["word_count"],
                old["content_hash"],
                old["warc_file"],
                old["warc_offset"],
                old["run_id"],
            ],
        )

    def _write_mentions(
        self, article_id: int, mentions: Sequence[Mention], *, active: set[str] | None
    ) -> None:
        conn = self.db.conn
        if active is None:
            conn.execute("delete from mentions where article_id = ?", [article_id])
        elif active:
            marks = ", ".join("?" for _ in active)
            conn.execute(
                f"delete from mentions where article_id = ? and artist_id in ({marks})",
                [article_id, *sorted(active)],
            )
        conn.executemany(
            # An upsert, not "insert or replace": a replace deletes without firing delete
            # triggers, and the coverage_monthly triggers count every mention once.
            "insert into mentions (article_id, artist_id, count, in_title,"
            " first_offset, snippets, salience, spans) values (?, ?, ?, ?, ?, ?, ?, ?)"
            " on conflict (article_id, artist_id) do update set count = excluded.count,"
            " in_title = excluded.in_title, first_offset = excluded.first_offset,"
            " snippets = excluded.snippets, salience = excluded.salience,"
            " spans = excluded.spans",
            [
                (
                    article_id,
                    m.artist_id,
                    m.count,
                    int(bool(m.in_title)),
                    m.first_offset,
                    _json(list(m.snippets)),
                    round(float(m.salience), 4),
                    _json(m.spans) if m.spans else None,
                )
                for m in mentions
            ],
        )
        conn.execute(
            f"update articles set artists = {ARTICLE_ARTISTS.format(article='?')} where id = ?",
            [article_id, article_id],
        )

    def _write_drop(self, drop: Drop, *, run_id: int | None, now: str) -> None:
        self.db.conn.execute(
            "insert into drops (url, source_id, stage, reason, detail, status, run_id,"
            " first_run_id, seen_count, first_seen_at, last_seen_at)"
            " values (?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?)"
            " on conflict(url) do update set source_id = coalesce(excluded.source_id, source_id),"
            " stage = excluded.stage, reason = excluded.reason, detail = excluded.detail,"
            " status = excluded.status, last_seen_at = excluded.last_seen_at,"
            " seen_count = seen_count + (run_id is not excluded.run_id),"
            " run_id = excluded.run_id",
            [
                drop.url,
                drop.source_id,
                drop.stage,
                drop.reason,
                (drop.detail or "")[:500] or None,
                drop.status,
                run_id,
                run_id,
                now,
                now,
            ],
        )

    @staticmethod
    def _article_row(article: Article, *, run_id: int | None) -> dict[str, Any]:
        published = article.published_at or None
        return {
            "canonical_url": article.canonical_url,
            "url": article.url,
            "source_id": article.source_id,
            "title": article.title,
            "description": article.description,
            "authors": _json(list(article.authors)),
            "published_at": published,
            "modified_at": article.modified_at or None,
            "published_month": published[:7] if published and len(published) >= 7 else None,
            "section": article.section,
            "tags": _json(list(article.tags)),
            "language": article.language,
            "image_url": article.image_url,
            "body": article.body,
            "word_count": article.word_count,
            "is_paywalled": None if article.is_paywalled is None else int(article.is_paywalled),
            "content_hash": article.content_hash,
            "provenance": _json(article.provenance),
            "discovery": _json(article.discovery),
            "fetched_at": article.fetched_at or utcnow(),
            "warc_file": article.warc_file,
            "warc_offset": article.warc_offset,
            "extractor_version": article.extractor_version or None,
            "etag": article.etag or None,
            "last_modified": article.last_modified or None,
            "run_id": run_id,
        }
