"""Malformed URL parameters, ``?_through=`` with other filters, and what the
introspection pages tell a visitor about the operator's machine.

Every URL below was an HTTP 500 (Datasette's error page, a traceback in the server log)
in Datasette 0.65 before archive/plugins/newscrawl_bad_requests.py and
newscrawl_through.py; ``_through`` with a column filter listed nothing; /-/databases
showed the archive's absolute path.
"""

from __future__ import annotations

import json
import sqlite3
import urllib.request
from pathlib import Path
from urllib.parse import quote, urlencode

import pytest
from archive_fixtures import SyncClient, build_archive, running_server

from newscrawl.serve import build_datasette


@pytest.fixture(scope="module")
def archive_db(tmp_path_factory) -> Path:
    return build_archive(tmp_path_factory.mktemp("bad-requests") / "archive.db")


@pytest.fixture(scope="module")
def client(archive_db):
    client = SyncClient(build_datasette(archive_db))
    yield client
    client.close()


@pytest.fixture(scope="module")
def conn(archive_db):
    conn = sqlite3.connect(f"file:{archive_db}?mode=ro", uri=True)
    yield conn
    conn.close()


# -- malformed parameters ----------------------------------------------------------------

TABLE = "/archive/articles"
VIEW = "/archive/co_mentions"
CANNED = ("/archive/search_articles", {"q": "duet"})
HEAVY_SQL = (
    "with recursive n(i) as (select 1 union all select i + 1 from n where i < 100000000)"
    " select count(*) from n"
)

# (page, parameters, what the one-line message must name)
MALFORMED = [
    *(
        (page, params, named)
        for page in (TABLE, VIEW, "/archive/mentions")
        for params, named in (
            ({"_sort": "nope"}, "nope"),
            ({"_sort_desc": "nope"}, "nope"),
            ({"_sort": "body"}, "body"),  # a column that is not sortable
            ({"_sort": "\x00"}, "sort"),
            ({"_sort": "id", "_sort_desc": "id"}, "_sort_desc"),
            ({"_timelimit": "abc"}, "_timelimit"),
            ({"_through": "garbage"}, "_through"),
            ({"_through": "{}"}, "_through"),
            ({"_through": '{"table": "x"}'}, "_through"),
            ({"id__in": "["}, "id__in"),
            ({"id__in": '[{"a": 1}]'}, "id__in"),
        )
    ),
    (VIEW, {"_next": "garbage"}, "_next"),
    (VIEW, {"_next": "1,2,3"}, "_next"),
    (VIEW, {"_next": str(2**63)}, "_next"),  # past SQLite's integers
    (TABLE, {"_next": "1,2,3"}, "_next"),  # was a 400 "near ")": syntax error"
    (TABLE, {"id__gt": "99999999999999999999"}, "id__gt"),  # past SQLite's integers
    (VIEW, {"joint_salience__lte": "99999999999999999999"}, "joint_salience__lte"),
    (TABLE, {"_where": "\x00"}, "_where"),
    (TABLE, {"_timelimit": "-1"}, "_timelimit"),
    (TABLE, {"_through": '{"table": "artists", "column": "id", "value": "x"}'}, "artists"),
    (CANNED[0], {**CANNED[1], "_timelimit": "abc"}, "_timelimit"),
    ("/archive/monthly_coverage", {"_timelimit": "abc"}, "_timelimit"),
    ("/archive/run_drops", {"_timelimit": "1.5"}, "_timelimit"),
    ("/archive", {"sql": "select 1", "_timelimit": "abc"}, "_timelimit"),
]


# Facet configurations belong to the HTML and JSON forms only (a CSV has none).
MALFORMED_FACETS = [
    *(
        (page, params, named)
        for page in (TABLE, VIEW)
        for params, named in (
            ({"_facet": "{}"}, "_facet"),
            ({"_facet": "\x00"}, "_facet"),
            ({"_facet_date": "{"}, "_facet_date"),
            ({"_facet_array": '{"simple": 1}'}, "_facet_array"),
            ({"_facet_size": "{"}, "_facet_size"),  # Datasette reads it as a facet too
            ({"_facet_size": "²"}, "_facet_size"),  # "²".isdigit(), but int("²") fails
        )
    ),
    (TABLE, {"_facet_artist": "{}"}, "_facet_artist"),
]


def url(page: str, params: dict[str, str], extension: str) -> str:
    return f"{page}{extension}?{urlencode(params)}"


def assert_refused(client, capfd, page, params, named, extension):
    """A 400 whose one-line message names the parameter, and no traceback logged."""
    response = client.get(url(page, params, extension))
    assert response.status_code == 400, (page, params, response.text[:300])
    if extension == ".json":
        error = response.json()["error"]
        assert named in error and "\n" not in error, error
    elif extension == ".csv":
        # As the CSV of a failed query: one line of text, not an HTML page that a
        # script would save as the export.
        assert response.headers["content-type"].startswith("text/plain"), response.text[:300]
        assert response.text.startswith("Error: ") and named in response.text
        assert response.text.count("\n") == 1, response.text
    else:
        assert "<title>Invalid parameter</title>" in response.text
    assert "Traceback" not in capfd.readouterr().err


@pytest.mark.parametrize("extension", ["", ".json", ".csv"])
@pytest.mark.parametrize(("page", "params", "named"), MALFORMED)
def test_a_malformed_parameter_is_a_400_that_names_it(
    client, capfd, page, params, named, extension
):
    assert_refused(client, capfd, page, params, named, extension)


# When one facet's configuration fails, Datasette 0.65 leaves the coroutines of the
# page's other facets unawaited (its suggested facets, newscrawl_facets.py's early
# ones): Python warns when they are freed. That is no part of the answer checked here.
@pytest.mark.filterwarnings(
    "ignore:Exception ignored in. <coroutine object:pytest.PytestUnraisableExceptionWarning"
)
@pytest.mark.parametrize("extension", ["", ".json"])
@pytest.mark.parametrize(("page", "params", "named"), MALFORMED_FACETS)
def test_a_malformed_facet_is_a_400_that_names_it(client, capfd, page, params, named, extension):
    assert_refused(client, capfd, page, params, named, extension)


@pytest.mark.parametrize("extension", ["", ".json"])
def test_a_cache_lifetime_that_is_no_number_is_a_400(client, capfd, extension):
    for page in (TABLE, VIEW):
        assert_refused(client, capfd, page, {"_ttl": "²"}, "_ttl", extension)


@pytest.mark.parametrize(("extension", "params"), [(".csv", {}), (".json", {"_shape": "array"})])
def test_the_database_page_without_sql_asks_for_it(client, extension, params):
    # /archive.csv was a 500 (KeyError: 'columns'); /archive.json?_shape=array too.
    response = client.get(url("/archive", params, extension))
    assert response.status_code == 400
    assert "?sql=" in response.text


def test_a_csv_export_past_the_time_limit_is_a_400(client, capfd):
    # The HTML and JSON forms said "SQL query took too long" (400); the CSV was a 500.
    for extension in (".json", ".csv"):
        response = client.get(url("/archive", {"sql": HEAVY_SQL, "_timelimit": "1"}, extension))
        assert response.status_code == 400, (extension, response.text[:300])
        assert "took too long" in response.text
    assert "Traceback" not in capfd.readouterr().err
    response = client.get(url("/archive", {"sql": HEAVY_SQL, "_timelimit": "1"}, ".csv"))
    assert response.headers["content-type"].startswith("text/plain")
    assert response.text.startswith("Error: SQL query took too long.")


def test_a_csv_export_of_a_bad_where_is_one_line_of_text(client):
    # Datasette's own 400 (its table page checks _where by running it): an HTML page
    # was the answer to a .csv; the JSON and HTML forms stay Datasette's.
    params = {"_where": "no_such_column = 1"}
    csv = client.get(url(TABLE, params, ".csv"))
    assert csv.status_code == 400 and csv.headers["content-type"].startswith("text/plain")
    error = client.get(url(TABLE, params, ".json")).json()["error"]
    assert csv.text == f"Error: {error}\n"
    page = client.get(url(TABLE, params, ""))
    assert page.status_code == 400 and page.headers["content-type"].startswith("text/html")


MISSING = [
    "/archive/nosuch",  # a table (or canned query) that does not exist
    "/nosuchdb/articles",  # a database that does not exist
    "/archive/articles/999999999",  # a row that does not exist
    "/nosuchdb",  # a database's query page
    "/archive/nosuch?_stream=1&_timelimit=abc",
]


@pytest.mark.parametrize("page", MISSING)
def test_a_csv_of_something_missing_is_a_404_of_one_line_of_text(client, capfd, page):
    # Datasette's HTML 404 page was the answer to the .csv, which a script saves as the
    # export; the JSON and HTML forms stay Datasette's own.
    base, _, query = page.partition("?")
    suffix = f"?{query}" if query else ""
    as_json = client.get(f"{base}.json{suffix}")
    assert as_json.status_code == 404
    error = as_json.json()["error"]
    for csv_url in (
        f"{base}.csv{suffix}",
        f"{base}?{'&'.join(p for p in (query, '_format=csv') if p)}",
    ):
        csv = client.get(csv_url)
        assert csv.status_code == 404, csv_url
        assert csv.headers["content-type"].startswith("text/plain"), (csv_url, csv.text[:200])
        assert csv.text == f"Error: {error}\n"
    html = client.get(page)
    assert html.status_code == 404 and html.headers["content-type"].startswith("text/html")
    assert "<title>Error 404</title>" in html.text
    assert "Traceback" not in capfd.readouterr().err


def test_a_csv_url_no_route_matches_is_a_404_of_one_line_of_text(client):
    csv = client.get("/archive/articles/1/nosuch.csv")
    assert (csv.status_code, csv.text) == (404, "Error: Not found\n")
    assert csv.headers["content-type"].startswith("text/plain")
    assert client.get("/archive/articles/1/nosuch").headers["content-type"].startswith("text/html")
    # and a row or table that exists still exports
    row = client.get("/archive/articles/1.csv")
    assert row.status_code == 200 and row.text.startswith("id,")


def test_a_missing_table_stays_a_404_whatever_its_parameters(client):
    assert client.get("/archive/articles.json?_timelimit=abc").status_code == 400
    assert client.get("/archive/nope.json?_timelimit=abc").status_code == 404
    assert client.get("/archive/nope?_sort=nope").status_code == 404


def test_the_next_links_still_page_where_a_forged_cursor_is_refused(client, conn):
    # The checks run only after a failure: every page a link leads to still answers.
    assert client.get(url(VIEW, {"_next": "garbage"}, ".json")).status_code == 400
    expected = [r[0] for r in conn.execute("select id from articles order by published_at, id")]
    for page, key in ((TABLE, "published_at"), (VIEW, "joint_salience")):
        path = url(page, {"_sort": key, "_size": "3"}, ".json")
        seen = 0
        while path:
            response = client.get(path)
            assert response.status_code == 200, (path, response.text[:300])
            seen += len(response.json()["rows"])
            next_url = response.json()["next_url"]
            path = next_url and next_url.split("://", 1)[1].split("/", 1)[1]
            path = path and "/" + path
        if page == TABLE:
            assert seen == len(expected)
    for params in ({"_timelimit": "0"}, {"_timelimit": "2500"}, {"id__in": "[1, 2]"}):
        assert client.get(url(TABLE, params, ".json")).status_code == 200


# -- ?_through= with other filters -------------------------------------------------------


def through(table: str, column: str, value: str) -> str:
    return json.dumps({"table": table, "column": column, "value": value})


def article_ids(client, **params) -> set[int]:
    query = urlencode({**params, "_col": "id", "_size": "max", "_nofacet": "1"}, doseq=True)
    response = client.get(f"/archive/articles.json?{query}")
    assert response.status_code == 200, response.text[:300]
    return {row[0] for row in response.json()["rows"]}


def mentioning(conn, artist_id: str, where: str = "1") -> set[int]:
    return {
        row[0]
        for row in conn.execute(
            f"select id from articles where {where} and id in"
            " (select article_id from mentions where artist_id = ?)",
            [artist_id],
        )
    }


def test_through_combines_with_column_filters_and_searches(client, conn):
    gaga = through("mentions", "artist_id", "lady-gaga")
    britney = through("mentions", "artist_id", "britney-spears")
    assert article_ids(client, _through=gaga) == mentioning(conn, "lady-gaga")
    # Listed nothing: both clauses named their parameter :p0.
    popwire = mentioning(conn, "lady-gaga", "source_id = 'popwire'")
    assert popwire and article_ids(client, _through=gaga, source_id="popwire") == popwire
    both = mentioning(conn, "lady-gaga") & mentioning(conn, "britney-spears")
    assert both and article_ids(client, _through=[gaga, britney]) == both
    assert article_ids(client, _through=[gaga, britney], source_id="popwire") == both & popwire
    searched = article_ids(client, _search="duet")
    assert article_ids(client, _through=gaga, _search="duet") == (
        mentioning(conn, "lady-gaga") & searched
    )
    page = client.get(f"/archive/articles?_through={quote(gaga)}&source_id=popwire")
    assert page.status_code == 200
    assert 'mentions.artist_id = "lady-gaga" and source_id = "popwire"' in page.text.replace(
        "&#34;", '"'
    )


# -- what the introspection pages show ---------------------------------------------------

INTROSPECTION = [
    "/-/databases",
    "/-/settings",
    "/-/metadata",
    "/-/plugins",
    "/-/versions",
    "/-/threads",
    "/-/actor",
]


def test_a_served_archive_shows_no_filesystem_path(archive_db):
    # A real `newscrawl serve`: the path it serves is the resolved absolute one.
    folder = str(archive_db.resolve().parent)
    hidden = [folder, str(Path.home()), str(Path(__file__).resolve().parent.parent)]
    sql = "select * from pragma_database_list()"
    with running_server(archive_db) as base:
        for path in INTROSPECTION:
            for suffix in ("", ".json", ".json?all=1"):
                with urllib.request.urlopen(f"{base}{path}{suffix}", timeout=10) as response:
                    assert response.status == 200, path
                    body = response.read().decode("utf-8")
                for secret in hidden:
                    assert secret not in body, (path + suffix, secret)
        with urllib.request.urlopen(f"{base}/-/databases.json", timeout=10) as response:
            databases = json.load(response)
        assert [(d["name"], d["path"]) for d in databases] == [("archive", "archive.db")]
        with urllib.request.urlopen(f"{base}/-/threads.json", timeout=10) as response:
            threads = json.load(response)
        assert threads["num_threads"] > 0 and "tasks" not in threads
        query = urlencode({"sql": sql, "_shape": "array"})
        with urllib.request.urlopen(f"{base}/archive.json?{query}", timeout=10) as response:
            assert json.load(response) == [{"seq": 0, "name": "main", "file": None}]
        # Datasette's own pages that read the same pragma still work.
        with urllib.request.urlopen(f"{base}/archive", timeout=10) as response:
            assert response.status == 200
