"""The archive's schema, as ``sqlite_utils.Migrations`` steps.

The pending steps run in one write transaction together with their records in
``_sqlite_migrations`` (see :func:`apply`), so a crash mid-migration leaves the previous
schema intact, re-running applies only what is pending, and two processes opening a
new archive at once do not both migrate it. Add new steps at the end; never edit one
that has shipped.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator
from typing import Any

from sqlite_utils import Database, Migrations

from newscrawl import co_mention_pairs

migrations = Migrations("newscrawl")

ARTICLE_COLUMNS = {
    "id": int,
    "canonical_url": str,
    "url": str,
    "source_id": str,
    "title": str,
    "description": str,
    "authors": str,  # JSON list of names
    "published_at": str,
    "modified_at": str,
    "published_month": str,  # YYYY-MM of published_at, for facets
    "section": str,
    "tags": str,  # JSON list
    "language": str,
    "image_url": str,
    "body": str,
    "word_count": int,
    "is_paywalled": int,  # 1 / 0 / NULL
    "content_hash": str,
    "provenance": str,  # JSON object
    "artists": str,  # JSON list of canonical names, denormalised for array facets
    "discovery": str,  # JSON object: how the URL was found
    "first_seen_at": str,
    "fetched_at": str,
    "changed_at": str,
    "revision_count": int,
    "warc_file": str,
    "warc_offset": int,
    "extractor_version": str,
    "run_id": int,  # the crawl run that last wrote the row
}


@migrations()
def m001_core_tables(db: Database) -> None:
    db["sources"].create(
        {
            "id": str,
            "name": str,
            "homepage": str,
            "allowed_domains": str,
            "config": str,
            "updated_at": str,
        },
        pk="id",
    )
    db["artists"].create(
        {
            "id": str,
            "name": str,
            "aliases": str,
            "wikidata": str,
            "updated_at": str,
        },
        pk="id",
    )
    db["crawl_runs"].create(
        {
            "id": int,
            "spider": str,
            "args": str,
            "settings": str,
            "started_at": str,
            "finished_at": str,
            "finish_reason": str,
            "discovered": int,
            "requested": int,
            "pages_fetched": int,
            "pages_skipped": int,
            "articles_new": int,
            "articles_updated": int,
            "articles_unchanged": int,
            "dropped": int,
            "stats": str,
            "host": str,
            "pid": int,
            "newscrawl_version": str,
        },
        pk="id",
    )
    db["articles"].create(
        ARTICLE_COLUMNS,
        pk="id",
        not_null={"canonical_url", "url", "source_id"},
        defaults={"revision_count": 0},
        foreign_keys=[("source_id", "sources", "id"), ("run_id", "crawl_runs", "id")],
    )
    db["articles"].create_index(["canonical_url"], unique=True)
    db["articles"].create_index(["url"])
    db["articles"].create_index(["source_id", "published_at"])
    db["articles"].create_index(["published_at"])
    db["articles"].create_index(["published_month"])
    db["articles"].create_index(["content_hash"])
    db["mentions"].create(
        {
            "article_id": int,
            "artist_id": str,
            "count": int,
            "in_title": int,
            "first_offset": int,
            "snippets": str,
            "salience": float,
        },
        pk=("article_id", "artist_id"),
        foreign_keys=[("article_id", "articles", "id"), ("artist_id", "artists", "id")],
    )
    db["mentions"].create_index(["artist_id", "salience"])
    db["revisions"].create(
        {
            "id": int,
            "article_id": int,
            "revision": int,
            "seen_from": str,
            "seen_until": str,
            "changed_fields": str,
            "title": str,
            "description": str,
            "authors": str,
            "published_at": str,
            "modified_at": str,
            "body": str,
            "word_count": int,
            "content_hash": str,
            "warc_file": str,
            "warc_offset": int,
            "run_id": int,
        },
        pk="id",
        foreign_keys=[("article_id", "articles", "id"), ("run_id", "crawl_runs", "id")],
    )
    db["revisions"].create_index(["article_id", "revision"], unique=True)
    db["drops"].create(
        {
            "id": int,
            "url": str,
            "source_id": str,
            "stage": str,
            "reason": str,
            "detail": str,
            "status": int,
            "run_id": int,
            "first_run_id": int,
            "seen_count": int,
            "first_seen_at": str,
            "last_seen_at": str,
        },
        pk="id",
        not_null={"url", "stage", "reason"},
        foreign_keys=[("run_id", "crawl_runs", "id")],
    )
    db["drops"].create_index(["url"], unique=True)
    db["drops"].create_index(["run_id", "reason"])
    db["drops"].create_index(["source_id", "reason"])
    db["run_sources"].create(
        {
            "run_id": int,
            "source_id": str,
            "discovered": int,
            "requested": int,
            "fetched": int,
            "skipped": int,
            "archived": int,
            "dropped": int,
        },
        pk=("run_id", "source_id"),
        foreign_keys=[("run_id", "crawl_runs", "id")],
    )


@migrations()
def m002_full_text_search(db: Database) -> None:
    # Porter stemming so "duets" finds "duet"; triggers keep the index current on
    # every insert, update and delete of an article.
    db["articles"].enable_fts(
        ["title", "description", "body"], create_triggers=True, tokenize="porter"
    )


@migrations()
def m003_views(db: Database) -> None:
    db.create_view(
        "co_mentions",
        """
        select
          a.article_id,
          a.artist_id as artist_a,
          b.artist_id as artist_b,
          a.salience as salience_a,
          b.salience as salience_b,
          min(a.salience, b.salience) as joint_salience
        from mentions a
        join mentions b on a.article_id = b.article_id and a.artist_id < b.artist_id
        """,
    )
    db.create_view(
        "coverage_by_month",
        """
        select
          m.artist_id,
          ar.published_month as month,
          ar.source_id,
          count(*) as articles,
          round(avg(m.salience), 3) as mean_salience
        from mentions m
        join articles ar on ar.id = m.article_id
        where ar.published_month is not null
        group by m.artist_id, ar.published_month, ar.source_id
        """,
    )


@migrations()
def m004_fts_reindex_on_text_change(db: Database) -> None:
    # m002's update trigger re-indexed an article (an FTS delete and insert of its whole
    # text) on any update: a refetch that changed only fetched_at, the artists list
    # written after the mentions. Only a change of an indexed column needs it.
    db.execute("drop trigger if exists articles_au")
    db.execute(
        """
        create trigger articles_au after update of title, description, body on articles
        begin
          insert into articles_fts (articles_fts, rowid, title, description, body)
            values ('delete', old.rowid, old.title, old.description, old.body);
          insert into articles_fts (rowid, title, description, body)
            values (new.rowid, new.title, new.description, new.body);
        end
        """
    )


# One cell per (artist, month, publisher): what coverage_by_month used to compute from
# every mention at each read (seconds on a large archive, past Datasette's time limit).
# Saliences are summed as integers (units of 1e-4, the precision the store keeps), so
# adding and removing mentions never drifts.
_COVERAGE_TRIGGERS = (
    """
    create trigger mentions_coverage_ai after insert on mentions begin
      insert into coverage_monthly (artist_id, month, source_id, articles, salience_e4)
        select new.artist_id, a.published_month, a.source_id, 1,
               cast(round(new.salience * 10000) as integer)
        from articles a where a.id = new.article_id and a.published_month is not null
        on conflict (artist_id, month, source_id) do update set
          articles = articles + 1, salience_e4 = salience_e4 + excluded.salience_e4;
    end
    """,
    """
    create trigger mentions_coverage_ad after delete on mentions begin
      update coverage_monthly set
          articles = articles - 1,
          salience_e4 = salience_e4 - cast(round(old.salience * 10000) as integer)
        where (artist_id, month, source_id) =
          (select old.artist_id, a.published_month, a.source_id
           from articles a where a.id = old.article_id);
      delete from coverage_monthly where articles <= 0 and (artist_id, month, source_id) =
          (select old.artist_id, a.published_month, a.source_id
           from articles a where a.id = old.article_id);
    end
    """,
    """
    create trigger mentions_coverage_au after update of article_id, artist_id, salience
    on mentions begin
      update coverage_monthly set
          articles = articles - 1,
          salience_e4 = salience_e4 - cast(round(old.salience * 10000) as integer)
        where (artist_id, month, source_id) =
          (select old.artist_id, a.published_month, a.source_id
           from articles a where a.id = old.article_id);
      delete from coverage_monthly where articles <= 0 and (artist_id, month, source_id) =
          (select old.artist_id, a.published_month, a.source_id
           from articles a where a.id = old.article_id);
      insert into coverage_monthly (artist_id, month, source_id, articles, salience_e4)
        select new.artist_id, a.published_month, a.source_id, 1,
               cast(round(new.salience * 10000) as integer)
        from articles a where a.id = new.article_id and a.published_month is not null
        on conflict (artist_id, month, source_id) do update set
          articles = articles + 1, salience_e4 = salience_e4 + excluded.salience_e4;
    end
    """,
    """
    create trigger articles_coverage_au after update of published_month, source_id
    on articles
    when old.published_month is not new.published_month or old.source_id is not new.source_id
    begin
      update coverage_monthly set
          articles = articles - 1,
          salience_e4 = salience_e4 - (
            select cast(round(m.salience * 10000) as integer) from mentions m
            where m.article_id = old.id and m.artist_id = coverage_monthly.artist_id)
        where month = old.published_month and source_id = old.source_id
          and artist_id in (select artist_id from mentions where article_id = old.id);
      delete from coverage_monthly
        where month = old.published_month and source_id = old.source_id and articles <= 0
          and artist_id in (select artist_id from mentions where article_id = old.id);
      insert into coverage_monthly (artist_id, month, source_id, articles, salience_e4)
        select m.artist_id, new.published_month, new.source_id, 1,
               cast(round(m.salience * 10000) as integer)
        from mentions m where m.article_id = new.id and new.published_month is not null
        on conflict (artist_id, month, source_id) do update set
          articles = articles + 1, salience_e4 = salience_e4 + excluded.salience_e4;
    end
    """,
    """
    create trigger articles_coverage_ad after delete on articles begin
      update coverage_monthly set
          articles = articles - 1,
          salience_e4 = salience_e4 - (
            select cast(round(m.salience * 10000) as integer) from mentions m
            where m.article_id = old.id and m.artist_id = coverage_monthly.artist_id)
        where month = old.published_month and source_id = old.source_id
          and artist_id in (select artist_id from mentions where article_id = old.id);
      delete from coverage_monthly
        where month = old.published_month and source_id = old.source_id and articles <= 0;
    end
    """,
)


def refresh_derived(conn: Any) -> None:
    """Recompute the tables the triggers keep current (coverage_monthly,
    co_mention_counts, articles_monthly, co_mention_pairs) from mentions and articles: after a bulk load
    that bypassed the triggers, or to repair."""
    refresh_coverage_monthly(conn)
    refresh_co_mention_counts(conn)
    refresh_articles_monthly(conn)
    if conn.execute(
        "select 1 from sqlite_master where type = 'table' and name = ?",
        [co_mention_pairs.TABLE],
    ).fetchone():
        co_mention_pairs.refresh(conn)


def refresh_coverage_monthly(conn: Any) -> None:
    """Recompute coverage_monthly from mentions and articles."""
    conn.execute("delete from coverage_monthly")
    conn.execute(
        """
        insert into coverage_monthly (artist_id, month, source_id, articles, salience_e4)
        select m.artist_id, a.published_month, a.source_id, count(*),
               sum(cast(round(m.salience * 10000) as integer))
        from mentions m join articles a on a.id = m.article_id
        where a.published_month is not null
        group by m.artist_id, a.published_month, a.source_id
        """
    )


@migrations()
def m005_coverage_table(db: Database) -> None:
    db.execute(
        """
        create table coverage_monthly (
          artist_id text not null references artists(id),
          month text not null,
          source_id text not null references sources(id),
          articles integer not null,
          salience_e4 integer not null,
          primary key (artist_id, month, source_id)
        )
        """
    )
    for trigger in _COVERAGE_TRIGGERS:
        db.execute(trigger)
    refresh_coverage_monthly(db.conn)
    db.execute("drop view coverage_by_month")
    db.create_view(
        "coverage_by_month",
        """
        select
          artist_id,
          month,
          source_id,
          articles,
          round(salience_e4 / 10000.0 / articles, 3) as mean_salience
        from coverage_monthly
        """,
    )


@migrations()
def m006_ingest_runs(db: Database) -> None:
    # Redis mode: which worker runs `newscrawl ingest` applied, up to which message, so a
    # replayed batch is skipped exactly (see newscrawl/scale/ingest.py).
    db.execute(
        """
        create table ingest_runs (
          run_key text primary key,
          run_id integer not null,
          worker text,
          last_seq integer not null,
          active_artists text,
          counts text
        )
        """
    )


# A narrow copy of what a search's count and facets read from each matching article.
# Datasette counts and facets a search as `... from articles where id in (select rowid
# from articles_fts where ...)`: one lookup per match, and in the table each lookup
# lands on a leaf page holding (most of) one article body. This index holds only id,
# publisher and month, ~130 per page, so those lookups stay in a few MB of cache
# (count and publisher/month facets 2-3x faster at 1,000,000 articles,
# docs/benchmarks.md). SQLite takes it instead of the rowid lookup only when it knows
# that an id matches one entry: ANALYZE says so, and so does the sqlite_stat1 row
# written here (SQLite documents hand-written statistics for exactly this; a later
# ANALYZE writes the same "N 1 1 1").
SEARCH_FACETS_INDEX = "articles_search_facets"
SEARCH_FACETS_STAT = "1000000 1 1 1"


def write_search_facets_stat(db: Database) -> None:
    """The planner's statistics row for the search facets index (idempotent)."""
    db.execute("analyze sqlite_schema")  # creates sqlite_stat1 when missing, nothing else
    db.execute("delete from sqlite_stat1 where tbl = 'articles' and idx = ?", [SEARCH_FACETS_INDEX])
    db.execute(
        "insert into sqlite_stat1 (tbl, idx, stat) values ('articles', ?, ?)",
        [SEARCH_FACETS_INDEX, SEARCH_FACETS_STAT],
    )


@migrations()
def m007_search_facets_index(db: Database) -> None:
    db.execute(
        f"create unique index {SEARCH_FACETS_INDEX} on articles (id, source_id, published_month)"
    )
    write_search_facets_stat(db)


# One row per ordered pair of artists mentioned in the same article, with the number of
# such articles: the artist facet of an artist's articles (who else they mention) read
# instead of joined from every mention of a much-covered artist (hundreds of thousands
# of rows at 1,000,000 articles: past Datasette's facet time limit). Both orders are
# stored so that one artist's row range answers it. Kept by triggers on mentions.
# The pairs an article gains with mention ``new``, in both orders.
_PAIRS_ADD = """
      insert into co_mention_counts (artist_id, other_artist_id, articles)
        select new.artist_id, m.artist_id, 1 from mentions m
        where m.article_id = new.article_id and m.artist_id != new.artist_id
        on conflict (artist_id, other_artist_id) do update set articles = articles + 1;
      insert into co_mention_counts (artist_id, other_artist_id, articles)
        select m.artist_id, new.artist_id, 1 from mentions m
        where m.article_id = new.article_id and m.artist_id != new.artist_id
        on conflict (artist_id, other_artist_id) do update set articles = articles + 1;
"""
# The pairs an article loses with mention ``old`` (its partners: the article's other
# mentions, {others} narrowing them further), in both orders.
_PAIRS_REMOVE = """
      update co_mention_counts set articles = articles - 1
        where artist_id = old.artist_id and other_artist_id in
          (select artist_id from mentions where article_id = old.article_id{others});
      update co_mention_counts set articles = articles - 1
        where other_artist_id = old.artist_id and artist_id in
          (select artist_id from mentions where article_id = old.article_id{others});
      delete from co_mention_counts where articles <= 0
        and (artist_id = old.artist_id or other_artist_id = old.artist_id);
"""
_PAIR_TRIGGERS = (
    f"create trigger mentions_pairs_ai after insert on mentions begin {_PAIRS_ADD} end",
    "create trigger mentions_pairs_ad after delete on mentions begin "
    + _PAIRS_REMOVE.format(others="")
    + " end",
    # The store never rewrites a mention's key (it upserts on it); a direct edit that
    # does is a delete of the old pairs and an insert of the new ones. The edited row
    # already holds its new key here, so it is left out of the old article's partners.
    """
    create trigger mentions_pairs_au after update of article_id, artist_id on mentions
    when old.article_id is not new.article_id or old.artist_id is not new.artist_id
    begin """
    + _PAIRS_REMOVE.format(others=" and rowid != new.rowid")
    + _PAIRS_ADD
    + " end",
)


def refresh_co_mention_counts(conn: Any) -> None:
    """Recompute co_mention_counts from mentions."""
    conn.execute("delete from co_mention_counts")
    conn.execute(
        """
        insert into co_mention_counts (artist_id, other_artist_id, articles)
        select a.artist_id, b.artist_id, count(*)
        from mentions a join mentions b on b.article_id = a.article_id
        where b.artist_id != a.artist_id
        group by a.artist_id, b.artist_id
        """
    )


@migrations()
def m008_co_mention_counts(db: Database) -> None:
    db.execute(
        """
        create table co_mention_counts (
          artist_id text not null references artists(id),
          other_artist_id text not null references artists(id),
          articles integer not null,
          primary key (artist_id, other_artist_id)
        )
        """
    )
    for trigger in _PAIR_TRIGGERS:
        db.execute(trigger)
    refresh_co_mention_counts(db)


@migrations()
def m009_mentions_by_artist(db: Database) -> None:
    # "Articles mentioning artist X" (the ?_artist= filter, export --artist) read the
    # (artist_id, salience) index and then each mention row for its article_id: ~3 us a
    # mention, over a second for an artist with 400,000 articles. This index holds the
    # article ids of an artist in order, so that list is one range read that SQLite can
    # use as it is. (artist_id, salience) stays for "most salient first".
    db["mentions"].create_index(["artist_id", "article_id"], if_not_exists=True)


# Dated articles per (publisher, month), whatever artists they mention (coverage_monthly
# counts an article once per artist). The publisher and month facets of the whole
# table, of one publisher's articles (the publisher facet's link) and of one month's
# read it instead of grouping every article: at 1,000,000 articles one publisher's page
# had its artist and month facets time out (docs/benchmarks.md). Kept by triggers on
# articles; undated articles are left out, as in coverage_monthly.
_ARTICLES_MONTHLY_ADD = """
      insert into articles_monthly (source_id, month, articles)
        select new.source_id, new.published_month, 1 where new.published_month is not null
        on conflict (source_id, month) do update set articles = articles + 1;
"""
_ARTICLES_MONTHLY_REMOVE = """
      update articles_monthly set articles = articles - 1
        where source_id = old.source_id and month = old.published_month;
      delete from articles_monthly
        where source_id = old.source_id and month = old.published_month and articles <= 0;
"""
_ARTICLES_MONTHLY_TRIGGERS = (
    "create trigger articles_monthly_ai after insert on articles begin"
    f" {_ARTICLES_MONTHLY_ADD} end",
    "create trigger articles_monthly_ad after delete on articles begin"
    f" {_ARTICLES_MONTHLY_REMOVE} end",
    """
    create trigger articles_monthly_au after update of published_month, source_id
    on articles
    when old.published_month is not new.published_month or old.source_id is not new.source_id
    begin """
    + _ARTICLES_MONTHLY_REMOVE
    + _ARTICLES_MONTHLY_ADD
    + " end",
)


def refresh_articles_monthly(conn: Any) -> None:
    """Recompute articles_monthly from articles."""
    conn.execute("delete from articles_monthly")
    conn.execute(
        """
        insert into articles_monthly (source_id, month, articles)
        select source_id, published_month, count(*) from articles
        where published_month is not null
        group by source_id, published_month
        """
    )


@migrations()
def m010_articles_monthly(db: Database) -> None:
    db.execute(
        """
        create table articles_monthly (
          source_id text not null references sources(id),
          month text not null,
          articles integer not null,
          primary key (source_id, month)
        )
        """
    )
    db.execute("create index articles_monthly_by_month on articles_monthly (month, source_id)")
    # One publisher's or one month's rows of coverage_monthly (its key leads with the
    # artist), for the artist facet of those pages.
    db.execute("create index coverage_monthly_by_source on coverage_monthly (source_id, month)")
    db.execute("create index coverage_monthly_by_month on coverage_monthly (month, source_id)")
    # One publisher's articles newest first (that page's rows): the (source_id,
    # published_at) index had to sort all of them by id, 50 ms for 125,000.
    db.execute("create index articles_by_source on articles (source_id)")
    for trigger in _ARTICLES_MONTHLY_TRIGGERS:
        db.execute(trigger)
    refresh_articles_monthly(db.conn)


# Deleting an article (a publisher's takedown request: `delete from articles where id =
# ?`, from any SQLite client, with or without foreign keys on) takes its mentions and
# revisions with it. The mentions go first, while the article row still exists, so that
# their own delete triggers take them out of coverage_monthly (which needs the row's month
# and publisher) and co_mention_counts; the article's own delete triggers then take it
# out of articles_monthly and the FTS index. Without this a delete left orphan mentions
# still counted in co_mention_counts and listed by co_mentions, and orphan revisions.
# m005's articles_coverage_ad took the article's mentions out of coverage_monthly after
# the delete; with the mentions gone by then it found none (no double count) and only
# scanned the month's cells, so it is dropped: mentions_coverage_ad alone keeps
# coverage_monthly right.
ARTICLES_DELETE_TRIGGER = """
    create trigger articles_dependents_bd before delete on articles begin
      delete from mentions where article_id = old.id;
      delete from revisions where article_id = old.id;
    end
"""


@migrations()
def m011_article_delete_takes_dependents(db: Database) -> None:
    db.execute("drop trigger if exists articles_coverage_ad")
    db.execute(ARTICLES_DELETE_TRIGGER)
    # Rows orphaned by deletes made before this step go too. The derived tables still
    # counted orphan mentions' pairs (and a reused article id may have met them), so they
    # are recomputed when there were any; an archive without orphans skips that.
    orphans = db.execute(
        "delete from mentions where article_id not in (select id from articles)"
    ).rowcount
    db.execute("delete from revisions where article_id not in (select id from articles)")
    if orphans:
        refresh_derived(db.conn)


@migrations()
def m012_mention_spans(db: Database) -> None:
    # Where each counted mention is, so the article page highlights exactly what was
    # counted (weak aliases and case-sensitive names included), not a re-match of the
    # names and aliases the artists table holds. NULL for mentions stored before.
    if "spans" not in db["mentions"].columns_dict:
        db.execute("alter table mentions add column spans text")


PUBLISHED_MONTH = "case when length({0}) >= 7 then substr({0}, 1, 7) end"


@migrations()
def m013_published_month_follows_published_at(db: Database) -> None:
    # The store writes both columns; these keep a hand edit of published_at (a fix made
    # in SQL) from leaving the month, and so the month facets, behind.
    month = PUBLISHED_MONTH.format("new.published_at")
    for event in ("insert", "update of published_at"):
        name = "articles_month_ai" if event == "insert" else "articles_month_au"
        db.execute(
            f"create trigger {name} after {event} on articles"
            f" when new.published_month is not ({month})"
            f" begin update articles set published_month = ({month}) where id = new.id; end"
        )


@migrations()
def m014_runs_count_reextracted_articles(db: Database) -> None:
    # A reextract run refreshes archived versions in place: neither new, updated nor
    # unchanged, so its run row said 0, 0, 0 for a run that rewrote every article.
    if "articles_reextracted" not in db["crawl_runs"].columns_dict:
        db.execute(
            "alter table crawl_runs add column articles_reextracted integer not null default 0"
        )


@migrations()
def m015_article_validators(db: Database) -> None:
    # The ETag / Last-Modified of the response an article was last fetched in full from:
    # a refetch sends them back (If-None-Match / If-Modified-Since) and a publisher whose
    # page did not change answers 304 with no body (newscrawl/conditional.py). NULL for
    # articles stored before, and for publishers that send neither: fetched in full.
    columns = db["articles"].columns_dict
    for name in ("etag", "last_modified"):
        if name not in columns:
            db.execute(f"alter table articles add column {name} text")


@migrations()
def m016_co_mention_pairs(db: Database) -> None:
    # The co_mentions view computed every pair of mentions on each page: 3 s at
    # 1,000,000 articles. It now reads a table kept by triggers (newscrawl/co_mention_pairs.py).
    co_mention_pairs.create(db)


@migrations()
def m017_article_is_gallery(db: Database) -> None:
    # Photo galleries are archived flagged, their body the slides' captions
    # (newscrawl/extract/gallery.py). NULL for articles stored before: not known until
    # `newscrawl reextract` reads their pages again.
    if "is_gallery" not in db["articles"].columns_dict:
        db.execute("alter table articles add column is_gallery integer")


@migrations()
def m018_mentions_table_page(db: Database) -> None:
    # The mentions table page lists the most salient mentions first and offers an
    # in_title facet; both read every mention row (snippets and spans included): 0.18 s
    # and 0.44 s of its 0.76 s at 1,000,000 articles. The first index is that order
    # (ties by key, as the sort-ties plugin adds), so a page is a range of it; the
    # second makes the facet a scan of one small index.
    db.execute(
        "create index if not exists mentions_by_salience"
        " on mentions (salience desc, article_id, artist_id)"
    )
    db.execute("create index if not exists mentions_by_in_title on mentions (in_title)")


def apply(db: Database) -> None:
    """Bring ``db`` up to the latest schema (idempotent).

    The pending steps run in one transaction that holds the write lock from its start
    (``BEGIN IMMEDIATE``, waiting out the connection's busy timeout), and what is
    pending is decided again inside it: two processes opening a new archive at once
    (two crawls started by cron, a crawl and ``newscrawl serve``) migrate it once, the
    second waits and finds nothing left to do. Each step is a savepoint of that
    transaction, so a crash leaves the previous schema intact."""
    if not migrations.pending(db):
        return
    with immediate_transaction(db.conn):
        migrations.apply(db)


@contextlib.contextmanager
def immediate_transaction(conn: sqlite3.Connection) -> Iterator[None]:
    """``BEGIN IMMEDIATE`` ... ``COMMIT``, rolled back if the block or the commit fails.

    Taking the write lock at the start lets the transaction wait out the connection's
    busy timeout for another writer; a plain ``BEGIN`` that reads first fails its first
    write at once with "database is locked" when another connection wrote meanwhile."""
    conn.execute("begin immediate")
    try:
        yield
        conn.execute("commit")
    except BaseException:
        if conn.in_transaction:
            conn.execute("rollback")
        raise
