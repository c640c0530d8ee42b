"""The archive in Datasette, through Datasette's in-process client.

Every canned query, every default facet, full-text search, the article page, the charts,
the security headers, and metadata that follows the database whatever its file name.
"""

from __future__ import annotations

import html
import importlib.util
import json
import re
import shutil
import socket
import sqlite3
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from archive_fixtures import (
    BODY_ONLY_SENTENCE,
    HOSTILE_ID,
    REVISED_ID,
    SEED_ID,
    SEED_TITLE,
    SyncClient,
    build_archive,
    free_port,
    running_server,
    wait_for_http,
)
from click.testing import CliRunner
from datasette.app import Datasette
from datasette.database import Database

from newscrawl.cli import main
from newscrawl.serve import ARCHIVE_DIR, build_datasette, load_metadata

CANNED_QUERIES = set(load_metadata()["plugins"]["newscrawl"]["database"]["queries"])


@pytest.fixture(scope="module")
def archive_db(tmp_path_factory) -> Path:
    return build_archive(tmp_path_factory.mktemp("archive") / "archive.db")


@pytest.fixture(scope="module")
def client(archive_db):
    client = SyncClient(build_datasette(archive_db))
    yield client
    client.close()


def rows(client, path: str) -> list[dict]:
    sep = "&" if "?" in path else "?"
    response = client.get(f"{path}{sep}_shape=objects")
    assert response.status_code == 200, response.text
    return response.json()["rows"]


def query(client, name: str, **params) -> list[dict]:
    return rows(client, f"/archive/{name}.json?" + "&".join(f"{k}={v}" for k, v in params.items()))


def load_plugin(name: str):
    spec = importlib.util.spec_from_file_location(name, ARCHIVE_DIR / "plugins" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# -- canned queries --------------------------------------------------------------------

# The canned queries the tests below exercise; a new query needs a test and a place here.
TESTED_QUERIES = {
    "search_articles",
    "artist_articles",
    "articles_about_both",
    "monthly_coverage",
    "publisher_share",
    "article_revisions",
    "run_drops",
    "run_drop_reasons",
}


def test_search_articles_highlights_matches(client):
    found = query(client, "search_articles", q="duet")
    ids = [r["article_id"] for r in found]
    assert SEED_ID in ids
    seed = next(r for r in found if r["article_id"] == SEED_ID)
    assert "<mark>Duet</mark>" in seed["title_highlighted"]
    # porter stemming: "duet" finds "duets"
    assert any("<mark>duets</mark>" in r["title_highlighted"] for r in found)
    assert query(client, "search_articles", q="") == []


def test_search_articles_html_marks_matches_but_escapes_scraped_markup(client):
    page = client.get("/archive/search_articles?q=tour")
    assert page.status_code == 200
    assert "<mark>tour</mark>" in page.text
    assert "<script>window.__xss" not in page.text
    assert "&lt;script&gt;window.__xss" in page.text


def test_artist_articles_by_alias_date_range_and_order(client):
    name = "artist_articles"
    by_salience = query(client, name, artist="Britney", since="", until="", order="")
    assert [r["article_id"] for r in by_salience][:1] == [SEED_ID]
    assert [r["salience"] for r in by_salience] == sorted(
        (r["salience"] for r in by_salience), reverse=True
    )
    by_date = query(client, name, artist="britney-spears", since="", until="", order="date")
    dates = [r["published_at"] for r in by_date]
    assert dates == sorted(dates, reverse=True)
    march = query(
        client, name, artist="Princess of Pop", since="2024-03", until="2024-04-30", order=""
    )
    assert {r["published_at"][:7] for r in march} <= {"2024-03", "2024-04"}
    assert {r["article_id"] for r in march} == {1, 5, 6}
    assert query(client, name, artist="nobody", since="", until="", order="") == []


def test_articles_about_both_artists(client):
    name = "articles_about_both"
    both = query(client, name, artist_a="Britney Spears", artist_b="Lady Gaga")
    assert {r["article_id"] for r in both} == {1, 6, 8, 10}
    assert both[-1]["article_id"] == 6  # a passing mention of Britney ranks last
    # either order, slugs or aliases
    assert {
        r["article_id"] for r in query(client, name, artist_a="gaga", artist_b="britney-spears")
    } == {
        1,
        6,
        8,
        10,
    }
    assert query(client, name, artist_a="Lady Gaga", artist_b="Lady Gaga") == []


def test_monthly_coverage(client):
    name = "monthly_coverage"
    gaga = query(client, name, artist="Lady Gaga")
    assert {r["month"]: r["articles"] for r in gaga} == {
        "2024-01": 1,
        "2024-03": 1,
        "2024-04": 1,
        "2024-05": 1,
        "2024-06": 1,
    }
    everyone = query(client, name, artist="")
    assert {r["artist"] for r in everyone} == {
        "Britney Spears",
        "Lady Gaga",
        "Taylor Swift",
        "Beyoncé",
    }


def test_publisher_share(client):
    share = query(client, "publisher_share", artist="britney-spears")
    assert {r["source_id"]: r["articles"] for r in share} == {
        "starbeat": 2,
        "popwire": 2,
        "inquisitr": 1,
    }
    assert round(sum(r["percent"] for r in share)) == 100


def test_article_revisions(client):
    versions = query(client, "article_revisions", article_id=REVISED_ID)
    assert [(r["revision"], r["version"]) for r in versions] == [(1, "earlier"), (2, "current")]
    assert versions[0]["changed_fields"] == '["body"]'
    assert versions[0]["content_hash"] != versions[1]["content_hash"]


def test_run_drops_and_reasons(client):
    latest = query(client, "run_drops", run_id="")
    assert [(r["stage"], r["reason"]) for r in latest] == [("discover", "budget")]
    first = query(client, "run_drops", run_id=1)
    assert {r["reason"] for r in first} == {"robots", "http_status", "no_artist"}
    reasons = query(client, "run_drop_reasons", run_id=1)
    assert sum(r["urls"] for r in reasons) == 3
    page = client.get("/archive/run_drops?run_id=1")
    assert "&lt;script&gt;" in page.text and "<script>window.__xss" not in page.text


def test_every_canned_query_is_tested():
    assert CANNED_QUERIES == TESTED_QUERIES


@pytest.mark.parametrize("name", sorted(CANNED_QUERIES))
def test_a_canned_query_page_starts_with_its_form_not_a_screen_of_sql(client, name):
    # artist_articles showed 88 lines of SQL above its parameter form and rows, and
    # search_articles 18: its results started below a 900-pixel-high window.
    page = client.get(f"/archive/{name}").text
    sql = load_metadata()["plugins"]["newscrawl"]["database"]["queries"][name]["sql"]
    shown = 'id="sql-query"' in page
    assert shown == (len(sql.splitlines()) <= 15), "more SQL than fits above the form"
    if not shown:  # one click away, and in the editor
        link = re.search(r'href="([^"]*_show_sql=1[^"]*)">show</a>', page).group(1)
        assert 'id="sql-query"' in client.get(html.unescape(link)).text
        assert "canned-query-edit-sql" in page


# -- table pages: facets, search, sorting, labels --------------------------------------


def test_the_facets_keep_their_places_from_page_to_page(client):
    # Datasette put the facet with the most values first: clicking through the facets
    # moved published_month from first to last and back.
    orders = {}
    for query in ("", "?_search=duet", "?_artist=britney-spears", "?source_id=popwire"):
        page = client.get(f"/archive/articles{query}").text
        orders[query] = re.findall(r'<div class="facet-info [^"]*" id="facet-([^"]+)"', page)
    assert set(map(tuple, orders.values())) == {("artists", "published_month", "source_id")}, orders


def test_default_facets_on_articles(client):
    data = client.get("/archive/articles.json").json()
    facets = data["facet_results"]
    assert set(facets) == {"source_id", "artists", "published_month"}
    by_source = {f["value"]: f["count"] for f in facets["source_id"]["results"]}
    assert by_source == {"popwire": 5, "starbeat": 4, "inquisitr": 1}
    assert facets["artists"]["type"] == "artist"  # archive/plugins/newscrawl_facets.py
    by_artist = {f["label"]: f["count"] for f in facets["artists"]["results"]}
    assert by_artist == {"Britney Spears": 5, "Lady Gaga": 5, "Taylor Swift": 3, "Beyoncé": 3}
    by_month = {f["value"]: f["count"] for f in facets["published_month"]["results"]}
    assert by_month["2024-03"] == 2 and by_month["2024-05"] == 2
    # selecting an artist facet value filters to articles about that artist
    gaga = rows(client, "/archive/articles.json?_artist=lady-gaga")
    assert {r["id"] for r in gaga} == {1, 2, 6, 8, 10}
    # and the array filter Datasette offers on the column still works
    gaga = rows(client, "/archive/articles.json?artists__arraycontains=Lady+Gaga")
    assert {r["id"] for r in gaga} == {1, 2, 6, 8, 10}


@pytest.mark.parametrize(
    ("table", "facets"),
    [
        ("mentions", {"artist_id", "in_title"}),
        ("drops", {"stage", "reason", "source_id", "run_id"}),
        ("co_mentions", {"artist_a", "artist_b"}),
        ("coverage_by_month", {"artist_id", "source_id"}),
    ],
)
def test_default_facets_on_other_tables(client, table, facets):
    data = client.get(f"/archive/{table}.json").json()
    assert set(data["facet_results"]) == facets
    for facet in facets:
        assert data["facet_results"][facet]["results"], facet


def test_search_box_finds_the_seed_article(client):
    found = rows(client, "/archive/articles.json?_search=duet")
    assert SEED_ID in {r["id"] for r in found}
    assert {r["id"] for r in rows(client, "/archive/articles.json?_search=duets")} >= {SEED_ID}
    # escaped mode: FTS syntax characters are just text, never an error
    assert client.get('/archive/articles.json?_search="duet').status_code == 200
    raw = rows(client, "/archive/articles.json?_search=duet+NOT+gaga&_searchmode=raw")
    assert SEED_ID not in {r["id"] for r in raw}
    page = client.get("/archive/articles?_search=duet")
    assert 'name="_search"' in page.text and SEED_TITLE in page.text


def test_sorting_and_labels(client):
    newest = rows(client, "/archive/articles.json")
    assert [r["id"] for r in newest] == sorted((r["id"] for r in newest), reverse=True)
    by_date = rows(client, "/archive/articles.json?_sort_desc=published_at")
    dates = [r["published_at"] for r in by_date if r["published_at"]]
    assert dates == sorted(dates, reverse=True)  # published_at stays sortable
    assert client.get("/archive/articles.json?_sort=word_count").status_code == 200
    by_words = rows(client, "/archive/articles.json?_sort=word_count")
    assert [r["word_count"] for r in by_words] == sorted(r["word_count"] for r in by_words)
    labelled = client.get("/archive/mentions.json?_labels=on&_shape=objects").json()["rows"]
    assert any(r["article_id"]["label"] == SEED_TITLE for r in labelled)
    assert {r["artist_id"]["label"] for r in labelled} >= {"Britney Spears", "Lady Gaga"}


def test_descriptions_shown_and_sql_read_only(client):
    page = client.get("/archive/articles")
    assert "One row per archived article" in page.text
    index = client.get("/")
    assert "fictional" in index.text
    refused = client.get("/archive.json?sql=delete+from+articles")
    assert refused.status_code == 400
    assert client.get("/archive/articles.json?_size=1").json()["filtered_table_rows_count"] == 10


def test_csv_downloads_are_off_but_csv_export_works(client):
    assert client.get("/archive.db").status_code == 403
    csv = client.get("/archive/articles.csv?_size=2")
    assert csv.status_code == 200 and csv.text.startswith("id,")


# -- metadata for any database name -----------------------------------------------------


@pytest.mark.parametrize("stem", ["demo", "news-2024"])
def test_metadata_follows_any_database_name(archive_db, tmp_path, stem):
    copy = tmp_path / f"{stem}.db"
    shutil.copy(archive_db, copy)
    client = SyncClient(build_datasette(copy, immutable=stem == "news-2024"))
    try:
        db = client.get(f"/{stem}.json").json()
        assert {q["name"] for q in db["queries"]} == CANNED_QUERIES
        assert SEED_ID in {
            r["article_id"] for r in query_for(client, stem, "search_articles", q="duet")
        }
        facets = client.get(f"/{stem}/articles.json").json()["facet_results"]
        assert set(facets) == {"source_id", "artists", "published_month"}
        page = client.get(f"/{stem}")
        assert f'href="/{stem}/articles"' in page.text and f'href="/-/charts/{stem}"' in page.text
        assert client.get(f"/-/article/{stem}/{SEED_ID}").status_code == 200
    finally:
        client.close()


FOREIGN_KEY_CELL = re.compile(
    r'<td class="col-(?:source_id|run_id|artist_id|article_id)[^"]*">.*?</td>', re.S
)


@pytest.mark.parametrize("path", ["articles", "mentions", "drops"])
def test_foreign_key_links_of_a_dotted_database_name(archive_db, tmp_path, path):
    # Datasette 0.65 linked source_id, run_id, artist_id and article_id cells to
    # /news.2024/sources/popwire (the name not tilde-encoded): a 404 each.
    dashed, dotted = tmp_path / "news-2024.db", tmp_path / "news.2024.db"
    shutil.copy(archive_db, dashed)
    shutil.copy(archive_db, dotted)
    cells = {}
    for stem, route in (("news-2024", "news-2024"), ("news.2024", "news~2E2024")):
        client = SyncClient(build_datasette(tmp_path / f"{stem}.db"))
        try:
            page = client.get(f"/{route}/{path}")
            assert page.status_code == 200
            cells[stem] = FOREIGN_KEY_CELL.findall(page.text)
            links = {
                html.unescape(h)
                for cell in cells[stem]
                for h in re.findall(r'href="([^"]+)"', cell)
            }
            assert links and all(h.startswith(f"/{route}/") for h in links)
            for link in links:
                assert client.get(link).status_code == 200, link
        finally:
            client.close()

    # The same cells as Datasette draws them (label, id, escaping), the route aside and
    # the cell's type class (a plugin's cell keeps the expanded key's: type-dict).
    def same(cell):
        return re.sub(r" type-\w+", "", cell.replace("/news-2024/", "/news~2E2024/"))

    assert [same(c) for c in cells["news.2024"]] == [same(c) for c in cells["news-2024"]]


def test_configuration_directory_mode_serves_every_archive_in_it(archive_db, tmp_path):
    # `datasette archive/` (Datasette's own way) attaches every .db in the folder.
    folder = tmp_path / "archive"
    shutil.copytree(ARCHIVE_DIR, folder, ignore=shutil.ignore_patterns("*.db*", "__pycache__"))
    for stem in ("archive", "demo"):
        shutil.copy(archive_db, folder / f"{stem}.db")
    client = SyncClient(Datasette(config_dir=folder))
    try:
        for stem in ("archive", "demo"):
            assert {
                q["name"] for q in client.get(f"/{stem}.json").json()["queries"]
            } == CANNED_QUERIES
        assert client.get("/-/article/demo/1").status_code == 200
    finally:
        client.close()


def query_for(client, db: str, name: str, **params) -> list[dict]:
    return rows(client, f"/{db}/{name}.json?" + "&".join(f"{k}={v}" for k, v in params.items()))


def test_other_databases_get_no_archive_metadata(archive_db, tmp_path):
    other = tmp_path / "notes.db"
    sqlite3.connect(other).execute(
        "create table notes (id integer primary key, text)"
    ).connection.commit()
    datasette = build_datasette(archive_db)
    datasette.add_database(Database(datasette, path=str(other)), name="notes")
    client = SyncClient(datasette)
    try:
        assert client.get("/notes.json").json()["queries"] == []
        assert client.get("/-/article/notes/1").status_code == 404
        assert client.get("/-/charts/notes").status_code == 404
        assert len(client.get("/archive.json").json()["queries"]) == len(CANNED_QUERIES)
    finally:
        client.close()


# -- the article page --------------------------------------------------------------------


def test_article_page_highlights_every_artist(client):
    page = client.get(f"/-/article/archive/{SEED_ID}")
    assert page.status_code == 200
    marks = re.findall(
        r'<mark class="artist artist-\d" data-artist="([a-z-]+)"[^>]*>([^<]+)</mark>', page.text
    )
    found = {}
    for artist, text in marks:
        found.setdefault(artist, set()).add(text)
    assert found["britney-spears"] >= {"Britney Spears", "Britney"}
    assert found["lady-gaga"] >= {"Lady Gaga", "Gaga", "Mother Monster"}
    assert "salience 0.92" in page.text and "salience 0.85" in page.text
    assert 'href="https://www.inquisitr.com/news/' in page.text
    assert BODY_ONLY_SENTENCE in page.text
    assert "Niki Cruz" in page.text


def test_article_page_renders_hostile_article_inert(client):
    page = client.get(f"/-/article/archive/{HOSTILE_ID}")
    assert page.status_code == 200
    text = page.text
    assert "window.__xss" in text  # shown, as text
    assert "<script>window.__xss" not in text
    assert "<img src=x" not in text and "onerror=" not in text.replace("onerror=&#34;", "")
    hrefs = re.findall(r'href="([^"]*)"', text)
    assert hrefs and not any(h.strip().lower().startswith("javascript") for h in hrefs)
    assert 'class="not-a-link"' in text  # the javascript: URL is shown, not linked
    # the only inline script is Datasette's own menu script, allowed by hash
    scripts = re.findall(r"<script[^>]*>(.*?)</script>", text, flags=re.DOTALL)
    assert len(scripts) == 1 and "details" in scripts[0]
    policy = page.headers["content-security-policy"]
    assert (
        "default-src 'none'" in policy
        and "'unsafe-inline'" not in policy.split("script-src")[1].split(";")[0]
    )


def test_article_page_not_found(client):
    assert client.get("/-/article/archive/9999").status_code == 404
    assert client.get("/-/article/nosuchdb/1").status_code == 404


@pytest.mark.parametrize(
    "path", ["/a/b/c/d", "/archive/articles/1/extra", "/-/charts/archive/nothing.svg"]
)
def test_mistyped_urls_are_404_not_500(client, path, capfd):
    # rich (here through the export extra) made Datasette's error handler itself fail.
    response = client.get(path)
    assert response.status_code == 404
    assert "Traceback" not in capfd.readouterr().err


def test_titles_link_to_the_article_page(client):
    page = client.get("/archive/articles?_search=duet")
    assert f'href="/-/article/archive/{SEED_ID}"' in page.text
    row = client.get(f"/archive/articles/{SEED_ID}")
    assert "Read the article with its artist mentions highlighted" in row.text
    assert 'data-artist="lady-gaga"' in row.text
    hostile_row = client.get(f"/archive/articles/{HOSTILE_ID}")
    assert "<script>window.__xss" not in hostile_row.text
    assert not re.search(r'href="\s*javascript', hostile_row.text, flags=re.I)
    search = client.get("/archive/search_articles?q=duet")
    assert f'href="/-/article/archive/{SEED_ID}"' in search.text
    pairs = client.get("/archive/co_mentions?artist_a=britney-spears&artist_b=lady-gaga")
    assert f'href="/-/article/archive/{SEED_ID}"' in pairs.text
    # and so do the rows behind that view (m016), which Datasette lists as a table
    rows_behind = client.get("/archive/co_mention_pairs?artist_a=britney-spears")
    assert f'href="/-/article/archive/{SEED_ID}"' in rows_behind.text


def test_highlighter_escapes_before_marking():
    plugin = load_plugin("newscrawl_article")
    artists = [
        {"id": "taylor-swift", "name": "Taylor Swift", "aliases": ["Swift"]},
        {"id": "x", "name": "<b>", "aliases": ["a&b"]},
    ]
    out = str(
        plugin.highlight(
            'Taylor  Swift <script>alert("Swift")</script> a swift reply; a&b', artists
        )
    )
    assert "<script>" not in out and "&lt;script&gt;" in out
    assert out.count('data-artist="taylor-swift"') == 2  # "Taylor  Swift" and "Swift", not "swift"
    assert 'data-artist="x"' in out and "a&amp;b</mark>" in out
    assert str(plugin.marks_only("<mark>ok</mark><img src=x onerror=1><mark>open")) == (
        "<mark>ok</mark>&lt;img src=x onerror=1&gt;<mark>open</mark>"
    )
    assert plugin.safe_http_url(" javascript:alert(1)") is None
    assert plugin.safe_http_url("https://example.com/a") == "https://example.com/a"
    assert plugin.safe_http_url("http:/x") is None


# -- charts ---------------------------------------------------------------------------------


def test_charts_page_draws_coverage_and_publishers(client):
    page = client.get("/-/charts/archive")
    assert page.status_code == 200
    svgs = re.findall(r'<svg class="newscrawl-chart" data-chart="(\w+)"', page.text)
    assert svgs == ["coverage", "publishers"]
    # four artists: a heatmap, one row of six months each (Feb, with no Gaga, drawn as 0)
    cells = re.findall(r'<rect class="cell" data-artist="([^"]+)"', page.text)
    assert len(cells) == 4 * 6
    assert set(cells) == {"Britney Spears", "Lady Gaga", "Taylor Swift", "Beyoncé"}
    assert "Lady Gaga, 2024-02: 0 articles" in page.text
    assert "1 undated article is not drawn" in page.text
    # up to three artists: lines
    one = client.get("/-/charts/archive?artist=Mother+Monster")
    assert re.findall(r'<path class="series" data-artist="([^"]+)"', one.text) == ["Lady Gaga"]
    # The same numbers as queries, for the same artist (the link lost the artist).
    links = re.findall(r'href="(/archive/(?:monthly_coverage|publisher_share)[^"]*)"', one.text)
    assert links == [
        "/archive/monthly_coverage?artist=lady-gaga",
        "/archive/publisher_share?artist=lady-gaga",
    ]
    rows = client.get(links[0].replace("monthly_coverage", "monthly_coverage.json")).json()
    assert rows["rows"] and {row[0] for row in rows["rows"]} == {"Lady Gaga"}
    two = client.get("/-/charts/archive?artist=britney&artist=taylor-swift")
    assert len(re.findall(r'<path class="series"', two.text)) == 2
    svg = client.get("/-/charts/archive/coverage.svg?artist=britney")
    assert svg.headers["content-type"].startswith("image/svg+xml")
    assert svg.text.startswith("<svg") and 'data-artist="Britney Spears"' in svg.text
    assert client.get("/-/charts/archive/publishers.svg").status_code == 200
    nobody = client.get("/-/charts/archive?artist=nobody")
    assert nobody.status_code == 200 and "<svg" not in nobody.text.split("Coverage charts")[-1]


def test_chart_labels_are_escaped():
    plugin = load_plugin("newscrawl_charts")
    for chart in (plugin.line_chart, plugin.heatmap):
        svg = str(chart(["2024-01"], [("<script>x</script>", [1])], title="t<"))
        assert "<script>" not in svg and "&lt;script&gt;" in svg
    assert plugin.months_between("2023-11", "2024-02") == [
        "2023-11",
        "2023-12",
        "2024-01",
        "2024-02",
    ]
    assert [plugin.nice_max(v) for v in (0, 3, 7, 12, 30, 99)] == [1, 3, 10, 20, 50, 100]


def test_security_headers_everywhere(client):
    for path in ("/", "/archive", "/archive/articles", "/archive/search_articles?q=duet"):
        headers = client.get(path).headers
        assert "frame-ancestors 'none'" in headers["content-security-policy"], path
        assert "object-src 'none'" in headers["content-security-policy"], path
        assert headers["x-content-type-options"] == "nosniff"


def test_menu_links_to_charts(client):
    page = client.get("/archive/articles")
    assert 'href="/-/charts/archive"' in page.text


# -- newscrawl serve --------------------------------------------------------------------------


def test_serve_runs_a_real_read_only_server(archive_db):
    with running_server(archive_db) as base:
        with urllib.request.urlopen(
            f"{base}/archive/articles.json?_search=duet&_shape=objects"
        ) as r:
            assert SEED_ID in {row["id"] for row in json.load(r)["rows"]}
        with urllib.request.urlopen(f"{base}/-/article/archive/{SEED_ID}") as r:
            assert "<mark" in r.read().decode()
        with urllib.request.urlopen(f"{base}/-/plugins.json") as r:
            names = {p["name"] for p in json.load(r)}
        assert {"newscrawl_article.py", "newscrawl_charts.py", "newscrawl_metadata.py"} <= names


def test_serve_immutable_copy_elsewhere(archive_db, tmp_path):
    published = tmp_path / "published" / "news-2024.db"
    published.parent.mkdir()
    shutil.copy(archive_db, published)
    with running_server(published, "--immutable") as base:
        with urllib.request.urlopen(
            f"{base}/news-2024/publisher_share.json?artist=gaga&_shape=objects"
        ) as r:
            assert json.load(r)["rows"]
        with urllib.request.urlopen(f"{base}/-/databases.json") as r:
            assert [d["is_mutable"] for d in json.load(r)] == [False]


def test_serve_errors_are_one_line(tmp_path):
    runner = CliRunner()
    missing = runner.invoke(main, ["serve", str(tmp_path / "nope.db")])
    assert missing.exit_code == 1
    assert "nope.db: no such archive" in missing.output and "Traceback" not in missing.output
    plain = tmp_path / "plain.db"
    sqlite3.connect(plain).execute("create table t (x)").connection.commit()
    wrong = runner.invoke(main, ["serve", str(plain)])
    assert wrong.exit_code == 1 and "not a newscrawl archive" in wrong.output
    helped = runner.invoke(main, ["serve", "--help"])
    assert "Example" in helped.output and "--immutable" in helped.output
    assert "--root" not in helped.output


def test_readme_datasette_only_recipe_serves_the_archive(archive_db, tmp_path):
    # The README's commands as written, run from the checkout, on a copy in publish/.
    readme = (ARCHIVE_DIR.parent / "README.md").read_text()
    block = re.search(r"```sh\n(SETTINGS=.*?datasette serve .*?)\n```", readme, re.S).group(1)
    publish = tmp_path / "publish"
    publish.mkdir()
    shutil.copy(archive_db, publish / "news.db")
    port = free_port()
    script = block.replace("publish/", f"{publish}/").replace(
        ".venv/bin/datasette serve", "exec .venv/bin/datasette serve"
    )
    script = script.replace(".venv/bin/", f"{Path(sys.executable).parent}/") + f" --port {port}"
    server = subprocess.Popen(
        ["bash", "-c", script],
        cwd=ARCHIVE_DIR.parent,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for_http(f"{base}/-/versions.json", process=server, timeout=60)
        with urllib.request.urlopen(f"{base}/news/articles?_search=duet") as page:
            assert SEED_TITLE in html.unescape(page.read().decode())
        with urllib.request.urlopen(f"{base}/-/settings.json") as settings:
            assert json.load(settings)["allow_download"] is False  # the limits came along
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(f"{base}/news.db")
        refused.value.close()
        assert refused.value.code == 403
    finally:
        server.terminate()
        server.wait(timeout=10)
        server.stdout.close()


def test_serve_on_a_busy_port_is_a_one_line_error(archive_db):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "-m", "newscrawl", "serve", str(archive_db), "--port", str(port)],
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr
    assert "Serving" not in result.stderr + result.stdout


def test_serve_binds_localhost_by_default():
    result = subprocess.run(
        [sys.executable, "-c", "from newscrawl import serve; print(serve.DEFAULT_HOST)"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.strip() == "127.0.0.1"


def test_hostile_values_never_reach_pages_unescaped(client):
    for path in (
        "/archive/articles",
        f"/archive/articles/{HOSTILE_ID}",
        f"/-/article/archive/{HOSTILE_ID}",
        "/archive/drops",
        "/archive/mentions?article_id=7",
        "/-/charts/archive",
    ):
        text = client.get(path).text
        assert "<script>window.__xss" not in text, path
        assert '<img src=x onerror="window.__xss' not in text, path
        links = re.findall(r"""(?:href|src|action)\s*=\s*["']?([^"'\s>]*)""", text, flags=re.I)
        assert not [
            x for x in links if html.unescape(x).strip().lower().startswith("javascript")
        ], path
