"""A query that fails says so, in every format (archive/plugins/newscrawl_errors.py).

Datasette 0.65 answered the CSV of a failing query with ``200 OK`` and one empty line:
a researcher's script saved it as a CSV of no rows. And ``artist_articles`` reported a
bad date as ``JSON path error near 'since = ... is not a date ...'``.
"""

from __future__ import annotations

import asyncio
import csv
import io
import logging
import re
import sqlite3
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlencode

import pytest
from archive_fixtures import SyncClient, build_archive, running_server

from newscrawl.serve import build_datasette

DATE_MESSAGE = (
    "until = x is not a date: give YYYY, YYYY-MM or YYYY-MM-DD, e.g. 2025, 2025-02 or 2025-02-11"
)
FAILING = {
    # a bad date: the canned query stops itself
    "bad_date": (
        "/archive/artist_articles",
        {"artist": "britney-spears", "since": "", "until": "x", "order": ""},
        DATE_MESSAGE,
    ),
    # FTS5 syntax: an unbalanced quote
    "bad_search": ("/archive/search_articles", {"q": '"duet'}, "unterminated string"),
    # any SQL error of a custom query
    "bad_sql": ("/archive", {"sql": "select json_extract('{}', 'x')"}, "JSON path error near 'x'"),
}


@pytest.fixture(scope="module")
def archive_db(tmp_path_factory) -> Path:
    return build_archive(tmp_path_factory.mktemp("errors") / "archive.db")


@pytest.fixture(scope="module")
def client(archive_db):
    client = SyncClient(build_datasette(archive_db))
    yield client
    client.close()


def url(path: str, params: dict, suffix: str = "", **extra: str) -> str:
    return f"{path}{suffix}?{urlencode({**params, **extra})}"


@pytest.mark.parametrize("case", sorted(FAILING))
@pytest.mark.parametrize("extra", [{}, {"_stream": "1"}, {"_dl": "1"}, {"_header": "off"}])
def test_the_csv_of_a_failing_query_is_an_error_with_its_message(client, case, extra):
    path, params, message = FAILING[case]
    response = client.get(url(path, params, ".csv", **extra))
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("text/plain")
    assert "attachment" not in response.headers.get("content-disposition", "")
    assert response.text == f"Error: {message}\n"
    # The JSON says the same, as Datasette did before.
    assert client.get(url(path, params, ".json")).json()["error"] == message


@pytest.mark.parametrize(
    ("path", "params", "header"),
    [
        ("/archive/search_articles", {"q": "nosuchwordanywhere"}, "article_id,title_highlighted"),
        ("/archive/search_articles", {"q": "duet"}, "article_id,title_highlighted"),
        ("/archive", {"sql": "select 1 as one where 0"}, "one"),
        ("/archive/articles", {"id": "-1"}, "id"),
    ],
)
def test_the_csv_of_a_query_that_answers_is_unchanged(client, path, params, header):
    for extra in ({}, {"_stream": "1"}):
        response = client.get(url(path, params, ".csv", **extra))
        assert response.status_code == 200
        assert response.text.startswith(header + ",") or response.text == header + "\r\n"
    rows = client.get(url(path, params, ".json", _shape="array")).json()
    body = client.get(url(path, params, ".csv")).text
    assert len(list(csv.reader(io.StringIO(body)))) == 1 + len(rows)
    # Without the header line, no rows is an empty body, as Datasette sends it.
    headless = client.get(url(path, params, ".csv", _header="off"))
    assert headless.status_code == 200
    assert len(list(csv.reader(io.StringIO(headless.text)))) == len(rows)


def test_a_bad_date_says_so_without_sqlites_wording(client):
    path, params, message = FAILING["bad_date"]
    page = client.get(url(path, params))
    assert page.status_code == 400
    assert f'<p class="message-error">{message}</p>' in page.text
    assert "JSON path" not in page.text
    apostrophe = client.get(url(path, {**params, "until": "it's late"}, ".json")).json()
    assert apostrophe["error"].startswith("until = it\N{RIGHT SINGLE QUOTATION MARK}s late is")
    # Only those messages: another JSON path error keeps SQLite's words.
    assert client.get(url(*FAILING["bad_sql"][:2], ".json")).json()["error"] == (
        "JSON path error near 'x'"
    )


def test_over_http_a_streamed_csv_of_a_failing_query_is_an_error(archive_db):
    # A real server sends a streamed CSV in chunks; the failed one is still told apart.
    path, params, message = FAILING["bad_date"]
    with running_server(archive_db) as base:
        with pytest.raises(urllib.error.HTTPError) as failed:
            urllib.request.urlopen(base + url(path, params, ".csv", _stream="1"))
        assert failed.value.code == 400
        assert failed.value.read().decode() == f"Error: {message}\n"
        with urllib.request.urlopen(base + "/archive/articles.csv?_stream=1&_size=max") as ok:
            lines = ok.read().decode().splitlines()
    assert lines[0].startswith("id,canonical_url,") and len(lines) > 5


def test_a_head_request_of_a_failing_csv_has_the_headers_of_its_get(archive_db):
    # HEAD answers with the headers GET would have. The message comes from the request
    # as .json, which was asked with the same method: a HEAD's JSON has no body, so the
    # HEAD said 400 with the length of "Error: the query failed".
    path, params, message = FAILING["bad_search"]
    with running_server(archive_db) as base:
        target = base + url(path, params, ".csv")
        with pytest.raises(urllib.error.HTTPError) as got:
            urllib.request.urlopen(target)
        with pytest.raises(urllib.error.HTTPError) as head:
            urllib.request.urlopen(urllib.request.Request(target, method="HEAD"))
    with got.value, head.value:
        body = got.value.read()
        assert body == f"Error: {message}\n".encode()
        assert head.value.code == 400
        assert head.value.headers["content-length"] == str(len(body))


def test_the_docs_quote_a_bad_dates_error_as_it_is_shown(client):
    # docs/datasette.md quoted it with SQLite's "JSON path error near '...'" around it.
    docs = (Path(__file__).parents[1] / "docs" / "datasette.md").read_text(encoding="utf-8")
    quoted = re.search(r"shown as its error:\s*`([^`]*)`", docs)
    assert quoted, "the docs quote the error"
    params = {"artist": "britney-spears", "since": "2025-6", "until": "", "order": ""}
    shown = client.get(url("/archive/artist_articles", params, ".json")).json()["error"]
    assert shown.startswith(quoted.group(1).split("...")[0].rstrip(", "))


@pytest.mark.parametrize("case", sorted(FAILING))
@pytest.mark.parametrize("suffix", ["", ".json", ".csv"])
def test_a_failed_query_is_one_short_line_of_the_log(client, capsys, caplog, case, suffix):
    # Datasette wrote each failed query to stderr whole: a bad date on artist_articles
    # was 6 KB of SQL on one line.
    path, params, message = FAILING[case]
    capsys.readouterr()
    with caplog.at_level(logging.WARNING, logger="newscrawl.datasette"):
        assert client.get(url(path, params, suffix)).status_code == 400
    assert "sql = " not in capsys.readouterr().err
    # One line, even for a CSV, whose message is asked of the same request as JSON.
    lines = [r.getMessage() for r in caplog.records if r.name == "newscrawl.datasette"]
    assert len(lines) == 1, lines
    assert lines[0].startswith(f"query failed on archive: {message} | sql: ")
    assert "\n" not in lines[0] and len(lines[0]) < 700


def test_errors_a_caller_asks_not_to_log_stay_unlogged(archive_db, capsys, caplog):
    datasette = build_datasette(archive_db)
    db = datasette.get_database("archive")
    with caplog.at_level(logging.WARNING, logger="newscrawl.datasette"):
        for log_sql_errors in (False, True):
            with pytest.raises(sqlite3.OperationalError, match="no such column"):
                asyncio.run(db.execute("select nonsense", log_sql_errors=log_sql_errors))
    lines = [r.getMessage() for r in caplog.records if r.name == "newscrawl.datasette"]
    assert lines == [
        "query failed on archive: no such column: nonsense | sql: select nonsense | params: None"
    ]
    assert "nonsense" not in capsys.readouterr().err


def test_a_later_wrapper_of_execute_does_not_make_a_second_datasette_log_twice(
    archive_db, monkeypatch, caplog
):
    # Datasette runs each plugin file again for every Datasette it builds, and three
    # plugins wrap Database.execute. One found its mark on the method, which a wrapper
    # put on later hid: it wrapped again, and the full suite saw a failed CSV logged
    # twice. Here a wrapper that keeps nothing of the one it wraps stands for that.
    from datasette.database import Database

    build_datasette(archive_db)
    wrapped = Database.execute

    async def later_wrapper(self, *args, **kwargs):
        return await wrapped(self, *args, **kwargs)

    monkeypatch.setattr(Database, "execute", later_wrapper)
    client = SyncClient(build_datasette(archive_db))  # the plugin files run again
    try:
        assert Database.execute is later_wrapper
        path, params, message = FAILING["bad_sql"]
        with caplog.at_level(logging.WARNING, logger="newscrawl.datasette"):
            assert client.get(url(path, params, ".csv")).status_code == 400
    finally:
        client.close()
    lines = [r.getMessage() for r in caplog.records if r.name == "newscrawl.datasette"]
    assert len(lines) == 1, lines
