"""Inputs at the edges of the archive's Datasette pages: empty searches, ids beyond
SQLite's integers, charts with nothing dated to draw, artist names in any case and
normal form, and dates that are not dates."""

from __future__ import annotations

import re
import shutil
import sqlite3
import unicodedata
from html import unescape as html_unescape
from pathlib import Path
from urllib.parse import urlencode

import pytest
from archive_fixtures import SyncClient, build_archive
from datasette.database import QueryInterrupted

from newscrawl.serve import build_datasette


@pytest.fixture(scope="module")
def archive_db(tmp_path_factory) -> Path:
    return build_archive(tmp_path_factory.mktemp("edges") / "archive.db")


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


def ids(client, path: str) -> set[int]:
    base, _, query_string = path.partition("?")
    query_string = "&".join(p for p in (query_string, "_size=max&_col=id&_nofacet=1") if p)
    response = client.get(f"{base}.json?{query_string}")
    assert response.status_code == 200, (path, response.text[:300])
    return {row[0] for row in response.json()["rows"]}


def mentioning(conn, artist_id: str) -> set[int]:
    return {
        r[0]
        for r in conn.execute("select article_id from mentions where artist_id = ?", [artist_id])
    }


def query(client, name: str, **params):
    return client.get(f"/archive/{name}.json?" + urlencode({**params, "_shape": "objects"}))


# -- a search that reduces to nothing ----------------------------------------------------

EMPTY_SEARCHES = [
    {"_search": " "},
    {"_search": '"'},
    {"_search": '""'},
    {"_search": '  "  '},
    {"_search": ""},
    {"_search_title": ""},
    {"_search_title": '"'},
    {"_search": " ", "_searchmode": "escaped"},
    {"_search": "\x00"},
]


@pytest.mark.parametrize("search", EMPTY_SEARCHES)
@pytest.mark.parametrize("others", [{}, {"source_id": "popwire"}, {"_artist": "lady-gaga"}])
def test_an_empty_search_is_no_search(client, search, others):
    # Escaped mode made these "fts5: syntax error near """ (a 400); the search box sends a
    # lone space or quote as typed.
    expected = ids(client, "/archive/articles?" + urlencode(others))
    assert expected
    path = "/archive/articles?" + urlencode({**others, **search})
    assert ids(client, path) == expected
    page = client.get(path)
    assert page.status_code == 200 and "Invalid SQL" not in page.text


def test_a_real_search_still_searches_and_raw_errors_stay_errors(client, conn):
    assert ids(client, "/archive/articles?_search=duet") == {1, 4, 8, 10}
    assert ids(client, "/archive/articles?" + urlencode({"_search": ' "duet '})) == {1, 4, 8, 10}
    assert ids(client, "/archive/articles?_search=%00duet") == {1, 4, 8, 10}
    for raw in ('"', " ", "AND"):
        response = client.get(
            "/archive/articles.json?" + urlencode({"_search": raw, "_searchmode": "raw"})
        )
        assert response.status_code == 400, raw


# -- the article page --------------------------------------------------------------------


@pytest.mark.parametrize(
    "article_id", ["99999999999999999999", str(2**63), "9223372036854775807", "0"]
)
def test_an_id_beyond_sqlite_integers_is_not_found(client, article_id):
    # 500 before: OverflowError, Python int too large to convert to SQLite INTEGER
    assert client.get(f"/-/article/archive/{article_id}").status_code == 404
    assert client.get(f"/archive/articles/{article_id}").status_code == 404


# -- charts with nothing dated -----------------------------------------------------------


def undated_copy(archive_db: Path, folder: Path, where: str) -> Path:
    copy = folder / "undated.db"
    shutil.copy(archive_db, copy)
    with sqlite3.connect(copy) as db:
        db.execute(f"update articles set published_at = null, published_month = null {where}")
    return copy


@pytest.mark.parametrize(
    ("where", "artists"),
    [
        ("where id in (select article_id from mentions where artist_id = 'beyonce')", ["beyonce"]),
        ("", ["beyonce"]),
        ("", ["beyonce", "lady-gaga", "britney-spears", "taylor-swift"]),  # a heatmap
        ("", []),  # the top ten
    ],
)
def test_charts_of_undated_articles_are_empty_not_errors(archive_db, tmp_path, where, artists):
    copy = undated_copy(archive_db, tmp_path, where)
    client = SyncClient(build_datasette(copy))
    try:
        query_string = urlencode([("artist", a) for a in artists])
        for path in ("/-/charts/undated/coverage.svg", "/-/charts/undated/publishers.svg"):
            svg = client.get(f"{path}?{query_string}")
            assert svg.status_code == 200, (path, svg.text[:500])
            assert svg.headers["content-type"].startswith("image/svg+xml")
            assert svg.text.startswith("<svg") and svg.text.endswith("</svg>")
        coverage = client.get(f"/-/charts/undated/coverage.svg?{query_string}").text
        assert 'data-empty="true"' in coverage and "no dated articles" in coverage
        page = client.get(f"/-/charts/undated?{query_string}")
        assert page.status_code == 200
        # the publisher split still counts the undated articles
        assert 'data-chart="publishers"' in page.text
    finally:
        client.close()


def test_a_hand_edited_date_that_is_no_month_leaves_the_chart_drawn(archive_db, tmp_path):
    # The store writes ISO dates; an operator's hand edit ("March 2025") made the
    # published_month "March 2" and the charts page a 500.
    copy = tmp_path / "edited.db"
    shutil.copy(archive_db, copy)
    with sqlite3.connect(copy) as db:
        db.execute(
            "update articles set published_at = 'March 2025'"
            " where id = (select min(article_id) from mentions where artist_id = 'lady-gaga')"
        )
        assert db.execute(
            "select count(*) from articles where published_month = 'March 2'"
        ).fetchone() == (1,)
    client = SyncClient(build_datasette(copy))
    try:
        for path in ("/-/charts/edited", "/-/charts/edited/coverage.svg?artist=lady-gaga"):
            response = client.get(path)
            assert response.status_code == 200, (path, response.text[:500])
            assert "March 2" not in response.text
    finally:
        client.close()


def test_charts_of_no_artist_are_empty(client):
    for chart in ("coverage", "publishers"):
        svg = client.get(f"/-/charts/archive/{chart}.svg?artist=nobody")
        assert svg.status_code == 200 and 'data-empty="true"' in svg.text


# -- artist names in any case ------------------------------------------------------------

DECOMPOSED = unicodedata.normalize("NFD", "Beyoncé")
ANY_CASE = [
    ("BEYONCÉ", "beyonce"),
    ("beyoncé", "beyonce"),
    (DECOMPOSED, "beyonce"),
    (DECOMPOSED.upper(), "beyonce"),
    ("QUEEN BEY", "beyonce"),
    ("Beyonce", "beyonce"),
    ("BEYONCE", "beyonce"),
    ("Britney-Spears", "britney-spears"),
    ("BRITNEY-SPEARS", "britney-spears"),
    ("princess of pop", "britney-spears"),
    ("MOTHER MONSTER", "lady-gaga"),
]


@pytest.mark.parametrize(("name", "artist_id"), ANY_CASE)
def test_the_artist_filter_matches_any_case(client, conn, name, artist_id):
    # SQLite's lower() folds ASCII only, and slugs were compared as written.
    expected = mentioning(conn, artist_id)
    assert ids(client, "/archive/articles?" + urlencode({"_artist": name})) == expected
    data = client.get("/archive/articles.json?" + urlencode({"_artist": name})).json()
    facet = {v["value"]: v for v in data["facet_results"]["artists"]["results"]}
    assert facet[artist_id]["selected"] and facet[artist_id]["count"] == len(expected)


@pytest.mark.parametrize(("name", "artist_id"), ANY_CASE)
def test_the_canned_queries_match_any_case(client, conn, name, artist_id):
    expected = mentioning(conn, artist_id)
    found = query(client, "artist_articles", artist=name, since="", until="", order="")
    assert {r["article_id"] for r in found.json()["rows"]} == expected
    share = query(client, "publisher_share", artist=name).json()["rows"]
    assert sum(r["articles"] for r in share) == len(expected)
    monthly = query(client, "monthly_coverage", artist=name).json()["rows"]
    assert monthly and {r["artist"] for r in monthly} == {
        conn.execute("select name from artists where id = ?", [artist_id]).fetchone()[0]
    }
    both = query(client, "articles_about_both", artist_a=name, artist_b="TAYLOR SWIFT")
    expected_both = expected & mentioning(conn, "taylor-swift")
    assert {r["article_id"] for r in both.json()["rows"]} == (
        expected_both if artist_id != "taylor-swift" else set()
    )


def test_the_charts_match_any_case(client):
    for name in ("BEYONCÉ", DECOMPOSED, "queen bey"):
        page = client.get("/-/charts/archive?" + urlencode({"artist": name}))
        assert re.findall(r'<path class="series" data-artist="([^"]+)"', page.text) == [
            "Beyoncé"
        ], name
    svg = client.get("/-/charts/archive/coverage.svg?" + urlencode({"artist": "BRITNEY-SPEARS"}))
    assert 'data-artist="Britney Spears"' in svg.text


def test_folding_is_nfc_and_casefold():
    import importlib.util

    from newscrawl.serve import ARCHIVE_DIR

    path = ARCHIVE_DIR / "plugins" / "newscrawl_search.py"
    spec = importlib.util.spec_from_file_location("newscrawl_search_test", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.fold("BEYONCÉ") == module.fold(DECOMPOSED) == "beyoncé"
    assert module.fold("STRASSE") == module.fold("Straße")
    assert module.fold(None) is None


# -- dates that are not dates ------------------------------------------------------------


@pytest.mark.parametrize(
    ("since", "until", "wrong"),
    [
        ("2024-3", "", "since = 2024-3"),  # silently dropped all of 2024
        ("", "x", "until = x"),  # silently returned everything
        ("2024-13", "", "since = 2024-13"),  # acted like 2025
        ("2024-00", "", "since = 2024-00"),
        ("2024-02-32", "", "since = 2024-02-32"),
        ("", "2024-02-1", "until = 2024-02-1"),
        ("24", "", "since = 24"),
        ("2024-03-14T10:00", "", "since = 2024-03-14T10:00"),
        ("2024", "2024/05", "until = 2024/05"),
        (" 2024", "", "since =  2024"),
    ],
)
@pytest.mark.parametrize("artist", ["britney-spears", "nobody"])
def test_an_invalid_date_is_an_error_not_a_wrong_answer(client, since, until, wrong, artist):
    response = query(client, "artist_articles", artist=artist, since=since, until=until, order="")
    assert response.status_code == 400
    error = response.json()["error"]
    assert wrong in error and "is not a date" in error and "YYYY-MM-DD" in error, error
    page = client.get(
        "/archive/artist_articles?"
        + urlencode({"artist": artist, "since": since, "until": until, "order": ""})
    )
    assert page.status_code == 400 and "is not a date" in page.text


@pytest.mark.parametrize(
    ("since", "until", "expected"),
    [
        ("", "", {1, 5, 6, 8, 10}),
        ("2024", "", {1, 5, 6, 8, 10}),
        ("2024-04", "", {5, 6, 8, 10}),
        ("2024-04-28", "2024-05", {6, 8}),
        ("", "2024-03-14", {1}),
        ("2024-03", "2024-04-30", {1, 5, 6}),
        ("", "2024-02-30", set()),  # the end of February, as before
        ("2024-05-19", "2024-06-31", {8, 10}),
        ("2025", "", set()),
    ],
)
def test_the_documented_dates_still_work(client, since, until, expected):
    response = query(
        client, "artist_articles", artist="BRITNEY-SPEARS", since=since, until=until, order=""
    )
    assert response.status_code == 200, response.text[:300]
    assert {r["article_id"] for r in response.json()["rows"]} == expected


def test_charts_past_the_time_limit_are_an_error_page_not_a_500(client, monkeypatch, caplog):
    # A chart query of a large archive can pass sql_time_limit_ms: the page was a 500
    # ("Internal Server Error") with a traceback in the server log.
    db = client.datasette.get_database("archive")
    execute = db.execute

    async def slow_charts(sql, *args, **kwargs):
        if "from mentions" in sql:
            raise QueryInterrupted(None, sql, args)
        return await execute(sql, *args, **kwargs)

    monkeypatch.setattr(db, "execute", slow_charts)
    limit = client.datasette.setting("sql_time_limit_ms")
    for path in (
        "/-/charts/archive",
        "/-/charts/archive?artist=britney",
        "/-/charts/archive/coverage.svg",
        "/-/charts/archive/publishers.svg",
    ):
        response = client.get(path)
        assert response.status_code == 400, (path, response.text[:300])
        assert f"sql_time_limit_ms ({limit} ms)" in response.text
    warnings = [r.getMessage() for r in caplog.records if r.name == "newscrawl.datasette"]
    assert len(warnings) == 4
    assert warnings[1] == (
        f"charts of archive left off: past sql_time_limit_ms ({limit} ms)"
        " on /-/charts/archive?artist=britney"
    )


def test_the_publisher_chart_counts_what_a_recount_over_mentions_says(archive_db, tmp_path):
    """The publisher bars read the per-month table plus the undated articles (a count
    over every mention took 1.3 s at 1,000,000 articles): they must still say what a
    count over mentions and articles says, with undated articles and two publisher ids
    of one name (a source renamed in sources.yml) grouped as the bars show them."""
    copy = undated_copy(archive_db, tmp_path, "where id % 3 = 0")
    with sqlite3.connect(copy) as db:
        db.execute(
            "insert into sources (id, name) select id || '-renamed', name"
            " from sources where id = 'popwire'"
        )
        db.execute(
            "update articles set source_id = source_id || '-renamed'"
            " where id in (2, 3, 6) and source_id = 'popwire'"
        )
        expected = {
            (artist, publisher): count
            for artist, publisher, count in db.execute(
                "select artists.name, coalesce(sources.name, articles.source_id), count(*)"
                " from mentions join articles on articles.id = mentions.article_id"
                " join artists on artists.id = mentions.artist_id"
                " left join sources on sources.id = articles.source_id"
                " group by 1, 2"
            )
        }
        undated = db.execute(
            "select count(*) from mentions join articles on articles.id = mentions.article_id"
            " where articles.published_month is null"
        ).fetchone()[0]
        renamed = db.execute(
            "select count(*) from articles where source_id like '%-renamed'"
        ).fetchone()[0]
    assert undated and renamed  # the copy has both cases
    client = SyncClient(build_datasette(copy))
    try:
        svg = client.get("/-/charts/undated/publishers.svg")
        assert svg.status_code == 200, svg.text[:500]
        drawn = {
            (html_unescape(artist), html_unescape(publisher)): int(count)
            for artist, count, publisher in re.findall(
                r"<title>([^<:]+): (\d+) articles? from ([^<]+) \(\d+%\)</title>", svg.text
            )
        }
    finally:
        client.close()
    assert drawn == expected
