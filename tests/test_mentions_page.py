"""The mentions table page reads indexes (schema step m018), not every mention: its
default order (most salient first) is a range of ``mentions_by_salience`` and its
``in_title`` facet a scan of ``mentions_by_in_title``; page after page it still lists
every mention once, in that order."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from archive_fixtures import SyncClient, build_archive

from newscrawl.serve import build_datasette


@pytest.fixture(scope="module")
def archive_db(tmp_path_factory) -> Path:
    return build_archive(tmp_path_factory.mktemp("mentions") / "archive.db")


@pytest.fixture(scope="module")
def client(archive_db):
    client = SyncClient(build_datasette(archive_db))
    yield client
    client.close()


def traced(client: SyncClient, path: str) -> list[dict]:
    response, traces = client.get_traced(path)
    assert response.status_code == 200
    return [t for t in traces if " from mentions" in (t.get("sql") or "")]


def plan(db: Path, sql: str, params) -> str:
    with sqlite3.connect(db) as conn:
        return " | ".join(
            row[-1] for row in conn.execute("explain query plan " + sql, params or {})
        )


def test_the_default_order_and_the_in_title_facet_read_their_indexes(client, archive_db):
    queries = traced(client, "/archive/mentions")
    page = [q for q in queries if q["sql"].startswith("select article_id")]
    facet = [q for q in queries if q["sql"].startswith("select in_title as value")]
    assert len(page) == 1 and len(facet) == 1
    assert "order by salience desc, article_id, artist_id" in page[0]["sql"]

    page_plan = plan(archive_db, page[0]["sql"], page[0]["params"])
    assert "mentions_by_salience" in page_plan, page_plan
    assert "TEMP B-TREE" not in page_plan, page_plan

    facet_plan = plan(archive_db, facet[0]["sql"], facet[0]["params"])
    assert "COVERING INDEX mentions_by_in_title" in facet_plan, facet_plan


def test_page_after_page_lists_every_mention_once_in_order(client, archive_db):
    with sqlite3.connect(archive_db) as conn:
        expected = conn.execute(
            "select article_id, artist_id from mentions"
            " order by salience desc, article_id, artist_id"
        ).fetchall()
        # Ties in salience are what the key order decides: the fixture must have some.
        saliences = [row[0] for row in conn.execute("select salience from mentions")]
    assert len(saliences) > len(set(saliences))

    listed = []
    path = "/archive/mentions.json?_size=2&_nofacet=1&_shape=objects"
    while path:
        data = client.get(path).json()
        listed += [(row["article_id"], row["artist_id"]) for row in data["rows"]]
        path = data["next_url"] and data["next_url"].replace("http://localhost", "")
    assert [tuple(row) for row in expected] == listed
