"""The co_mentions view's artist_a / artist_b facets over the whole view are read from
co_mention_counts (archive/plugins/newscrawl_pair_facets.py) and say exactly what
Datasette's own facet SQL says: same values, labels, counts and order.

Datasette registers a plugins directory's modules for the whole process, so a second
Datasette without this file would still run it. The reference is the same selection
through Datasette's own SQL: the view with a filter that keeps every row
(``artist_a__not=`` an id no artist has), which the plugin leaves alone."""

from __future__ import annotations

import pytest
from archive_fixtures import SyncClient, build_archive

from newscrawl.serve import build_datasette

PAGES = [
    "/archive/co_mentions.json",
    "/archive/co_mentions.json?_facet_size=1",
    "/archive/co_mentions.json?_sort=article_id",
    "/archive/co_mentions.json?_facet=article_id",
]
KEEPS_EVERY_ROW = "artist_a__not=no-such-artist"


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    db = build_archive(tmp_path_factory.mktemp("pairs") / "archive.db")
    client = SyncClient(build_datasette(db))
    yield client
    client.close()


def facets(client: SyncClient, path: str) -> dict:
    response = client.get(path)
    assert response.status_code == 200, response.text
    return {
        name: (
            [(v["value"], v["label"], v["count"]) for v in facet["results"]],
            facet["truncated"],
        )
        for name, facet in response.json()["facet_results"].items()
    }


@pytest.mark.parametrize("path", PAGES)
def test_the_counts_are_those_of_datasettes_own_sql(client, path):
    reference = path + ("&" if "?" in path else "?") + KEEPS_EVERY_ROW
    expected = facets(client, reference)
    assert expected["artist_a"][0] and expected["artist_b"][0]
    assert facets(client, path) == expected


def traced_sql(client: SyncClient, path: str) -> list[str]:
    response, traces = client.get_traced(path)
    assert response.status_code == 200
    return [t.get("sql") or "" for t in traces]


def test_only_the_whole_views_artist_facets_read_the_counts(client):
    whole = [
        sql for sql in traced_sql(client, "/archive/co_mentions") if "co_mention_counts" in sql
    ]
    assert len(whole) == 2
    for path in (
        "/archive/co_mentions?artist_a=britney-spears",
        f"/archive/co_mentions?{KEEPS_EVERY_ROW}",
    ):
        assert not [sql for sql in traced_sql(client, path) if "co_mention_counts" in sql]
