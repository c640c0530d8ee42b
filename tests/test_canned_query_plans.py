"""The artist_articles and publisher_share canned queries answer exactly what the plain
queries they replaced answered, whichever of their plans runs.

The plain queries read every mention of the artist (~1 s for 380,000 at 1,000,000
articles). artist_articles now reads one artist's mentions in the order asked from an
index, or a short date range's articles by date when that reads less (by salience), and
sorts only those, several artists (a shared name) or a small artist by date;
publisher_share reads one artist's counts from coverage_monthly plus the undated
articles; articles_about_both reads two artists' shared articles from co_mention_pairs. These tests run both versions over an archive with a much-covered artist (past
artist_articles' threshold, so its date-order plan runs), undated articles, ties in date
and salience, two publishers, aliases and a shared name, for every order and date range,
and compare whole result lists.
"""

from __future__ import annotations

import random
import sqlite3

import pytest
import yaml
from test_datasette import ARCHIVE_DIR, load_plugin
from test_store import Art, Src

from newscrawl.store import Archive


def artists_named(name: str, parameter: str) -> str:
    """The CTE every query starts with: the artists a parameter names (slug, name or
    alias), as in archive/metadata.yml."""
    return f"""{name} as (
  select id from artists where id = :{parameter}
  union all
  select id from artists
  where not exists (select 1 from artists where id = :{parameter})
    and (newscrawl_fold(:{parameter}) in (newscrawl_fold(id), newscrawl_fold(name))
      or exists (select 1 from json_each(artists.aliases) as alias
                 where newscrawl_fold(alias.value) = newscrawl_fold(:{parameter})))
)"""


WANTED = artists_named("wanted", "artist")
# artist_articles before it chose a plan: one sort of every mention.
PLAIN = f"""
with {WANTED}
select
  articles.id as article_id, articles.title, articles.published_at, articles.source_id,
  mentions.artist_id, mentions.salience, mentions.count as mention_count,
  mentions.in_title, articles.url
from mentions
join articles on articles.id = mentions.article_id
where json_extract('{{}}', coalesce(
    newscrawl_date_error('since', :since, 'until', :until), '$.ok'
  )) is null
  and mentions.artist_id in (select id from wanted)
  and (:since = '' or articles.published_at >= :since)
  and (:until = '' or substr(articles.published_at, 1, length(:until)) <= :until)
order by
  case when :order = 'date' then articles.published_at end desc,
  mentions.salience desc,
  articles.published_at desc,
  articles.id
"""
# publisher_share before it read coverage_monthly: every mention, distinct articles.
PLAIN_SHARE = f"""
with {WANTED}
select
  articles.source_id,
  sources.name as publisher,
  count(distinct articles.id) as articles,
  round(
    100.0 * count(distinct articles.id) / sum(count(distinct articles.id)) over (), 1
  ) as percent,
  round(avg(mentions.salience), 3) as mean_salience
from mentions
join articles on articles.id = mentions.article_id
left join sources on sources.id = articles.source_id
where mentions.artist_id in (select id from wanted)
group by articles.source_id
order by articles desc, articles.source_id
"""
# articles_about_both before it read co_mention_pairs: every mention of one artist joined
# with every mention of the other.
PLAIN_BOTH = f"""
with {artists_named("a", "artist_a")},
{artists_named("b", "artist_b")}
select
  articles.id as article_id, articles.title, articles.published_at, articles.source_id,
  ma.salience as salience_a, mb.salience as salience_b,
  min(ma.salience, mb.salience) as joint_salience
from mentions ma
join mentions mb on mb.article_id = ma.article_id
join articles on articles.id = ma.article_id
where ma.artist_id in (select id from a)
  and mb.artist_id in (select id from b)
  and ma.artist_id != mb.artist_id
order by joint_salience desc, articles.published_at desc, articles.id
"""
# Above artist_articles' threshold (`> 20000` mentions), so its date-order plan runs.
BIG_MENTIONS = 21_000
ARTISTS = [
    Art("big-star", "Big Star", aliases=["The Star"]),
    Art("small-act", "Small Act"),
    Art("the-carters-a", "The Carters"),
    Art("the-carters-b", "The Carters"),
]


def canned_sql(name: str = "artist_articles") -> str:
    metadata = yaml.safe_load((ARCHIVE_DIR / "metadata.yml").read_text())
    return metadata["plugins"]["newscrawl"]["database"]["queries"][name]["sql"]


@pytest.fixture(scope="module")
def conn(tmp_path_factory):
    path = tmp_path_factory.mktemp("plans") / "archive.db"
    with Archive(path) as store:
        store.sync_sources([Src("a"), Src("b", homepage="https://b.example/")])
        store.sync_artists(ARTISTS)
    rng = random.Random(11)
    # Few distinct dates and saliences, so ties must be broken as the plain query did.
    dates = [None, "2024", "2024-06", "2024-06-15", "2024-06-15T08:00:00+00:00"]
    dates += [f"2025-0{m}-0{d}T10:00:00+00:00" for m in range(1, 4) for d in range(1, 4)]
    # Four decimals, as the store writes them (coverage_monthly sums them exactly).
    saliences = [0.1, 0.25, 0.5, 0.5, 0.9, 0.1235, 0.3333]
    articles, mentions = [], []
    for article_id in range(1, BIG_MENTIONS + 1):
        published = rng.choice(dates)
        articles.append(
            (
                article_id,
                f"https://a.example/{article_id}/",
                f"https://a.example/{article_id}/",
                rng.choice("ab"),
                f"Story {article_id}",
                published,
            )
        )
        mentions.append((article_id, "big-star", rng.choice(saliences)))
        for other in ("small-act", "the-carters-a", "the-carters-b"):
            if rng.random() < 0.04:
                mentions.append((article_id, other, rng.choice(saliences)))
    db = sqlite3.connect(path)
    with db:
        db.executemany(
            "insert into articles (id, canonical_url, url, source_id, title, published_at)"
            " values (?, ?, ?, ?, ?, ?)",
            articles,
        )
        db.executemany(
            "insert into mentions (article_id, artist_id, count, in_title, salience)"
            " values (?, ?, 1, 0, ?)",
            mentions,
        )
    load_plugin("newscrawl_search").prepare_connection(db)
    yield db
    db.close()


def test_the_archive_crosses_the_date_plan_threshold(conn):
    assert "> 20000" in canned_sql()
    count = conn.execute("select count(*) from mentions where artist_id = 'big-star'")
    assert count.fetchone()[0] > 20000
    small = conn.execute("select count(*) from mentions where artist_id = 'small-act'")
    assert 0 < small.fetchone()[0] < 20000


@pytest.mark.parametrize(
    "artist", ["big-star", "BIG STAR", "the star", "small-act", "The Carters", "nobody"]
)
@pytest.mark.parametrize("order", ["", "date"])
@pytest.mark.parametrize(
    "since, until",
    [("", ""), ("2024", ""), ("", "2024-06"), ("2024-06", "2024-06-15"), ("2025-02", "2025")],
)
def test_every_plan_lists_what_the_plain_query_listed(conn, artist, order, since, until):
    params = {"artist": artist, "order": order, "since": since, "until": until}
    expected = conn.execute(PLAIN, params).fetchall()
    assert conn.execute(canned_sql(), params).fetchall() == expected
    if artist != "nobody":
        assert expected  # every case lists something, so the comparison says something


def steps_of(db, sql, params):
    """The rows of ``sql`` and the SQLite virtual machine steps it took, in hundreds: a
    count of the work done (the same on every run), not a time."""
    steps = 0

    def count():
        nonlocal steps
        steps += 1
        return 0

    db.set_progress_handler(count, 100)
    try:
        rows = db.execute(sql, params).fetchall()
    finally:
        db.set_progress_handler(None, 0)
    return rows, steps


@pytest.fixture(scope="module")
def spread(tmp_path_factory):
    """5,000 articles about big-star over five years, and two on New Year's Eve 2019."""
    path = tmp_path_factory.mktemp("spread") / "archive.db"
    with Archive(path) as store:
        store.sync_sources([Src("a")])
        store.sync_artists(ARTISTS)
    articles = [
        (n, f"https://a.example/{n}/", f"{2020 + n % 5}-{1 + n // 5 % 12:02d}-15T10:00:00+00:00")
        for n in range(1, 5001)
    ]
    articles += [(n, f"https://a.example/{n}/", "2019-12-31T23:30:00-05:00") for n in (5001, 5002)]
    db = sqlite3.connect(path)
    with db:
        db.executemany(
            "insert into articles (id, canonical_url, url, source_id, published_at)"
            " values (?, ?, ?, 'a', ?)",
            [(n, url, url, published) for n, url, published in articles],
        )
        db.executemany(
            "insert into mentions (article_id, artist_id, count, in_title, salience)"
            " values (?, 'big-star', 1, 0, ?)",
            [(n, (n % 97) / 100) for n, _, _ in articles],
        )
    load_plugin("newscrawl_search").prepare_connection(db)
    yield db
    db.close()


@pytest.mark.parametrize("since, until", [("2019-12-31", "2019-12-31"), ("2019", "2019")])
def test_a_short_date_range_by_salience_reads_the_range_not_every_mention(spread, since, until):
    # By salience the artist's mentions were read in that order until 1,000 fell in the
    # range: every one of them when fewer do. At 1,000,000 articles a day or two months
    # of the most covered artist took 1.8-5.4 s, past Datasette's 3 s limit (an error
    # page). Reading the range's articles is far less work; the rows are the same.
    params = {"artist": "big-star", "order": "", "since": since, "until": until}
    expected, every_mention = steps_of(spread, PLAIN, params)
    rows, steps = steps_of(spread, canned_sql(), params)
    assert rows == expected
    assert [row[0] for row in rows] == [5002, 5001]  # salience 0.55, then 0.54
    assert steps * 10 < every_mention


def test_a_bad_date_is_still_an_error_naming_it(conn):
    for params in (
        {"artist": "big-star", "order": "", "since": "June", "until": ""},
        {"artist": "nobody", "order": "date", "since": "", "until": "2024-13"},
    ):
        with pytest.raises(sqlite3.OperationalError) as error:
            conn.execute(canned_sql(), params).fetchall()
        assert ("since" if params["since"] else "until") in str(error.value)


@pytest.mark.parametrize("artist", ["big-star", "the star", "small-act", "The Carters", "nobody"])
def test_publisher_share_counts_what_the_plain_query_counted(conn, artist):
    expected = conn.execute(PLAIN_SHARE, {"artist": artist}).fetchall()
    assert conn.execute(canned_sql("publisher_share"), {"artist": artist}).fetchall() == expected
    if artist != "nobody":
        assert len(expected) == 2  # both publishers


@pytest.mark.parametrize(
    "artist_a, artist_b",
    [
        ("big-star", "small-act"),
        ("small-act", "Big Star"),  # the pair's second artist asked first
        ("the star", "The Carters"),  # a shared name: every pairing, as before
        ("The Carters", "the-carters-b"),
        ("big-star", "big-star"),
        ("nobody", "big-star"),
    ],
)
def test_articles_about_both_lists_what_the_plain_query_listed(conn, artist_a, artist_b):
    params = {"artist_a": artist_a, "artist_b": artist_b}
    expected = conn.execute(PLAIN_BOTH, params).fetchall()
    assert conn.execute(canned_sql("articles_about_both"), params).fetchall() == expected
    if "nobody" not in params.values() and artist_a != artist_b:
        assert expected


# search_articles: the best 200 by bm25 first, then highlight() and snippet() for those
# only. The plain query it replaced let FTS5 rank and sort every match ("order by rank");
# equal scores are listed by id, as that query's sort happened to list them too.
PLAIN_SEARCH = """
select
  articles.id as article_id,
  highlight(articles_fts, 0, '<mark>', '</mark>') as title_highlighted,
  snippet(articles_fts, -1, '<mark>', '</mark>', '…', 24) as snippet,
  articles.source_id,
  articles.published_at,
  articles.artists
from articles_fts
join articles on articles.id = articles_fts.rowid
where :q != '' and articles_fts match :q
order by bm25(articles_fts), articles_fts.rowid
limit 200
"""
WORDS = ["alpha", "beta", "gamma", "delta", "duet", "tour", "award", "album", "stage"]


@pytest.fixture(scope="module")
def texts(tmp_path_factory):
    """600 articles of a few words each: many matches per word, and many equal scores."""
    path = tmp_path_factory.mktemp("search") / "archive.db"
    with Archive(path) as store:
        store.sync_sources([Src("a")])
        store.sync_artists(ARTISTS)
    rng = random.Random(5)
    rows = []
    for article_id in range(1, 601):
        title = " ".join(rng.choice(WORDS) for _ in range(rng.randint(1, 4)))
        body = " ".join(rng.choice(WORDS) for _ in range(rng.randint(0, 30)))
        url = f"https://a.example/{article_id}/"
        rows.append((article_id, url, url, "a", title, body))
    db = sqlite3.connect(path)
    with db:
        db.executemany(
            "insert into articles (id, canonical_url, url, source_id, title, body)"
            " values (?, ?, ?, ?, ?, ?)",
            rows,
        )
    yield db
    db.close()


@pytest.mark.parametrize(
    "q",
    [
        "alpha",
        '"alpha beta"',
        "alpha OR gamma",
        "NEAR(alpha gamma, 2)",
        "gam*",
        "duet NOT tour",
        "nothingmatches",
        "",
    ],
)
def test_search_articles_lists_the_best_200_as_the_plain_query(texts, q):
    expected = texts.execute(PLAIN_SEARCH, {"q": q}).fetchall()
    assert texts.execute(canned_sql("search_articles"), {"q": q}).fetchall() == expected
    if q in ("alpha", "alpha OR gamma"):
        assert len(expected) == 200  # more matches than the page holds
        scores = [
            s
            for (s,) in texts.execute(
                "select bm25(articles_fts) from articles_fts where articles_fts match ?", [q]
            )
        ]
        assert len(scores) > len(set(scores)), "ties to break"
