"""One artist's articles on one publisher's page or in one month: the publisher and month
facets from ``coverage_monthly`` (``artist_cells()`` of archive/plugins/newscrawl_facets.py).

A page such as ``?_artist=beyonce&source_id=starbeat`` (the publisher facet's link from
the artist's page) counted its month and publisher facets over every matching article:
for the most covered artist on one publisher's page at 1,000,000 articles, 48,000 of
them, where that artist's 760 rows of coverage_monthly (per artist, month and publisher)
hold the same counts, but for the artist's undated articles, which the publisher facet
counts and the month facet leaves out. Each page here is checked against plain SQL over
``articles``/``mentions``, and against the same page of a copy of the archive without
coverage_monthly (the generic path), value for value: labels, links, ``selected``,
``truncated``, on page 2 too.
"""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
from archive_fixtures import (
    ARTISTS,
    UNDATED_ID,
    Artist,
    SyncClient,
    build_archive,
    record_statements,
)

from newscrawl.serve import build_datasette
from newscrawl.store import Archive

# Watched, never written about, and sharing Beyoncé's alias "Queen Bey".
QUIET = Artist("quiet-one", "The Quiet One", ["Queen Bey"])

# (page, the artist it names, its equality filters): Beyoncé's articles are 4
# (starbeat, 2024-03), 6 (popwire, 2024-04) and 9 (starbeat, undated).
ARTIST_CELLS = [
    ("_artist=beyonce&source_id=starbeat", "beyonce", {"source_id": "starbeat"}),
    ("_artist=Beyonce&source_id__exact=starbeat", "beyonce", {"source_id": "starbeat"}),
    ("_artist=beyonce&source_id=popwire", "beyonce", {"source_id": "popwire"}),
    ("_artist=BEYONC%C3%89&published_month=2024-04", "beyonce", {"published_month": "2024-04"}),
    ("_artist=lady-gaga&published_month=2024-05", "lady-gaga", {"published_month": "2024-05"}),
    (
        "_artist=Britney&source_id=starbeat&_facet_size=1",
        "britney-spears",
        {"source_id": "starbeat"},
    ),
    (
        "_artist=britney-spears&source_id=popwire&published_month=2024-04",
        "britney-spears",
        {"source_id": "popwire", "published_month": "2024-04"},
    ),
    (
        "_artist=Lady+Gaga&published_month__exact=2024-05&source_id__exact=starbeat",
        "lady-gaga",
        {"source_id": "starbeat", "published_month": "2024-05"},
    ),
    ("_artist=taylor-swift&source_id=inquisitr", "taylor-swift", {"source_id": "inquisitr"}),
    ("_artist=quiet-one&source_id=popwire", "quiet-one", {"source_id": "popwire"}),
]
BASE = "_artist=beyonce&source_id=starbeat"
# Pages that are more than one artist and equality filters: counted from their rows.
COUNTED = [
    f"{BASE}&word_count__gt=0",
    f"{BASE}&_search=duets",
    f"{BASE}&source_id=popwire",
    f"{BASE}&source_id__exact=starbeat",
    "_artist=beyonce&source_id__not=popwire",
    "_artist=beyonce&_artist=taylor-swift&source_id=starbeat",
    "_artist=Queen+Bey&source_id=starbeat",  # a shared alias: two artists
    "_artist=nobody&source_id=starbeat",
]
COLUMNS = ("source_id", "published_month")


@pytest.fixture(scope="module")
def archive_db(tmp_path_factory) -> Path:
    path = build_archive(tmp_path_factory.mktemp("artist-cells") / "archive.db")
    with Archive(path) as archive:
        archive.sync_artists([*ARTISTS, QUIET])
    return path


@pytest.fixture(scope="module")
def client(archive_db):
    client = SyncClient(build_datasette(archive_db))
    yield client
    client.close()


@pytest.fixture(scope="module")
def generic(archive_db, tmp_path_factory):
    """The same archive without coverage_monthly: every facet counts the page's rows."""
    copy = tmp_path_factory.mktemp("generic") / "archive.db"
    shutil.copy(archive_db, copy)
    with sqlite3.connect(copy) as db:
        for (trigger,) in db.execute(
            "select name from sqlite_master where type = 'trigger' and sql like '%coverage%'"
        ).fetchall():
            db.execute(f"drop trigger [{trigger}]")
        db.execute("drop view coverage_by_month")
        db.execute("drop table coverage_monthly")
    client = SyncClient(build_datasette(copy))
    yield client
    client.close()


@pytest.fixture(scope="module")
def conn(archive_db):
    conn = sqlite3.connect(f"file:{archive_db}?mode=ro", uri=True)
    yield conn
    conn.close()


@pytest.fixture
def executed(client, monkeypatch) -> list[tuple[str, dict]]:
    """Every SQL statement (whitespace folded) and its parameters that the client's
    Datasette runs from here on."""
    return record_statements(client.datasette, monkeypatch, lambda sql, params: (sql, params))


def get(client, filters: str) -> dict:
    response = client.get(f"/archive/articles.json?{filters}")
    assert response.status_code == 200, response.text
    return response.json()


def pages(client, filters: str) -> list[dict]:
    """Every page of ``/archive/articles.json?<filters>`` at one row a page (one page when
    there is no row)."""
    found, query = [], f"{filters}&_size=1"
    path = f"/archive/articles.json?{query}"
    while path:
        response = client.get(path)
        assert response.status_code == 200, response.text
        found.append(response.json())
        path = found[-1]["next"] and f"/archive/articles.json?{query}&_next={found[-1]['next']}"
    return found


def facets(data: dict) -> dict:
    """The publisher and month facets of a page, every field of every value."""
    return {column: data["facet_results"][column] for column in COLUMNS}


def counts(data: dict, column: str) -> dict[str, int]:
    return {v["value"]: v["count"] for v in data["facet_results"][column]["results"]}


def plain_counts(conn, artist: str, cells: dict[str, str], column: str) -> dict[str, int]:
    """Articles per value of ``column`` (nulls left out, as Datasette's column facet does)
    among ``artist``'s articles that ``cells`` (column: value) keeps, straight from SQL."""
    where = ["id in (select article_id from mentions where artist_id = ?)", f"{column} is not null"]
    where += [f"{name} = ?" for name in cells]
    return dict(
        conn.execute(
            f"select {column}, count(*) from articles where {' and '.join(where)} group by 1",
            [artist, *cells.values()],
        ).fetchall()
    )


def by_count(item: tuple[str, int]) -> tuple[int, str]:
    return -item[1], item[0]


def facet_reads(executed) -> dict[str, list[tuple[str, dict]]]:
    """The facet queries run, by what they read: the per-month table or the page's rows
    (whose select lists the articles columns, canonical_url among them)."""
    queries = [(sql, params) for sql, params in executed if " as value" in sql]
    assert len(queries) == 3, queries
    return {
        "coverage_monthly": [q for q in queries if "from coverage_monthly" in q[0]],
        "rows": [q for q in queries if "canonical_url" in q[0]],
    }


@pytest.mark.parametrize(("filters", "artist", "cells"), ARTIST_CELLS)
def test_publisher_and_month_facets_of_one_artist_and_cells_read_coverage_monthly(
    client, generic, conn, executed, filters, artist, cells
):
    get(client, filters)
    reads = facet_reads(executed)
    # The publisher and month facets from coverage_monthly (by the artist's key), the
    # artist facet (no per-publisher co-mention counts) from the page's rows.
    assert len(reads["coverage_monthly"]) == 2 and len(reads["rows"]) == 1, reads
    for sql, params in reads["coverage_monthly"]:
        assert "canonical_url" not in sql
        plan = " ".join(row[3] for row in conn.execute(f"explain query plan {sql}", params))
        assert "SEARCH coverage_monthly USING INDEX sqlite_autoindex_coverage_monthly_1" in plan
        assert "(artist_id=?)" in plan, plan
    assert "join mentions m on m.article_id = page.id" in reads["rows"][0][0]

    every = pages(client, filters)
    first = every[0]
    for column in COLUMNS:
        # the most frequent first, as many as _facet_size allows
        expected = sorted(plain_counts(conn, artist, cells, column).items(), key=by_count)
        facet = first["facet_results"][column]
        shown = [(v["value"], v["count"]) for v in facet["results"]]
        assert shown == expected[: len(shown)] and facet["truncated"] == (shown != expected)
    ids = {row[0] for page in every for row in page["rows"]}
    if UNDATED_ID in ids:
        # the undated article: on the publisher facet, not on the month facet
        assert sum(counts(first, "source_id").values()) == len(ids)
        assert sum(counts(first, "published_month").values()) == len(ids) - 1
    # value for value what the generic path gives, on every page (links, selected, truncated)
    expected = pages(generic, filters)
    assert [facets(page) for page in every] == [facets(page) for page in expected]
    assert all(facets(page) == facets(first) for page in every)
    if "_facet_size=1" in filters:
        assert len(first["facet_results"]["published_month"]["results"]) == 1
        assert first["facet_results"]["published_month"]["truncated"]
    # and a value's link lists as many articles as it counted
    for column in COLUMNS:
        for value in first["facet_results"][column]["results"]:
            query = [p for p in parse_qsl(urlsplit(value["toggle_url"]).query) if p[0] != "_size"]
            assert "_next" not in dict(query)
            if not value["selected"]:
                opened = client.get("/archive/articles.json?" + urlencode(query)).json()
                assert opened["filtered_table_rows_count"] == value["count"], (column, value)


@pytest.mark.parametrize("filters", COUNTED)
def test_anything_more_than_one_artist_and_cells_is_counted_from_the_rows(
    client, generic, conn, executed, filters
):
    get(client, BASE)
    assert len(facet_reads(executed)["coverage_monthly"]) == 2
    executed.clear()
    data = get(client, filters)
    assert facet_reads(executed)["rows"] and not facet_reads(executed)["coverage_monthly"]
    assert facets(data) == facets(get(generic, filters))
    ids = {row[0] for page in pages(client, filters) for row in page["rows"]}
    for column in COLUMNS:
        found: dict[str, int] = {}
        for (value,) in conn.execute(
            f"select {column} from articles where id in (select value from json_each(?))",
            [str(sorted(ids)).replace(" ", "")],
        ):
            if value is not None:
                found[value] = found.get(value, 0) + 1
        assert counts(data, column) == found
