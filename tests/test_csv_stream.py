"""A streamed CSV export that stops short fails as a download instead of ending as a
complete file (archive/plugins/newscrawl_csv_exports.py).

Datasette 0.65 sends the 200 first and the rows page after page; when a page fails (the
export passes ``max_csv_mb``, or a later page's query passes the time limit) it wrote
the error's text as the last line and ended the response normally: at 1,000,000
articles a search's export held 29,790 of its 33,452 rows and nothing told the client.
A real server and a real HTTP client: the incomplete transfer is what the client sees.
"""

from __future__ import annotations

import csv
import http.client
import io
import sqlite3
import urllib.request

import pytest
from archive_fixtures import config_copy, running_server
from test_store import Src

from newscrawl.store import Archive

ARTICLES = 300
# Each article's text: 300 of them make a CSV of ~1.8 MB, past a 1 MB limit.
BODY = "Tour dates were announced for the autumn. " * 140


@pytest.fixture(scope="module")
def archive_db(tmp_path_factory):
    path = tmp_path_factory.mktemp("csv") / "archive.db"
    with Archive(path) as store:
        store.sync_sources([Src("a")])
    rows = [
        (n, f"https://a.example/{n}/", f"Story {n}", BODY, "2025-01-15T10:00:00+00:00")
        for n in range(1, ARTICLES + 1)
    ]
    db = sqlite3.connect(path)
    with db:
        db.executemany(
            "insert into articles (id, canonical_url, url, source_id, title, body, published_at)"
            " values (?, ?, ?2, 'a', ?, ?, ?)",
            [(n, url, title, body, published) for n, url, title, body, published in rows],
        )
    db.close()
    return path


@pytest.fixture(scope="module")
def server(archive_db, tmp_path_factory):
    # archive/ with max_csv_mb 1 instead of 100: the same limit, on a small archive.
    config = config_copy(tmp_path_factory.mktemp("config"), max_csv_mb=1)
    with running_server(archive_db, config_dir=config) as base:
        yield base


def test_an_export_past_max_csv_mb_fails_as_a_download(server):
    with urllib.request.urlopen(f"{server}/archive/articles.csv?_stream=1") as response:
        assert response.status == 200  # sent before the first row
        with pytest.raises(http.client.IncompleteRead) as cut:
            response.read()
    partial = cut.value.partial.decode()
    assert partial.startswith("id,")
    assert partial.endswith("CSV contains more than 1048576 bytes")  # Datasette's own


def test_an_export_within_the_limit_is_whole(server):
    # The same selection without the text: every row, and a response that ends.
    url = f"{server}/archive/articles.csv?_stream=1&_col=title&_size=100"
    with urllib.request.urlopen(url) as response:
        rows = list(csv.reader(io.StringIO(response.read().decode())))
    assert rows[0] == ["id", "title"]
    assert [int(row[0]) for row in rows[1:]] == list(range(ARTICLES, 0, -1))
