"""The "CSV" link of a table page gives every row of the selection
(archive/plugins/newscrawl_csv_exports.py).

Datasette 0.65 linked one response's worth (``max_returned_rows``) and said nothing of
the rest. Here the limits are lowered (3 rows a response, 2 a page) so that the test
archive's selections are larger than one response, and each link is followed as a
researcher would: from the page, then the CSV read as CSV.
"""

from __future__ import annotations

import csv
import html
import io
import re
import sqlite3
import urllib.request
from pathlib import Path
from urllib.parse import parse_qsl, urljoin, urlsplit

import pytest
from archive_fixtures import SyncClient, build_archive, config_copy, running_server

from newscrawl.serve import build_datasette

MAX_ROWS = 3


@pytest.fixture(scope="module")
def archive_db(tmp_path_factory) -> Path:
    return build_archive(tmp_path_factory.mktemp("csv") / "archive.db")


@pytest.fixture(scope="module")
def client(archive_db, tmp_path_factory):
    config = config_copy(
        tmp_path_factory.mktemp("config"), max_returned_rows=MAX_ROWS, default_page_size=2
    )
    client = SyncClient(build_datasette(archive_db, config_dir=config))
    yield client
    client.close()


def sql(archive_db, query: str, *params) -> list:
    conn = sqlite3.connect(f"file:{archive_db}?mode=ro", uri=True)
    try:
        return [row[0] for row in conn.execute(query, params)]
    finally:
        conn.close()


def csv_link(page: str, at: str) -> str:
    """The page's "CSV" link, as the path and query a browser on ``at`` follows."""
    found = re.findall(r'<a href="([^"]*)">CSV</a>', page)
    assert len(found) == 1, found
    target = urlsplit(urljoin(f"http://localhost{at}", html.unescape(found[0])))
    return f"{target.path}?{target.query}"


def link_on(client, at: str) -> str:
    return csv_link(client.get(at).text, at)


def csv_rows(client, link: str) -> list[dict]:
    response = client.get(link)
    assert response.status_code == 200, response.text[:300]
    return list(csv.DictReader(io.StringIO(response.text)))


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/archive/articles", "select id from articles order by id desc"),
        (
            "/archive/articles?_search=duet",
            "select rowid from articles_fts where articles_fts match 'duet' order by rowid desc",
        ),
        (
            "/archive/articles?_artist=britney-spears",
            "select article_id from mentions where artist_id = 'britney-spears'"
            " order by article_id desc",
        ),
        ("/archive/articles?_sort=title", "select id from articles order by title, id"),
    ],
)
def test_the_csv_link_of_a_table_page_gives_every_row_of_the_selection(
    client, archive_db, path, expected
):
    wanted = [str(v) for v in sql(archive_db, expected)]
    assert len(wanted) > MAX_ROWS  # more than one response holds
    page = client.get(path).text
    assert [row["id"] for row in csv_rows(client, csv_link(page, path))] == wanted
    # From the second page too: a CSV starts at the first row of the selection.
    second = re.search(r'<a href="([^"]*_next=[^"]*)">Next page</a>', page)
    assert second, "a second page"
    nxt = urlsplit(html.unescape(second.group(1)))  # absolute: http://localhost/...
    later_path = f"{nxt.path}?{nxt.query}"
    later = client.get(later_path).text
    assert [row["id"] for row in csv_rows(client, csv_link(later, later_path))] == wanted


def test_labels_stay_as_datasettes_link_had_them(client, archive_db):
    rows = csv_rows(client, link_on(client, "/archive/articles"))
    conn = sqlite3.connect(f"file:{archive_db}?mode=ro", uri=True)
    try:
        names = dict(conn.execute("select id, name from sources"))
    finally:
        conn.close()
    assert rows and all(names[row["source_id"]] == row["source_id_label"] for row in rows)


def test_a_view_and_another_table_stream_too(client, archive_db):
    pairs = sql(archive_db, "select count(*) from co_mentions")[0]
    mentions = sql(archive_db, "select count(*) from mentions")[0]
    assert pairs > MAX_ROWS and mentions > MAX_ROWS
    assert len(csv_rows(client, link_on(client, "/archive/co_mentions"))) == pairs
    assert len(csv_rows(client, link_on(client, "/archive/mentions"))) == mentions


def test_a_canned_querys_csv_link_is_datasettes(client):
    # A canned query runs its SQL once: nothing to stream, and its page says how many.
    link = link_on(client, "/archive/search_articles?q=duet")
    assert "_stream" not in link and "_labels" not in link
    assert len(csv_rows(client, link)) <= MAX_ROWS


def test_the_csv_link_stays_under_base_url_whether_the_proxy_strips_it_or_not(archive_db, tmp_path):
    # base_url /news/, the page shown at https://proxy.example/news/archive/articles?...
    # A proxy that keeps the prefix (Datasette's own proxy recipes) forwards
    # /news/archive/...; one that strips it forwards /archive/.... The link was
    # datasette.urls.path(request.path...): /news/news/archive/articles.csv (a 404) when
    # the prefix was kept.
    config = config_copy(tmp_path, base_url="/news/")
    query = "_search=duet&_size=2"
    wanted = sql(
        archive_db,
        "select rowid from articles_fts where articles_fts match 'duet' order by rowid desc",
    )
    with running_server(archive_db, config_dir=config) as base:
        for forwarded, prefix in (("/news/archive/articles", "/news"), ("/archive/articles", "")):
            with urllib.request.urlopen(f"{base}{forwarded}?{query}") as response:
                page = response.read().decode("utf-8")
            shown_at = f"/news/archive/articles?{query}"
            target = urlsplit(csv_link(page, shown_at))
            assert target.path == "/news/archive/articles.csv", forwarded
            assert ("_stream", "on") in parse_qsl(target.query)
            # The proxy forwards it as it forwarded the page.
            sent = prefix + target.path.removeprefix("/news")
            with urllib.request.urlopen(f"{base}{sent}?{target.query}") as response:
                rows = list(csv.DictReader(io.StringIO(response.read().decode("utf-8"))))
            assert [int(row["id"]) for row in rows] == wanted
