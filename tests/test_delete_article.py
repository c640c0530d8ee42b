"""Deleting an article (a publisher's takedown request) takes its mentions, revisions and
search index entries with it and keeps every derived table exact, whether the delete
comes from the sqlite3 shell or Datasette (foreign keys off) or from the store's own
connection (foreign keys on); an archive made before m011 gains that when opened."""

from __future__ import annotations

import sqlite3

import pytest
from archive_fixtures import REVISED_ID, SEED_ID, UNDATED_ID, build_archive, first_run_articles
from test_coverage_monthly import MONTHLY, RECOMPUTED

from newscrawl import schema
from newscrawl.store import Archive

M011 = "m011_article_delete_takes_dependents"
THREE_MENTIONS_ID = 6  # Lady Gaga, Beyoncé and Britney Spears (archive_fixtures)
COVERAGE = """
    select m.artist_id, a.published_month, a.source_id, count(*),
           sum(cast(round(m.salience * 10000) as integer))
    from mentions m join articles a on a.id = m.article_id
    where a.published_month is not null group by 1, 2, 3
"""
# Articles per pair of co-mentioned artists, counting only articles that exist.
PAIRS = """
    select a.artist_id, b.artist_id, count(*) from mentions a
    join mentions b on b.article_id = a.article_id and b.artist_id != a.artist_id
    where a.article_id in (select id from articles)
    group by 1, 2
"""


def rows(conn, sql, params=()):
    return sorted(tuple(r) for r in conn.execute(sql, params).fetchall())


def assert_exact(conn):
    """Every derived table equals a recomputation, and nothing points at a missing
    article."""
    assert rows(conn, "select * from coverage_monthly") == rows(conn, COVERAGE)
    assert rows(conn, "select * from coverage_by_month") == rows(conn, RECOMPUTED)
    assert rows(conn, "select * from co_mention_counts") == rows(conn, PAIRS)
    assert rows(conn, "select * from articles_monthly") == rows(conn, MONTHLY)
    for table in ("coverage_monthly", "co_mention_counts", "articles_monthly"):
        assert not rows(conn, f"select * from {table} where articles <= 0"), table
    for table in ("mentions", "revisions"):
        assert not rows(
            conn, f"select * from {table} where article_id not in (select id from articles)"
        ), f"orphan {table}"
    assert not rows(
        conn, "select article_id from co_mentions where article_id not in (select id from articles)"
    )
    # FTS5 checks its index against the articles table, its external content (rank 1
    # asks for that comparison; without it only the index's own structure is checked).
    conn.execute("insert into articles_fts (articles_fts, rank) values ('integrity-check', 1)")


def assert_gone(conn, article_ids, words):
    marks = ", ".join("?" for _ in article_ids)
    for table, key in [
        ("articles", "id"),
        ("mentions", "article_id"),
        ("revisions", "article_id"),
        ("co_mentions", "article_id"),
        ("articles_fts_docsize", "id"),  # FTS5's own row per indexed article
    ]:
        assert not rows(conn, f"select * from {table} where {key} in ({marks})", article_ids)
    for word in words:  # a search for the deleted articles' words finds none of them
        found = {r[0] for r in conn.execute("select rowid from articles_fts(?)", [word])}
        assert not found & set(article_ids), word


@pytest.fixture
def path(tmp_path):
    return build_archive(tmp_path / "archive.db")


def shell(path):
    """A plain connection, as the sqlite3 shell or Datasette has: foreign keys off."""
    conn = sqlite3.connect(path, isolation_level=None)
    assert conn.execute("pragma foreign_keys").fetchone()[0] == 0
    return conn


def test_fixture_has_the_cases(path):
    conn = shell(path)
    counts = dict(conn.execute("select article_id, count(*) from mentions group by 1"))
    assert counts[THREE_MENTIONS_ID] == 3
    assert conn.execute(
        "select published_month from articles where id = ?", [UNDATED_ID]
    ).fetchone() == (None,)
    assert rows(conn, "select article_id from revisions") == [(REVISED_ID,)]
    assert_exact(conn)


@pytest.mark.parametrize(
    "article_id, words",
    [
        (THREE_MENTIONS_ID, ["riverside"]),
        (UNDATED_ID, ["undated"]),
        (REVISED_ID, ["cats", "band"]),
    ],
    ids=["three-mentions", "undated", "revised"],
)
def test_delete_one_article_from_the_shell(path, article_id, words):
    conn = shell(path)
    before = rows(conn, "select id from articles")
    conn.execute("delete from articles where id = ?", [article_id])
    assert rows(conn, "select id from articles") == [r for r in before if r != (article_id,)]
    assert_gone(conn, [article_id], words)
    assert_exact(conn)


def test_delete_several_at_once_then_write_again(path):
    conn = shell(path)
    doomed = [THREE_MENTIONS_ID, UNDATED_ID, REVISED_ID, SEED_ID]
    conn.execute(f"delete from articles where id in ({', '.join('?' for _ in doomed)})", doomed)
    assert_gone(conn, doomed, ["riverside", "undated", "cats", "duet"])
    assert_exact(conn)
    # The artist facet of Beyoncé's articles reads these: before the fix it still offered
    # Britney Spears and Lady Gaga (article 6), whose links then gave no rows.
    assert rows(conn, "select * from co_mention_counts where artist_id = 'beyonce'") == [
        ("beyonce", "taylor-swift", 1)
    ]
    conn.close()
    # The store's connection has foreign keys on: the delete is not refused, and the
    # triggers keep counting through later writes (a reused rowid starts clean).
    with Archive(path) as store:
        last = store.db.execute("select max(id) from articles").fetchone()[0]
        store.db.execute("delete from articles where id = ?", [last])
        assert store.db.execute("pragma foreign_key_check").fetchall() == []
        store.write_batch(first_run_articles(), run_id=None)
        assert_exact(store.db.conn)
        assert store.db.execute("select count(*) from articles").fetchone()[0] == 9
        assert store.db.execute("select count(*) from revisions").fetchone()[0] == 0


def stop_before_m011(db):
    schema.migrations.apply(db, stop_before=M011)
    # Today's store writes mentions.spans (m012, later), crawl_runs.articles_reextracted
    # (m014), articles.etag / last_modified (m015) and articles.is_gallery (m017): give
    # the old schema those columns so the store can build the archive (the migrations
    # then find them there).
    schema.m012_mention_spans(db)
    schema.m014_runs_count_reextracted_articles(db)
    schema.m015_article_validators(db)
    schema.m017_article_is_gallery(db)


def test_archive_made_before_m011_is_upgraded_on_open(path, tmp_path, monkeypatch):
    # The same archive written by a store whose schema stops before m011.
    old = tmp_path / "old.db"
    with monkeypatch.context() as patch:
        patch.setattr(schema, "apply", stop_before_m011)
        build_archive(old)
    conn = shell(old)
    assert M011 not in {r[0] for r in conn.execute("select name from _sqlite_migrations")}
    # A takedown done before the upgrade leaves what the bug left behind.
    conn.execute("delete from articles where id = ?", [THREE_MENTIONS_ID])
    conn.execute("delete from articles where id = ?", [REVISED_ID])
    assert rows(
        conn, "select count(*) from mentions where article_id not in (select id from articles)"
    ) == [(4,)]
    assert rows(
        conn, "select count(*) from revisions where article_id not in (select id from articles)"
    ) == [(1,)]
    assert rows(conn, "select * from co_mention_counts") != rows(conn, PAIRS)
    conn.close()
    with Archive(old) as store:  # applies m011: orphans removed, counts recomputed
        assert M011 in {r[0] for r in store.db.execute("select name from _sqlite_migrations")}
        assert_exact(store.db.conn)
    conn = shell(old)
    conn.execute("delete from articles where id = ?", [UNDATED_ID])
    assert_gone(conn, [THREE_MENTIONS_ID, REVISED_ID, UNDATED_ID], ["riverside", "cats"])
    assert_exact(conn)
    # And it holds the same schema as an archive created after m011.
    triggers = "select name, sql from sqlite_master where type = 'trigger'"
    assert rows(conn, triggers) == rows(shell(path), triggers)
