"""The articles table's row count for a search alone or an artist alone
(archive/plugins/newscrawl_fast_counts.py) is read from the list of ids the selection
is made of, and is the same number as Datasette's own count: every search, every way of
naming an artist, and a name several artists share."""

from __future__ import annotations

import json
import sqlite3
from urllib.parse import quote

import pytest
from archive_fixtures import SyncClient, build_archive

from newscrawl.serve import build_datasette

SEARCHES = ["gaga", '"lady gaga"', "duet OR tour", "gaga NOT swift", "tou*", "nothingmatches"]
ARTISTS = ["lady-gaga", "Lady Gaga", "gaga", "Beyonce", "BEYONCÉ", "Swift", "no such artist"]


@pytest.fixture(scope="module")
def archive_db(tmp_path_factory):
    db = build_archive(tmp_path_factory.mktemp("counts") / "archive.db")
    with sqlite3.connect(db) as conn:
        # A second artist called "Swift", in articles that mention Taylor Swift too (a
        # count of mentions would count those twice) and in one that does not.
        conn.execute(
            "insert into artists (id, name, aliases) values ('swift-band', 'Swift Band', ?)",
            ['["Swift"]'],
        )
        taylor = [
            r[0]
            for r in conn.execute(
                "select article_id from mentions where artist_id = 'taylor-swift'"
            )
        ]
        other = conn.execute(
            "select min(id) from articles where id not in"
            " (select article_id from mentions where artist_id = 'taylor-swift')"
        ).fetchone()[0]
        conn.executemany(
            "insert into mentions (article_id, artist_id, count, in_title, salience)"
            " values (?, 'swift-band', 1, 0, 0.1)",
            [(article_id,) for article_id in [*taylor[:2], other]],
        )
    return db


@pytest.fixture(scope="module")
def client(archive_db):
    client = SyncClient(build_datasette(archive_db))
    yield client
    client.close()


def shown_count(client: SyncClient, query: str) -> tuple[int, list[str]]:
    """The page's row count, and the count statements it ran."""
    response, traces = client.get_traced(f"/archive/articles.json?{query}")
    assert response.status_code == 200, response.text
    counts = [t["sql"] for t in traces if (t.get("sql") or "").startswith("select count(")]
    return response.json()["filtered_table_rows_count"], counts


def direct(db, sql: str, params) -> int:
    with sqlite3.connect(db) as conn:
        return conn.execute(sql, params).fetchone()[0]


@pytest.mark.parametrize("search", SEARCHES)
def test_a_search_alone_is_counted_from_the_index(client, archive_db, search):
    count, statements = shown_count(client, f"_search={quote(search)}&_searchmode=raw")
    assert count == direct(
        archive_db,
        "select count(*) from articles where id in"
        " (select rowid from articles_fts where articles_fts match ?)",
        [search],
    )
    assert "select count(*) from articles_fts where articles_fts match :search" in statements


def artist_ids(db, name: str) -> list[str]:
    with sqlite3.connect(db) as conn:
        rows = conn.execute("select id, name, aliases from artists").fetchall()
    folded = name.casefold()
    exact = [i for i, _, _ in rows if i == name]
    return exact or [
        i
        for i, n, aliases in rows
        if folded in {n.casefold(), i.casefold()}
        or folded in {a.casefold() for a in json.loads(aliases or "[]")}
    ]


@pytest.mark.parametrize("name", ARTISTS)
def test_an_artist_alone_is_counted_from_mentions(client, archive_db, name):
    count, statements = shown_count(client, f"_artist={quote(name)}")
    ids = artist_ids(archive_db, name)
    expected = direct(
        archive_db,
        "select count(*) from articles where id in (select article_id from mentions"
        f" where artist_id in ({', '.join('?' for _ in ids) or 'null'}))",
        ids,
    )
    assert count == expected
    if ids:
        assert any(s.startswith("select count(") and " from mentions " in s for s in statements)


def test_a_shared_name_counts_each_article_once(client, archive_db):
    count, statements = shown_count(client, "_artist=Swift")
    assert count == direct(
        archive_db,
        "select count(distinct article_id) from mentions"
        " where artist_id in ('taylor-swift', 'swift-band')",
        [],
    )
    # Mentions, not articles: this is where a count(*) would count some twice.
    assert count < direct(
        archive_db,
        "select count(*) from mentions where artist_id in ('taylor-swift', 'swift-band')",
        [],
    )
    assert any("count(distinct article_id) from mentions" in s for s in statements)


def test_other_selections_keep_datasettes_count(client, archive_db):
    count, statements = shown_count(client, "_search=gaga&source_id=popwire")
    assert count == direct(
        archive_db,
        "select count(*) from articles where source_id = 'popwire' and id in"
        " (select rowid from articles_fts where articles_fts match 'gaga')",
        [],
    )
    assert all(" from articles " in s for s in statements)
