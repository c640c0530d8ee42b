"""The same question answered in two places of the archive's Datasette gives one answer:
canned queries against plain SQL over ``articles`` and ``mentions``."""

from __future__ import annotations

import sqlite3
from dataclasses import replace
from urllib.parse import urlencode

import pytest
from archive_fixtures import SyncClient
from test_store import BRITNEY, Art, Src, article

from newscrawl.serve import build_datasette
from newscrawl.store import Archive

# One artist, one month, two publishers: 0.1236 twice at a, 0.1232 at b. The mean of the
# three is 0.12347 (0.123); the per-publisher means round to 0.124 and 0.123, and
# weighting those gives 0.12367 (0.124).
SALIENCES = [("a", 0.1236), ("a", 0.1236), ("b", 0.1232)]


@pytest.fixture
def archive_db(tmp_path):
    db = tmp_path / "archive.db"
    with Archive(db) as store:
        store.sync_sources(
            [Src("a"), Src("b", homepage="https://b.example/", allowed_domains=["b.example"])]
        )
        store.sync_artists([Art("britney-spears", "Britney Spears")])
        articles = []
        for number, (source, salience) in enumerate(SALIENCES):
            url = f"https://{source}.example/{number}/"
            articles.append(
                article(
                    url=url,
                    canonical_url=url,
                    source_id=source,
                    content_hash=f"hash-{number}",
                    mentions=[replace(BRITNEY, salience=salience)],
                )
            )
        store.write_batch(articles, run_id=None)
    return db


def test_monthly_coverage_mean_salience_is_the_mean_of_the_mentions(archive_db):
    # monthly_coverage weighted coverage_by_month's rounded per-publisher means: 0.124,
    # where the mentions' mean (and publisher_share, the export's data card) say 0.123.
    conn = sqlite3.connect(archive_db)
    expected = {
        month: (articles, mean)
        for month, articles, mean in conn.execute(
            "select a.published_month, count(*), round(avg(m.salience), 3)"
            " from mentions m join articles a on a.id = m.article_id"
            " where m.artist_id = 'britney-spears' group by a.published_month"
        )
    }
    conn.close()
    assert expected == {"2026-03": (3, 0.123)}
    client = SyncClient(build_datasette(archive_db))
    try:
        for artist in ("Britney Spears", ""):
            response = client.get(
                "/archive/monthly_coverage.json?" + urlencode({"artist": artist, "_shape": "array"})
            )
            assert response.status_code == 200, response.text[:300]
            found = {r["month"]: (r["articles"], r["mean_salience"]) for r in response.json()}
            assert found == expected
    finally:
        client.close()


def test_a_shared_name_counts_each_article_once_in_publisher_share(tmp_path):
    # "The Carters", listed under shared: by Beyoncé and Jay-Z, names both. The articles
    # table (?_artist=), its publisher facet and `newscrawl export --artist` count the 3
    # articles; publisher_share counted the article about both twice (4, 100%).
    db = tmp_path / "archive.db"
    beyonce = replace(BRITNEY, artist="Beyoncé", artist_id="beyonce", salience=0.8)
    jay_z = replace(BRITNEY, artist="Jay-Z", artist_id="jay-z", salience=0.6)
    with Archive(db) as store:
        store.sync_sources([Src("a")])
        store.sync_artists(
            [Art("beyonce", "Beyoncé", ["The Carters"]), Art("jay-z", "Jay-Z", ["The Carters"])]
        )
        articles = []
        for number, mentions in enumerate([[beyonce, jay_z], [beyonce], [jay_z]]):
            url = f"https://a.example/{number}/"
            articles.append(
                article(url=url, canonical_url=url, content_hash=f"h{number}", mentions=mentions)
            )
        store.write_batch(articles, run_id=None)
    client = SyncClient(build_datasette(db))
    try:
        page = client.get("/archive/articles.json?_artist=The+Carters").json()
        assert page["filtered_table_rows_count"] == 3
        publishers = {v["value"]: v["count"] for v in page["facet_results"]["source_id"]["results"]}
        assert publishers == {"a": 3}
        share = client.get("/archive/publisher_share.json?artist=The+Carters&_shape=array").json()
        assert [(r["source_id"], r["articles"], r["percent"]) for r in share] == [("a", 3, 100.0)]
        # artist_articles lists mentions: each artist's articles, the shared one twice.
        rows = client.get(
            "/archive/artist_articles.json?artist=The+Carters&since=&until=&order=&_shape=array"
        ).json()
        assert sorted((r["article_id"], r["artist_id"]) for r in rows) == [
            (1, "beyonce"),
            (1, "jay-z"),
            (2, "beyonce"),
            (3, "jay-z"),
        ]
    finally:
        client.close()
