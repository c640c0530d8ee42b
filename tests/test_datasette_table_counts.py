"""The database and index pages' table counts (archive/plugins/newscrawl_table_counts.py):
exact for the archive's own tables, counted again after any other connection commits and
not before, and the search index's tables counted within the time limit, which
Datasette's own counts never honoured."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from archive_fixtures import SyncClient, build_archive

from newscrawl.serve import build_datasette, datasette_options

FTS_TABLES = {
    "articles_fts",
    "articles_fts_config",
    "articles_fts_data",
    "articles_fts_docsize",
    "articles_fts_idx",
}


@pytest.fixture()
def archive_db(tmp_path) -> Path:
    return build_archive(tmp_path / "archive.db")


def direct_counts(db: Path) -> dict[str, int]:
    with sqlite3.connect(db) as conn:
        names = [
            row[0] for row in conn.execute("select name from sqlite_master where type = 'table'")
        ]
        return {
            name: conn.execute(f'select count(*) from "{name}"').fetchone()[0] for name in names
        }


def page_counts(client: SyncClient) -> dict[str, int | None]:
    response = client.get("/archive.json?_show_hidden=1")
    assert response.status_code == 200
    return {table["name"]: table["count"] for table in response.json()["tables"]}


def counter_of(client: SyncClient):
    return client.datasette.get_database("archive").newscrawl_table_counter


def test_the_database_page_counts_every_ordinary_table_exactly(archive_db):
    client = SyncClient(build_datasette(archive_db))
    try:
        shown = page_counts(client)
        expected = direct_counts(archive_db)
        assert expected["articles"] > 0 and expected["mentions"] > 0
        ordinary = {name for name in expected if name not in FTS_TABLES}
        assert {name: shown[name] for name in ordinary} == {
            name: expected[name] for name in ordinary
        }
        html = client.get("/archive").text
        assert f"{expected['articles']:,} rows" in html or f"{expected['articles']} row" in html
    finally:
        client.close()


def test_counts_are_kept_until_another_connection_commits(archive_db):
    client = SyncClient(build_datasette(archive_db))
    try:
        page_counts(client)
        counted = []
        counter_of(client).conn.set_trace_callback(counted.append)
        page_counts(client)
        client.get("/archive")
        exact_counts = [sql for sql in counted if sql.startswith('select count(*) from "')]
        assert exact_counts == [], "counted again although nothing changed"

        with sqlite3.connect(archive_db) as writer:
            writer.execute(
                "insert into drops (url, stage, reason)"
                " values ('http://127.0.0.1:1/x', 'extract', 'not_article')"
            )
        after = page_counts(client)
        assert after["drops"] == direct_counts(archive_db)["drops"]
        assert [sql for sql in counted if sql.startswith('select count(*) from "')]
    finally:
        client.close()


def test_the_search_index_is_counted_within_the_limit(archive_db):
    # A second FTS5 table big enough that counting it row by row takes many steps.
    with sqlite3.connect(archive_db) as conn:
        conn.execute("create virtual table notes_fts using fts5 (body)")
        conn.executemany(
            "insert into notes_fts (body) values (?)",
            [(f"note {n} about a red carpet",) for n in range(5000)],
        )
    client = SyncClient(build_datasette(archive_db))
    try:
        counter = counter_of(client)
        expected = direct_counts(archive_db)
        expected["articles_fts"] = expected["articles"]
        expected["notes_fts"] = 5000
        names = sorted(expected)
        assert expected["notes_fts_docsize"] == 5000

        assert counter.counts(names, 60_000) == expected

        # A limit already past when counting starts: a search-index table of many rows is
        # cut short (shown as "Many rows"); the archive's own tables are still exact.
        cut = counter.counts(names, -1)
        assert {"notes_fts", "notes_fts_content", "notes_fts_docsize"} <= {
            name for name, count in cut.items() if count is None
        }
        ordinary = [name for name in names if "_fts" not in name]
        assert {name: cut[name] for name in ordinary} == {name: expected[name] for name in ordinary}
    finally:
        client.close()


def test_an_immutable_archive_is_counted_too(archive_db):
    client = SyncClient(build_datasette(archive_db, immutable=True))
    try:
        assert counter_of(client).immutable
        shown = page_counts(client)
        assert shown["articles"] == direct_counts(archive_db)["articles"]
        assert client.get("/").status_code == 200
    finally:
        client.close()


def test_counts_from_datasette_inspect_are_used_as_they_are(archive_db, tmp_path):
    # `datasette inspect` wrote them when the copy was published (docs/datasette.md):
    # Datasette shows those, and so does this plugin; a marker value tells them apart.
    from datasette.app import Datasette

    inspect_file = tmp_path / "inspect.json"
    subprocess.run(
        [sys.executable, "-m", "datasette", "inspect", str(archive_db)]
        + ["--inspect-file", str(inspect_file)],
        check=True,
        capture_output=True,
    )
    inspected = json.loads(inspect_file.read_text())
    assert (
        inspected["archive"]["tables"]["articles"]["count"] == direct_counts(archive_db)["articles"]
    )
    inspected["archive"]["tables"]["articles"]["count"] = 12345
    options = datasette_options(archive_db, immutable=True)
    client = SyncClient(Datasette(**options, inspect_data=inspected))
    try:
        assert page_counts(client)["articles"] == 12345
    finally:
        client.close()
