"""How one stored item becomes rows of the archive.

An article is inserted, or updated in place with its previous version copied to
``revisions`` when its content changed; a 304 answer moves an article's last fetch
forward; mentions are rewritten and ``articles.artists`` recomputed; a drop is recorded
in the ledger. :class:`ArchiveRows` is mixed into :class:`~newscrawl.store.Archive`,
whose ``write_batch`` calls these methods inside one transaction: nothing here commits.
The value types of a batch (:class:`Drop`, :class:`StoreOutcome`) live here too.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from newscrawl.items import Article, Mention, NotModified
from newscrawl.urls import site_of

if TYPE_CHECKING:
    from sqlite_utils import Database


# Fields compared to decide what changed between two versions of an article.
REVISION_FIELDS = ("title", "description", "authors", "published_at", "modified_at", "body")

# articles.artists of the article ``{article}`` (an SQL expression): the canonical names
# of the artists its mentions name, most salient first.
ARTICLE_ARTISTS = (
    "(select json_group_array(name) from (select ar.name from mentions m"
    " join artists ar on ar.id = m.artist_id where m.article_id = {article}"
    " order by m.salience desc, ar.name))"
)


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
    not_article, soft_404, blocked, extraction_failed, no_artist, not_selected, duplicate, before_since,
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


def json_text(value: Any) -> str | None:
    """``value`` as the JSON text of a column (None stays NULL; dict keys sorted)."""
    if value is None:
        return None
    return json.dumps(value, ensure_ascii=False, sort_keys=isinstance(value, dict))


class ArchiveRows:
    """The row writes of :class:`~newscrawl.store.Archive` (module docstring)."""

    db: Database
    _known_sources: set[str]
    _source_rows: dict[str, dict]

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
        fields = {"fetched_at": fetched_at, "discovery": json_text(answer.discovery)}
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
                json_text(list(changed)),
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
                    json_text(list(m.snippets)),
                    round(float(m.salience), 4),
                    json_text(m.spans) if m.spans else None,
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
            "authors": json_text(list(article.authors)),
            "published_at": published,
            "modified_at": article.modified_at or None,
            "published_month": published[:7] if published and len(published) >= 7 else None,
            "section": article.section,
            "tags": json_text(list(article.tags)),
            "language": article.language,
            "image_url": article.image_url,
            "body": article.body,
            "word_count": article.word_count,
            "is_paywalled": None if article.is_paywalled is None else int(article.is_paywalled),
            "is_gallery": int(article.is_gallery),
            "content_hash": article.content_hash,
            "provenance": json_text(article.provenance),
            "discovery": json_text(article.discovery),
            "fetched_at": article.fetched_at or utcnow(),
            "warc_file": article.warc_file,
            "warc_offset": article.warc_offset,
            "extractor_version": article.extractor_version or None,
            "etag": article.etag or None,
            "last_modified": article.last_modified or None,
            "run_id": run_id,
        }
