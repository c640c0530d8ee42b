"""The archive store: migrations, idempotent upserts, revisions, drops, FTS, atomic batches."""

import json
import sqlite3
from dataclasses import dataclass, field, replace

import pytest

from newscrawl import schema
from newscrawl.items import Article, Mention
from newscrawl.store import Archive, Drop


@dataclass
class Src:
    id: str
    name: str = "Src"
    homepage: str = "https://a.example/"
    allowed_domains: list = field(default_factory=lambda: ["a.example"])


@dataclass
class Art:
    id: str
    name: str
    aliases: list = field(default_factory=list)
    wikidata: str | None = None


BRITNEY = Mention(
    "Britney Spears", "britney-spears", 3, True, 0, ["Britney Spears and Lady Gaga"], 0.9
)
GAGA = Mention("Lady Gaga", "lady-gaga", 2, True, 20, ["with Lady Gaga"], 0.7)


def article(**overrides):
    base = Article(
        url="https://a.example/2026/03/duet/",
        canonical_url="https://a.example/2026/03/duet/",
        source_id="a",
        title="Britney Spears Prepping Duet With Lady Gaga",
        body="Britney Spears and Lady Gaga will reportedly begin work on their duet very soon.",
        authors=["Jane Doe"],
        published_at="2026-03-02T08:30:00+00:00",
        content_hash="hash-1",
        fetched_at="2026-03-02T09:00:00+00:00",
        mentions=[BRITNEY, GAGA],
    )
    return replace(base, **overrides)


@pytest.fixture
def archive(tmp_path):
    with Archive(tmp_path / "a.db") as store:
        store.sync_sources(
            [Src("a"), Src("b", homepage="https://b.example/", allowed_domains=["b.example"])]
        )
        store.sync_artists([Art("britney-spears", "Britney Spears"), Art("lady-gaga", "Lady Gaga")])
        yield store


def count(store, table):
    return store.db.execute(f"select count(*) from {table}").fetchone()[0]


def test_migrations_are_idempotent_and_wal(tmp_path):
    path = tmp_path / "m.db"
    Archive(path).close()
    store = Archive(path)
    applied = [m.name for m in schema.migrations.applied(store.db)]
    assert applied[:3] == ["m001_core_tables", "m002_full_text_search", "m003_views"]
    assert store.db.execute("pragma journal_mode").fetchone()[0] == "wal"
    assert {"co_mentions", "coverage_by_month"} <= set(store.db.view_names())
    assert "articles_fts" in store.db.table_names()
    store.close()


def test_same_article_twice_is_one_row(archive):
    run = archive.start_run(spider="news")
    first = archive.write_batch([article()], run_id=run)
    second = archive.write_batch([article(fetched_at="2026-03-03T09:00:00+00:00")], run_id=run)
    assert [o.action for o in first + second] == ["new", "unchanged"]
    assert count(archive, "articles") == 1
    assert count(archive, "mentions") == 2
    assert count(archive, "revisions") == 0
    row = next(archive.db.query("select artists, fetched_at, first_seen_at from articles"))
    assert json.loads(row["artists"]) == ["Britney Spears", "Lady Gaga"]
    assert (
        row["first_seen_at"] == "2026-03-02T09:00:00+00:00"
        and row["fetched_at"] == "2026-03-03T09:00:00+00:00"
    )


def test_changed_content_keeps_a_revision(archive):
    archive.write_batch([article()], run_id=None)
    edited = article(
        title="Britney Spears and Lady Gaga Confirm Duet",
        content_hash="hash-2",
        fetched_at="2026-03-05T00:00:00+00:00",
    )
    (outcome,) = archive.write_batch([edited], run_id=None)
    assert outcome.action == "updated" and outcome.changed_fields == ("title",)
    rev = next(archive.db.query("select * from revisions"))
    assert rev["title"] == "Britney Spears Prepping Duet With Lady Gaga"
    assert rev["revision"] == 1 and rev["seen_until"] == "2026-03-05T00:00:00+00:00"
    row = next(archive.db.query("select title, revision_count, changed_at from articles"))
    assert row == {
        "title": edited.title,
        "revision_count": 1,
        "changed_at": "2026-03-05T00:00:00+00:00",
    }


def test_fts_follows_updates(archive):
    archive.write_batch([article()], run_id=None)
    hits = archive.db.execute(
        "select rowid from articles_fts where articles_fts match 'duets'"
    ).fetchall()
    assert hits == [(1,)]  # porter stemming: duets finds duet
    archive.write_batch(
        [article(body="A completely different text about a residency.", content_hash="h3")],
        run_id=None,
    )
    assert (
        archive.db.execute(
            "select count(*) from articles_fts where articles_fts match 'duet'"
        ).fetchone()[0]
        == 1
    )  # title still says duet
    assert (
        archive.db.execute(
            "select count(*) from articles_fts where articles_fts match 'residency'"
        ).fetchone()[0]
        == 1
    )


def test_limited_artist_run_keeps_other_mentions(archive):
    archive.write_batch([article()], run_id=None)
    archive.write_batch(
        [article(mentions=[replace(GAGA, salience=0.8)])],
        run_id=None,
        active_artist_ids=["lady-gaga"],
    )
    rows = {r["artist_id"]: r["salience"] for r in archive.db.query("select * from mentions")}
    assert rows == {"britney-spears": 0.9, "lady-gaga": 0.8}


def test_drops_upsert_and_clear_when_archived(archive):
    r1 = archive.start_run(spider="news")
    archive.write_batch(
        [], [Drop("https://a.example/x/", "tag", "no_artist", source_id="a")], run_id=r1
    )
    archive.write_batch(
        [], [Drop("https://a.example/x/", "tag", "no_artist", source_id="a")], run_id=r1
    )
    r2 = archive.start_run(spider="news")
    archive.write_batch(
        [], [Drop("https://a.example/x/", "tag", "no_artist", source_id="a")], run_id=r2
    )
    row = next(archive.db.query("select * from drops"))
    assert count(archive, "drops") == 1
    assert (row["first_run_id"], row["run_id"], row["seen_count"]) == (r1, r2, 2)
    archive.write_batch(
        [article(url="https://a.example/x/", canonical_url="https://a.example/x/")], run_id=r2
    )
    assert count(archive, "drops") == 0


def test_original_copy_wins_over_syndicated(archive):
    # the copy has its own dates and standfirst, so its content hash differs
    copy = article(url="https://b.example/wire/duet", source_id="b", content_hash="copy-hash")
    archive.write_batch([copy], run_id=None)
    (outcome,) = archive.write_batch([article()], run_id=None)
    assert outcome.action == "replaced_copy"
    row = next(
        archive.db.query("select url, source_id, content_hash, revision_count from articles")
    )
    assert row == {
        "url": "https://a.example/2026/03/duet/",
        "source_id": "a",
        "content_hash": "hash-1",
        "revision_count": 0,
    }
    assert count(archive, "revisions") == 0
    drop = next(archive.db.query("select url, reason, detail from drops"))
    assert drop == {
        "url": copy.url,
        "reason": "duplicate",
        "detail": "syndicated copy of https://a.example/2026/03/duet/",
    }
    (outcome,) = archive.write_batch([copy], run_id=None)  # the copy again: never overwrites
    assert outcome.action == "duplicate"
    row = next(archive.db.query("select url, source_id, content_hash from articles"))
    assert row == {
        "url": "https://a.example/2026/03/duet/",
        "source_id": "a",
        "content_hash": "hash-1",
    }
    assert count(archive, "articles") == 1 and count(archive, "drops") == 1


def test_batch_is_atomic(archive):
    good = article()
    bad = article(url=None, canonical_url="https://z.example/1")  # url is NOT NULL
    with pytest.raises(sqlite3.IntegrityError):
        archive.write_batch(
            [good, bad], [Drop("https://a.example/d", "tag", "no_artist")], run_id=None
        )
    assert (
        count(archive, "articles") == 0
        and count(archive, "drops") == 0
        and count(archive, "mentions") == 0
    )


def test_run_rows(archive):
    run = archive.start_run(spider="news", args={"sources": "a"})
    archive.finish_run(
        run,
        finish_reason="finished",
        counts={"articles_new": 3, "pages_skipped": 2},
        per_source={"a": {"archived": 3}},
    )
    row = next(archive.db.query("select * from crawl_runs"))
    assert (
        row["finish_reason"] == "finished"
        and row["articles_new"] == 3
        and row["pages_skipped"] == 2
    )
    assert row["args"] == '{"sources": "a"}'
    assert next(archive.db.query("select archived from run_sources")) == {"archived": 3}


def test_views(archive):
    archive.write_batch([article()], run_id=None)
    pair = next(archive.db.query("select * from co_mentions"))
    assert (pair["artist_a"], pair["artist_b"], pair["joint_salience"]) == (
        "britney-spears",
        "lady-gaga",
        0.7,
    )
    months = list(
        archive.db.query(
            "select artist_id, month, articles from coverage_by_month order by artist_id"
        )
    )
    assert months == [
        {"artist_id": "britney-spears", "month": "2026-03", "articles": 1},
        {"artist_id": "lady-gaga", "month": "2026-03", "articles": 1},
    ]


def test_missing_folder_is_a_clear_error(tmp_path):
    from newscrawl.errors import NewscrawlError

    with pytest.raises(NewscrawlError, match="does not exist"):
        Archive(tmp_path / "nope" / "a.db")


def test_a_file_where_the_folder_should_be_is_named(tmp_path):
    # `newscrawl ingest --db notes.txt/a.db` said "cannot open archive: unable to open
    # database file".
    from newscrawl.errors import NewscrawlError

    (tmp_path / "notes.txt").write_text("x")
    with pytest.raises(NewscrawlError, match=r"folder .*notes\.txt is a file, not a folder"):
        Archive(tmp_path / "notes.txt" / "a.db")


def test_not_a_database(tmp_path):
    from newscrawl.errors import NewscrawlError

    path = tmp_path / "junk.db"
    path.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(NewscrawlError, match="cannot open archive"):
        Archive(path)


def someone_elses_database(path):
    conn = sqlite3.connect(path)
    conn.execute("create table notes (id integer primary key, text)")
    conn.execute("insert into notes (text) values ('mine')")
    conn.commit()
    conn.close()
    return path.read_bytes()


def test_someone_elses_database_is_refused_and_left_unchanged(tmp_path):
    # Archive() applied newscrawl's schema to any SQLite file: a mistyped --db added
    # twenty tables to someone's database and switched it to WAL.
    from newscrawl.errors import NewscrawlError

    path = tmp_path / "notes.db"
    before = someone_elses_database(path)
    with pytest.raises(
        NewscrawlError,
        match=r"notes\.db: an SQLite database that is not a newscrawl archive \(it holds notes\)",
    ):
        Archive(path)
    assert path.read_bytes() == before
    assert not (tmp_path / "notes.db-wal").exists()


def test_a_database_of_another_migration_set_is_refused(tmp_path):
    # sqlite-utils' migrations table alone does not make an archive: another tool's
    # migrations live in it too.
    from sqlite_utils import Database, Migrations

    from newscrawl.errors import NewscrawlError

    other = Migrations("someone-else")

    @other()
    def m001(db):
        db["things"].create({"id": int}, pk="id")

    path = tmp_path / "theirs.db"
    other.apply(Database(path))
    with pytest.raises(
        NewscrawlError, match=r"not a newscrawl archive \(it holds _sqlite_migrations, things\)"
    ):
        Archive(path)


def test_an_empty_file_and_an_archive_still_open(tmp_path):
    empty = tmp_path / "empty.db"
    empty.touch()
    with Archive(empty) as archive:
        archive.sync_sources([Src("a")])
        archive.sync_artists(
            [Art("britney-spears", "Britney Spears"), Art("lady-gaga", "Lady Gaga")]
        )
        archive.write_batch([article()], run_id=None)
    # Opening it again (a second crawl) finds its own migrations.
    with Archive(empty) as archive:
        assert archive.db["articles"].count == 1


def test_a_renamed_canonical_url_updates_the_same_row(archive):
    # The publisher changed the page's rel=canonical (and edited it): one story, one row.
    archive.write_batch([article()], run_id=None)
    renamed = article(
        canonical_url="https://a.example/2026/03/duet-renamed/",
        body="Britney Spears and Lady Gaga have begun work on their duet.",
        content_hash="hash-2",
        fetched_at="2026-03-03T09:00:00+00:00",
    )
    (outcome,) = archive.write_batch([renamed], run_id=None)
    assert outcome.action == "updated"
    rows = list(archive.db.query("select * from articles"))
    assert len(rows) == 1
    assert rows[0]["canonical_url"] == "https://a.example/2026/03/duet-renamed/"
    assert rows[0]["revision_count"] == 1
    (revision,) = archive.db.query("select * from revisions")
    assert revision["content_hash"] == "hash-1"
    # The next run finds it by the URL it fetches, and it is one row, not two.
    assert archive.archived_page("https://a.example/2026/03/duet/")["id"] == rows[0]["id"]


def test_a_redirected_url_is_recorded_and_leads_to_its_article(archive):
    asked = "https://a.example/p/123"
    failed = Drop(asked, "fetch", "http_status", source_id="a", status=500)
    archive.write_batch([], [failed], run_id=None)
    (outcome,) = archive.write_batch([article(request_url=asked)], run_id=None)
    drop = archive.dropped_page(asked)
    # The earlier failure is replaced by where the URL leads.
    assert (drop["stage"], drop["reason"]) == ("fetch", "redirected")
    assert drop["detail"] == "redirects to https://a.example/2026/03/duet/"
    assert archive.redirect_target(asked) == "https://a.example/2026/03/duet/"
    # So a later run's lookup of the URL it asked for finds the archived article.
    assert archive.archived_page(asked)["id"] == outcome.article_id
    assert archive.archived_page("https://a.example/p/999") is None


def test_the_url_s_own_row_comes_before_a_copy_naming_it_canonical(archive):
    original = "https://b.example/story/"
    copy = article(url="https://a.example/copy/", canonical_url=original, source_id="a")
    archive.write_batch([copy], run_id=None)
    # Only the copy is archived: the lookup of the original's URL finds the copy's row,
    # which the spider recognises as another site's copy (and fetches the original).
    found = archive.archived_page(original)
    assert found["url"] == "https://a.example/copy/"
    from newscrawl.archive_lookups import only_a_copy_of

    assert only_a_copy_of(found, original)
    assert not only_a_copy_of(
        archive.archived_page("https://a.example/copy/"), "https://a.example/copy/"
    )


def test_a_hand_edit_of_published_at_moves_the_month(archive):
    # A date fixed in SQL (the sqlite3 shell, Datasette with write access) must move the
    # article's month, and with it the month facets and per-month counts.
    (outcome,) = archive.write_batch([article()], run_id=None)
    conn = archive.db.conn
    conn.execute(
        "update articles set published_at = '2024-01-05T10:00:00+00:00' where id = ?",
        [outcome.article_id],
    )
    assert conn.execute("select published_month from articles").fetchone() == ("2024-01",)
    assert conn.execute("select month, articles from articles_monthly").fetchall() == [
        ("2024-01", 1)
    ]
    conn.execute("update articles set published_at = null")
    assert conn.execute("select published_month from articles").fetchone() == (None,)
    assert conn.execute("select count(*) from articles_monthly where articles > 0").fetchone() == (
        0,
    )
    conn.execute(
        "insert into articles (canonical_url, url, source_id, published_at)"
        " values ('https://a.example/x', 'https://a.example/x', 'a', '2023-07-01')"
    )
    assert conn.execute(
        "select published_month from articles where url = 'https://a.example/x'"
    ).fetchone() == ("2023-07",)


def test_a_corrected_artist_name_reaches_articles_artists(archive):
    # The watchlist fixes a canonical name under the same id (an accent, a capital): the
    # artist facet labels it from artists.name, so articles.artists (the array facet, the
    # ?artists__arraycontains= filter, a release's articles.artists) must follow, or
    # filtering by the name the facet shows finds nothing.
    archive.write_batch([article()], run_id=None)
    archive.write_batch(
        [
            article(
                url="https://a.example/solo/",
                canonical_url="https://a.example/solo/",
                content_hash="hash-2",
                mentions=[GAGA],
            )
        ],
        run_id=None,
    )
    archive.sync_artists(
        [Art("britney-spears", "Britney Jean Spears"), Art("lady-gaga", "Lady Gaga")]
    )
    rows = dict(archive.db.execute("select url, artists from articles").fetchall())
    assert json.loads(rows["https://a.example/2026/03/duet/"]) == [
        "Britney Jean Spears",
        "Lady Gaga",
    ]
    assert json.loads(rows["https://a.example/solo/"]) == ["Lady Gaga"]
    assert archive.db.execute(
        "select count(*) from articles, json_each(articles.artists)"
        " where json_each.value = 'Britney Jean Spears'"
    ).fetchone() == (1,)
