"""coverage_monthly, the table behind the coverage_by_month view, stays equal to what
the view used to compute from every mention, through everything the store does; so do
co_mention_counts (articles per pair of co-mentioned artists) and co_mention_pairs, the
table behind the co_mentions view."""

from __future__ import annotations

import random
from dataclasses import replace

import pytest
from test_store import BRITNEY, GAGA, Art, Src, article

from newscrawl import schema
from newscrawl.items import Mention
from newscrawl.store import Archive

# coverage_by_month as m003 defined it: computed from mentions and articles at each read.
RECOMPUTED = """
    select m.artist_id, ar.published_month as month, ar.source_id, count(*) as articles,
           round(avg(m.salience), 3) as mean_salience
    from mentions m join articles ar on ar.id = m.article_id
    where ar.published_month is not null
    group by m.artist_id, ar.published_month, ar.source_id
"""
PAIRS = """
    select a.artist_id, b.artist_id, count(*) from mentions a
    join mentions b on b.article_id = a.article_id and b.artist_id != a.artist_id
    group by 1, 2
"""
# co_mentions as m003 defined it: every pair of mentions of an article, at each read.
M003_CO_MENTIONS = """
    select a.article_id, a.artist_id as artist_a, b.artist_id as artist_b,
           a.salience as salience_a, b.salience as salience_b,
           min(a.salience, b.salience) as joint_salience
    from mentions a
    join mentions b on a.article_id = b.article_id and a.artist_id < b.artist_id
"""
MONTHLY = """
    select source_id, published_month, count(*) from articles
    where published_month is not null group by 1, 2
"""
ARTISTS = [Art("britney-spears", "Britney Spears"), Art("lady-gaga", "Lady Gaga")]
ARTISTS += [Art(f"artist-{n}", f"Artist {n}") for n in range(6)]


@pytest.fixture
def archive(tmp_path):
    with Archive(tmp_path / "a.db") as store:
        store.sync_sources(
            [Src("a"), Src("b", homepage="https://b.example/", allowed_domains=["b.example"])]
        )
        store.sync_artists(ARTISTS)
        yield store


def rows(store, sql):
    return sorted(tuple(r) for r in store.db.execute(sql).fetchall())


def assert_consistent(store):
    assert rows(store, "select * from coverage_by_month") == rows(store, RECOMPUTED)
    assert not rows(store, "select * from coverage_monthly where articles <= 0")
    assert rows(store, "select * from co_mention_counts") == rows(store, PAIRS)
    assert not rows(store, "select * from co_mention_counts where articles <= 0")
    assert rows(store, "select * from articles_monthly") == rows(store, MONTHLY)
    assert not rows(store, "select * from articles_monthly where articles <= 0")
    assert rows(store, "select * from co_mentions") == rows(store, M003_CO_MENTIONS)
    for table in ("mentions", "revisions"):
        assert not rows(
            store, f"select * from {table} where article_id not in (select id from articles)"
        ), f"orphan {table}"


def mention(artist, salience):
    return Mention(artist.name, artist.id, 1, False, 0, [], salience)


def test_new_and_rewritten_articles(archive):
    archive.write_batch([article()], run_id=None)
    assert rows(archive, "select artist_id, month, articles from coverage_by_month") == [
        ("britney-spears", "2026-03", 1),
        ("lady-gaga", "2026-03", 1),
    ]
    # A refetch: another month, one artist fewer, another salience.
    moved = article(
        published_at="2025-12-24T10:00:00+00:00",
        content_hash="hash-2",
        mentions=[replace(BRITNEY, salience=0.41)],
    )
    archive.write_batch([moved], run_id=None)
    assert_consistent(archive)
    assert rows(archive, "select artist_id, month, mean_salience from coverage_by_month") == [
        ("britney-spears", "2025-12", 0.41)
    ]


def test_limited_artist_run_and_undated_articles(archive):
    archive.write_batch([article()], run_id=None)
    # A crawl limited to Britney rewrites her mention and keeps Gaga's.
    archive.write_batch(
        [article(mentions=[replace(BRITNEY, salience=0.5)])],
        run_id=None,
        active_artist_ids=["britney-spears"],
    )
    undated = article(
        url="https://a.example/undated/",
        canonical_url="https://a.example/undated/",
        published_at=None,
        content_hash="hash-u",
        mentions=[GAGA],
    )
    archive.write_batch([undated], run_id=None)
    assert_consistent(archive)
    assert rows(archive, "select artist_id, articles from coverage_by_month") == [
        ("britney-spears", 1),
        ("lady-gaga", 1),
    ]


def test_random_writes_keep_the_counts_exact(archive):
    rng = random.Random(7)
    for step in range(12):
        batch = []
        for _ in range(15):
            number = rng.randrange(40)
            month = rng.choice(["2025-01", "2025-02", "2026-07", None])
            cast = rng.sample(ARTISTS, rng.randint(1, 3))
            batch.append(
                article(
                    url=f"https://{rng.choice('ab')}.example/{number}/",
                    canonical_url=f"https://a.example/{number}/",
                    source_id=rng.choice("ab"),
                    published_at=f"{month}-03T08:00:00+00:00" if month else None,
                    content_hash=f"h{number}-{step}",
                    mentions=[mention(a, round(rng.random(), 4)) for a in cast],
                )
            )
        archive.write_batch(batch, run_id=None, active_artist_ids=[a.id for a in ARTISTS])
        assert_consistent(archive)
    # Direct edits too: a mention removed, a salience changed, a date changed.
    with archive.db.atomic():
        archive.db.execute(
            "delete from mentions where rowid in (select rowid from mentions limit 3)"
        )
        archive.db.execute("update mentions set salience = 0.1234 where artist_id = 'artist-1'")
        archive.db.execute("update articles set published_month = '2024-09' where id % 3 = 0")
    assert_consistent(archive)
    # A mention's key rewritten: to an artist the article did not mention, to another
    # article, and both at once.
    with archive.db.atomic():
        for article_id, artist_id in archive.db.execute(
            "select article_id, artist_id from mentions order by article_id, artist_id limit 3"
        ).fetchall():
            free = archive.db.execute(
                "select id from artists where id not in"
                " (select artist_id from mentions where article_id = ?) limit 1",
                [article_id],
            ).fetchone()
            other = archive.db.execute(
                "select id from articles where id != ? and id not in"
                " (select article_id from mentions where artist_id = ?) limit 1",
                [article_id, artist_id],
            ).fetchone()
            if free:
                archive.db.execute(
                    "update mentions set artist_id = ? where article_id = ? and artist_id = ?",
                    [free[0], article_id, artist_id],
                )
            elif other:
                archive.db.execute(
                    "update mentions set article_id = ? where article_id = ? and artist_id = ?",
                    [other[0], article_id, artist_id],
                )
            assert_consistent(archive)
    pairs = archive.db.execute("select count(*) from co_mention_counts").fetchone()[0]
    assert pairs > 0  # the random articles do co-mention
    # Articles deleted (a takedown), one at a time and several at once, foreign keys on
    # (the store's connection) and off (the sqlite3 shell, Datasette).
    ids = [r[0] for r in archive.db.execute("select id from articles order by id").fetchall()]
    doomed = rng.sample(ids, 8)
    for article_id in doomed[:3]:
        archive.db.execute("delete from articles where id = ?", [article_id])
        assert_consistent(archive)
    archive.db.execute("pragma foreign_keys = off")
    archive.db.execute(f"delete from articles where id in ({', '.join(map(str, doomed[3:]))})")
    archive.db.execute("pragma foreign_keys = on")
    assert_consistent(archive)


def test_refresh_rebuilds_the_same_table(archive):
    archive.write_batch(
        [article(), article(url="https://b.example/x/", source_id="b")], run_id=None
    )
    before = rows(archive, "select * from coverage_monthly")
    pairs = rows(archive, "select * from co_mention_counts")
    assert pairs == rows(archive, PAIRS) != []
    with archive.db.atomic():
        schema.refresh_derived(archive.db.conn)
    assert rows(archive, "select * from coverage_monthly") == before
    assert rows(archive, "select * from co_mention_counts") == pairs
    assert rows(archive, "select * from articles_monthly") == rows(archive, MONTHLY) != []
    assert rows(archive, "select * from co_mentions") == rows(archive, M003_CO_MENTIONS) != []


def test_m010_fills_articles_monthly_from_an_existing_archive(tmp_path):
    # An archive written before m010 gains the table, filled from its articles, when the
    # store next opens it; later writes keep it current.
    path = tmp_path / "old.db"
    with Archive(path) as store:
        store.sync_sources([Src("a"), Src("b", homepage="https://b.example/")])
        store.sync_artists(ARTISTS)
        store.write_batch(
            [
                article(),
                article(
                    url="https://b.example/1/",
                    canonical_url="https://b.example/1/",
                    source_id="b",
                    content_hash="h-b1",
                ),
                article(
                    url="https://a.example/u/",
                    canonical_url="https://a.example/u/",
                    published_at=None,
                    content_hash="h-u",
                ),
            ],
            run_id=None,
        )
        db = store.db
        for kind, name in db.execute(
            "select type, name from sqlite_master where sql like '%articles_monthly%'"
            " and type in ('trigger', 'index')"
        ).fetchall():
            db.execute(f"drop {kind} [{name}]")
        db.execute("drop table articles_monthly")
        db.execute("drop index articles_by_source")
        db.execute("drop index coverage_monthly_by_source")
        db.execute("drop index coverage_monthly_by_month")
        db.execute("delete from _sqlite_migrations where name = 'm010_articles_monthly'")
        db.conn.commit()
    with Archive(path) as store:
        assert rows(store, "select * from articles_monthly") == [
            ("a", "2026-03", 1),
            ("b", "2026-03", 1),
        ]
        store.write_batch(
            [
                article(
                    url="https://a.example/2/",
                    canonical_url="https://a.example/2/",
                    content_hash="h-a2",
                )
            ],
            run_id=None,
        )
        assert_consistent(store)
        assert rows(store, "select * from articles_monthly") == [
            ("a", "2026-03", 2),
            ("b", "2026-03", 1),
        ]


def test_m016_fills_co_mention_pairs_from_an_existing_archive(tmp_path):
    # An archive written before m016 (co_mentions a view over mentions) gains the table,
    # filled from its mentions, and the view over it, when the store next opens it.
    path = tmp_path / "old.db"
    with Archive(path) as store:
        store.sync_sources([Src("a")])
        store.sync_artists(ARTISTS)
        three = [mention(a, s) for a, s in zip(ARTISTS[:3], (0.9, 0.2, 0.5), strict=True)]
        store.write_batch(
            [
                article(mentions=three),
                article(
                    url="https://a.example/2/",
                    canonical_url="https://a.example/2/",
                    content_hash="h-2",
                ),
            ],
            run_id=None,
        )
        db = store.db
        for (name,) in db.execute(
            "select name from sqlite_master where type = 'trigger' and name like '%co_pairs%'"
        ).fetchall():
            db.execute(f"drop trigger [{name}]")
        db.execute("drop view co_mentions")
        db.execute("drop table co_mention_pairs")
        db.execute(f"create view co_mentions as {M003_CO_MENTIONS}")
        db.execute("delete from _sqlite_migrations where name = 'm016_co_mention_pairs'")
        db.conn.commit()
        assert "co_mention_pairs" not in db.table_names()
    with Archive(path) as store:
        assert "co_mention_pairs" in store.db.table_names()
        both = min(BRITNEY.salience, GAGA.salience)
        assert rows(store, "select artist_a, artist_b, joint_salience from co_mentions") == [
            ("artist-0", "britney-spears", 0.5),
            ("artist-0", "lady-gaga", 0.2),
            ("britney-spears", "lady-gaga", 0.2),
            ("britney-spears", "lady-gaga", both),
        ]
        assert_consistent(store)
