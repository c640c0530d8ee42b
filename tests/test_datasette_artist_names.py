"""Artists that share a name: each facet link lists the articles it counted.

artists.yml lets two artists share a name (``id:`` tells apart two acts called Nirvana)
or a phrase (``shared:``), and a slug that changed leaves the old artist row, with the
same name, in the archive. The artist facet counts each artist id; its link filters
with ``?_artist=<slug>``, which must then select that one artist, not every artist whose
name or alias folds to the same text.
"""

from __future__ import annotations

import sqlite3
from dataclasses import replace
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
from archive_fixtures import SyncClient
from test_store import BRITNEY, Art, Src, article

from newscrawl.serve import build_datasette
from newscrawl.store import Archive

ARTISTS = [
    # two acts with one name: the watchlist gives the second an id of its own
    Art("nirvana", "Nirvana"),
    Art("nirvana-uk", "Nirvana"),
    # a slug that is also another artist's (shared) alias
    Art("drake", "Drake"),
    Art("drake-bell", "Drake Bell", ["Drake"]),
]
# article number -> the artists it mentions
MENTIONS = {
    0: ["nirvana"],
    1: ["nirvana"],
    2: ["nirvana", "drake"],
    3: ["nirvana-uk"],
    4: ["drake"],
    5: ["drake-bell"],
    6: ["drake-bell"],
}


@pytest.fixture(scope="module")
def archive_db(tmp_path_factory):
    db = tmp_path_factory.mktemp("names") / "archive.db"
    names = {a.id: a.name for a in ARTISTS}
    with Archive(db) as store:
        store.sync_sources([Src("a")])
        store.sync_artists(ARTISTS)
        articles = []
        for number, artist_ids in MENTIONS.items():
            url = f"https://a.example/{number}/"
            mentions = [replace(BRITNEY, artist=names[i], artist_id=i) for i in artist_ids]
            articles.append(
                article(url=url, canonical_url=url, content_hash=f"h{number}", mentions=mentions)
            )
        store.write_batch(articles, run_id=None)
    return db


@pytest.fixture(scope="module")
def client(archive_db):
    client = SyncClient(build_datasette(archive_db))
    yield client
    client.close()


def mentioning(archive_db, *artist_ids):
    conn = sqlite3.connect(archive_db)
    try:
        return {
            row[0]
            for row in conn.execute(
                "select article_id from mentions where artist_id in"
                f" ({', '.join('?' for _ in artist_ids)})",
                artist_ids,
            )
        }
    finally:
        conn.close()


def page(client, query):
    response = client.get(f"/archive/articles.json?{query}&_size=max")
    assert response.status_code == 200, response.text[:300]
    return response.json()


def artist_facet(data):
    return {v["value"]: v for v in data["facet_results"]["artists"]["results"]}


@pytest.mark.parametrize("artist_id", [a.id for a in ARTISTS])
def test_an_artist_facet_link_lists_what_it_counted(client, archive_db, artist_id):
    value = artist_facet(page(client, ""))[artist_id]
    assert value["count"] == len(mentioning(archive_db, artist_id))
    pairs = [p for p in parse_qsl(urlsplit(value["toggle_url"]).query) if p[0] != "_size"]
    assert pairs == [("_artist", artist_id)]
    query = urlencode(pairs)
    opened = page(client, query)
    assert {row[0] for row in opened["rows"]} == mentioning(archive_db, artist_id)
    assert opened["filtered_table_rows_count"] == value["count"]
    # only that artist shows as selected, and its own count is unchanged
    facet = artist_facet(opened)
    assert [k for k, v in facet.items() if v["selected"]] == [artist_id]
    assert facet[artist_id]["count"] == value["count"]


@pytest.mark.parametrize(
    ("name", "artist_ids"),
    [("Nirvana", ["nirvana", "nirvana-uk"]), ("NIRVANA", ["nirvana", "nirvana-uk"])],
)
def test_a_shared_name_still_selects_every_artist_it_names(client, archive_db, name, artist_ids):
    opened = page(client, urlencode({"_artist": name}))
    assert {row[0] for row in opened["rows"]} == mentioning(archive_db, *artist_ids)
    facet = artist_facet(opened)
    assert sorted(k for k, v in facet.items() if v["selected"]) == artist_ids


def test_the_article_pages_links_to_an_artists_articles_name_that_artist(client, archive_db):
    # "more about Nirvana" on an article about the first act listed both acts' articles.
    page = client.get("/-/article/archive/1")
    assert page.status_code == 200
    link = "/archive/artist_articles?artist=nirvana"
    assert f'href="{link}"' in page.text
    rows = client.get(link.replace("artist_articles", "artist_articles.json") + "&_shape=array")
    assert {row["article_id"] for row in rows.json()} == mentioning(archive_db, "nirvana")
    assert {row["artist_id"] for row in rows.json()} == {"nirvana"}


@pytest.mark.parametrize(
    ("value", "artist_ids"),
    [
        ("nirvana", ["nirvana"]),
        ("drake", ["drake"]),
        ("Nirvana", ["nirvana", "nirvana-uk"]),  # a shared name names both
        ("Drake", ["drake", "drake-bell"]),
    ],
)
def test_canned_queries_and_charts_take_a_slug_as_one_artist(client, archive_db, value, artist_ids):
    def rows(query, **params):
        response = client.get(f"/archive/{query}.json?" + urlencode({**params, "_shape": "array"}))
        assert response.status_code == 200, response.text[:300]
        return response.json()

    expected = mentioning(archive_db, *artist_ids)
    found = rows("artist_articles", artist=value, since="", until="", order="")
    assert {r["artist_id"] for r in found} == set(artist_ids)
    share = rows("publisher_share", artist=value)
    assert sum(r["articles"] for r in share) == len(expected)
    monthly = rows("monthly_coverage", artist=value)
    assert sum(r["articles"] for r in monthly) == sum(
        len(mentioning(archive_db, artist_id)) for artist_id in artist_ids
    )
    both = rows("articles_about_both", artist_a=value, artist_b="drake")
    assert {r["article_id"] for r in both} == {
        article_id
        for artist_id in artist_ids
        if artist_id != "drake"
        for article_id in mentioning(archive_db, artist_id) & mentioning(archive_db, "drake")
    }
    charts = client.get("/-/charts/archive?" + urlencode({"artist": value}))
    assert charts.status_code == 200
    names = {a.id: a.name for a in ARTISTS}
    drawn = {name for name in set(names.values()) if f"<td>{name}</td>" in charts.text}
    assert drawn == {names[artist_id] for artist_id in artist_ids}


def test_the_charts_say_which_names_are_no_artist(client):
    # A typo drew "No articles mention Nirvanna": an empty answer that looks like a real one.
    page = client.get(
        "/-/charts/archive?" + urlencode([("artist", "Nirvanna"), ("artist", "drake")])
    )
    assert page.status_code == 200
    assert "No artist of this archive is called Nirvanna " in page.text
    assert "<td>Drake</td>" in page.text  # the names it knows are still drawn
    for known in ("nirvana", "NIRVANA", "Drake Bell"):
        page = client.get("/-/charts/archive?" + urlencode({"artist": known}))
        assert "No artist of this archive is called" not in page.text, known
