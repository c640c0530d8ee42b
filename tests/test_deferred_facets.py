"""Facet counts left to the page's script (archive/plugins/newscrawl_facets.py, "deferred").

When no precomputed table answers the articles table's facets and the selection holds
more than ``defer_above_rows`` rows, the HTML page is sent with its rows and their
count; its script asks for the same page with ``X-Newscrawl-Facets: inline`` and puts
that page's facet block in place. These tests lower ``defer_above_rows`` in a copy of
the archive/ configuration (the test archive is small) and compare every deferred page
with the page a stock configuration renders in full: the rows, the counts and the facet
block the script puts in place must be exactly those. The browser half (the script
itself) is in test_browser.py.
"""

from __future__ import annotations

import asyncio
import re
import sqlite3
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest
import yaml
from archive_fixtures import (
    SyncClient,
    build_archive,
    config_with_defer_above,
    read_page,
    running_server,
)
from datasette.utils import StartupError

from newscrawl import serve as serve_module
from newscrawl.errors import NewscrawlError
from newscrawl.serve import ARCHIVE_DIR, build_datasette

INLINE = {"X-Newscrawl-Facets": "inline"}
PLACEHOLDER = 'id="newscrawl-deferred-facets"'
# Selections no precomputed table answers: the facets count the matching rows.
COUNTED = [
    "_search=duet",
    '_search="Lady+Gaga"&_searchmode=raw',
    "_artist=britney-spears&_artist=lady-gaga",
    "source_id=popwire&_search=tour",
    "_search=tour&_sort=published_at",
]
# Selections the precomputed tables answer: never deferred, whatever their size.
PRECOMPUTED = [
    "",
    "source_id=popwire",
    "published_month=2024-05",
    "source_id=popwire&published_month=2024-05",
    "_artist=lady-gaga",
]
# One artist on one publisher's page or in one month: the publisher and month facets
# from coverage_monthly, the artist facet counted from the rows.
PARTLY_PRECOMPUTED = [
    "_artist=lady-gaga&source_id=starbeat",
    "_artist=britney-spears&published_month=2024-04",
]


@pytest.fixture(scope="module")
def archive_db(tmp_path_factory) -> Path:
    return build_archive(tmp_path_factory.mktemp("deferred") / "archive.db")


@pytest.fixture(scope="module")
def clients(archive_db, tmp_path_factory):
    """Datasette clients by ``defer_above_rows``: "stock" is archive/ as shipped."""
    tmp = tmp_path_factory.mktemp("configs")
    made = {"stock": SyncClient(build_datasette(archive_db))}
    for value in (0, None):
        made[value] = SyncClient(
            build_datasette(archive_db, config_dir=config_with_defer_above(tmp, value))
        )
    yield made
    for client in made.values():
        client.close()


def matches(archive_db, term: str) -> int:
    conn = sqlite3.connect(f"file:{archive_db}?mode=ro", uri=True)
    try:
        return conn.execute(
            "select count(*) from articles_fts where articles_fts match ?", [term]
        ).fetchone()[0]
    finally:
        conn.close()


def html(client, path: str, headers=None) -> str:
    response = client.get(path, headers=headers)
    assert response.status_code == 200, response.text
    return response.text


def facet_block(page: str) -> str:
    """The facet results div of a table page ("" when it has none)."""
    found = re.search(r'<div class="facet-results">.*?\n</div>', page, flags=re.DOTALL)
    return found.group(0) if found else ""


def facet_counts(page: str) -> dict[str, list[tuple[str, int]]]:
    """(label, count) of each value of each facet in a table page's facet block."""
    counts = {}
    for part in facet_block(page).split('<div class="facet-info ')[1:]:
        name = re.search(r'data-column="([^"]*)"', part).group(1)
        values = re.findall(r"<li><a href=\"[^\"]*\">([^<]*)</a> ([\d,]+)</li>", part)
        values += re.findall(r"<li>([^<]*) &middot; ([\d,]+) <a", part)
        counts[name] = [(label, int(count.replace(",", ""))) for label, count in values]
    return counts


def row_ids(page: str) -> list[str]:
    return re.findall(r'<td class="col-id type-pk"><a href="[^"]*">(\d+)</a>', page)


def row_count_line(page: str) -> str:
    return re.search(r"<h3>([\d,]+ rows?[^<]*)</h3>", page).group(1)


def nodefer_link(page: str) -> str:
    """The href of a deferred page's "count them in the page" link."""
    return re.search(r'href="([^"]*_nodefer=1[^"]*)"', page).group(1).replace("&amp;", "&")


def test_html_pages_vary_by_the_header_and_json_does_not(clients):
    # A cache in front of the archive keys the script's request apart from the page.
    page = clients[0].get("/archive/articles?_search=duet")
    assert "x-newscrawl-facets" in page.headers.get("vary", "").lower()
    assert "x-newscrawl-facets" in clients[0].get("/archive").headers.get("vary", "").lower()
    data = clients[0].get("/archive/articles.json?_search=duet")
    assert "x-newscrawl-facets" not in data.headers.get("vary", "").lower()


def test_the_shipped_configuration_defers_above_ten_thousand_rows(clients):
    datasette = clients["stock"].datasette
    config = datasette.plugin_config("newscrawl-facets", database="archive", table="articles")
    assert config == {"defer_above_rows": 10_000}


@pytest.mark.parametrize("query", COUNTED)
def test_a_deferred_page_has_the_rows_and_the_script_gets_the_same_facets(clients, query):
    path = f"/archive/articles?{query}"
    full = html(clients["stock"], path)
    deferred = html(clients[0], path)
    assert facet_block(full).count('class="facet-info facet-') == 3, "the control renders facets"

    assert PLACEHOLDER in deferred and PLACEHOLDER not in full
    assert 'class="facet-info facet-' not in deferred, "no counts in the page itself"
    # Markers for Datasette's column menu: no "Facet by this" for a facet to come.
    markers = re.findall(
        r'<span class="facet-info newscrawl-facet-to-come" data-column="([^"]+)" hidden>', deferred
    )
    assert markers == ["artists", "published_month", "source_id"]
    assert row_ids(deferred) == row_ids(full) and row_ids(full)
    assert row_count_line(deferred) == row_count_line(full)
    assert "Counting artists, published_month, source_id over" in deferred

    # What the script fetches: the same page with its facets, exactly the stock ones
    # (links included: the header leaves no trace in them).
    fetched = html(clients[0], path, INLINE)
    assert PLACEHOLDER not in fetched
    assert facet_block(fetched) == facet_block(full)
    # The link for a browser without the script counts them in the page too.
    inline = html(clients[0], urljoin(path, nodefer_link(deferred)))
    assert PLACEHOLDER not in inline
    assert facet_block(inline).count('class="facet-info facet-') == 3


@pytest.mark.parametrize("query", COUNTED)
def test_json_always_holds_the_facets(clients, query):
    base, stock = clients[0], clients["stock"]
    deferred = base.get(f"/archive/articles.json?{query}").json()
    full = stock.get(f"/archive/articles.json?{query}").json()
    assert set(deferred["facet_results"]) == {"source_id", "artists", "published_month"}
    assert deferred["facet_results"] == full["facet_results"]
    assert deferred["rows"] == full["rows"]


@pytest.mark.parametrize("query", PRECOMPUTED)
def test_pages_the_precomputed_tables_answer_are_never_deferred(clients, query):
    page = html(clients[0], f"/archive/articles?{query}")
    assert PLACEHOLDER not in page
    assert facet_block(page) == facet_block(html(clients["stock"], f"/archive/articles?{query}"))
    assert facet_block(page).count('class="facet-info facet-') == 3


@pytest.mark.parametrize("query", PARTLY_PRECOMPUTED)
def test_one_artists_publisher_or_month_page_defers_only_its_artist_facet(clients, query):
    path = f"/archive/articles?{query}"
    full, deferred = html(clients["stock"], path), html(clients[0], path)
    assert PLACEHOLDER in deferred
    markers = re.findall(r'newscrawl-facet-to-come" data-column="([^"]+)"', deferred)
    assert markers == ["artists"]
    assert "Counting artists over" in deferred
    assert row_ids(deferred) == row_ids(full) and row_ids(full)
    # the publisher and month facets come with the rows, as the stock page counts them
    counted = facet_counts(full)
    assert set(counted) == {"artists", "published_month", "source_id"}
    del counted["artists"]
    assert facet_counts(deferred) == counted
    # the block the script fetches holds all three: it takes the place of both
    assert facet_block(html(clients[0], path, INLINE)) == facet_block(full)


def test_the_threshold_is_the_number_of_matching_rows(archive_db, tmp_path):
    rows = matches(archive_db, "duet")
    assert rows >= 2
    path = "/archive/articles?_search=duet"
    for value, expected in ((rows, False), (rows - 1, True)):
        client = SyncClient(
            build_datasette(archive_db, config_dir=config_with_defer_above(tmp_path, value))
        )
        try:
            assert (PLACEHOLDER in html(client, path)) is expected, value
        finally:
            client.close()


def test_an_uncounted_selection_is_deferred_unless_null(clients):
    # ?_nocount=1: Datasette does not count, so the size is unknown: as large as it gets.
    path = "/archive/articles?_search=duet&_nocount=1"
    assert PLACEHOLDER in html(clients["stock"], path)
    assert "Counting artists, published_month, source_id over the matching rows" in html(
        clients["stock"], path
    )
    never = html(clients[None], path)
    assert PLACEHOLDER not in never
    assert facet_block(never).count('class="facet-info facet-') == 3


def test_page_two_defers_and_its_facets_count_the_whole_selection(clients):
    client = clients[0]
    first = client.get("/archive/articles.json?_search=duet&_size=2").json()
    assert first["next"], "the test needs a second page"
    path = f"/archive/articles?_search=duet&_size=2&_next={first['next']}"
    assert PLACEHOLDER in html(client, path)
    whole = facet_counts(html(clients["stock"], "/archive/articles?_search=duet"))
    assert facet_counts(html(client, path, INLINE)) == whole
    assert len(whole) == 3 and all(whole.values())


# Where archive/metadata.yml writes the key: the archive's table, under plugins: newscrawl:.
SHIPPED_AT = "plugins: newscrawl: database: tables: articles: plugins: newscrawl-facets"


def startup_error(archive_db, config: Path) -> str:
    """The message that stops Datasette at startup with ``config`` ("" when it starts)."""
    datasette = build_datasette(archive_db, config_dir=config)
    try:
        asyncio.run(datasette.invoke_startup())
    except StartupError as error:
        return str(error)
    return ""


def edit_metadata(config: Path, change) -> Path:
    path = config / "metadata.yml"
    metadata = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(metadata)
    path.write_text(yaml.safe_dump(metadata, allow_unicode=True), encoding="utf-8")
    return config


@pytest.mark.parametrize("value", ["lots", -1, True, 2.5, "10000"])
def test_a_bad_threshold_stops_datasette_at_startup_naming_where_it_is(archive_db, tmp_path, value):
    message = startup_error(archive_db, config_with_defer_above(tmp_path, value))
    assert message.startswith(f"{SHIPPED_AT}: defer_above_rows: expected a whole number")
    assert message.endswith(f"got {value!r}")


def test_a_misspelt_key_stops_datasette_instead_of_never_deferring(archive_db, tmp_path):
    def misspell(metadata):
        tables = metadata["plugins"]["newscrawl"]["database"]["tables"]
        tables["articles"]["plugins"]["newscrawl-facets"] = {"defer_above_row": 0}

    message = startup_error(
        archive_db, edit_metadata(config_with_defer_above(tmp_path, 0), misspell)
    )
    assert (
        message == f"{SHIPPED_AT}: defer_above_row: unknown key (the one key is defer_above_rows)"
    )


def test_the_message_names_a_databases_entry_that_overrides_the_shipped_one(archive_db, tmp_path):
    def override(metadata):
        plugins = {"newscrawl-facets": {"defer_above_rows": "lots"}}
        metadata["databases"] = {"archive": {"tables": {"articles": {"plugins": plugins}}}}

    message = startup_error(
        archive_db, edit_metadata(config_with_defer_above(tmp_path, 0), override)
    )
    assert message.startswith(
        "databases: archive: tables: articles: plugins: newscrawl-facets: defer_above_rows: "
    )


def test_serve_names_the_metadata_file_for_a_bad_threshold(archive_db, tmp_path, monkeypatch):
    bad = config_with_defer_above(tmp_path, "lots")
    real = serve_module.build_datasette
    monkeypatch.setattr(
        serve_module,
        "build_datasette",
        lambda db, immutable=False: real(db, immutable=immutable, config_dir=bad),
    )
    with pytest.raises(NewscrawlError) as raised:
        serve_module.serve(archive_db, port=1)
    assert str(raised.value).startswith(f"{ARCHIVE_DIR / 'metadata.yml'}: {SHIPPED_AT}: ")
    assert "'lots'" in str(raised.value)


@pytest.mark.parametrize(
    "added", ["_facet=language", "_facet_array=tags", "_facet_date=first_seen_at"]
)
def test_a_page_with_datasettes_own_facets_counts_ours_with_them(clients, added):
    # Datasette counts its own facet in the page; ours, fetched after, came back as a
    # second block beside it. The page is the stock one: one block, in its order.
    path = f"/archive/articles?_search=duet&{added}"
    page, full = html(clients[0], path), html(clients["stock"], path)
    assert PLACEHOLDER not in page
    assert page.count('<div class="facet-results') == 1
    assert facet_block(page) == facet_block(full)
    assert facet_block(page).count('class="facet-info facet-') == 4


def test_the_link_keeps_the_prefix_of_a_proxy_that_serves_datasette_under_base_url(
    archive_db, tmp_path
):
    # base_url /news/: the proxy forwards /news/archive/... as /archive/..., and Datasette
    # prefixes its links. The link was request.path's /archive/articles?...: off the site.
    config = config_with_defer_above(tmp_path, 0, base_url="/news/")
    query = "?_search=duet&source_id=popwire"
    with running_server(archive_db, config_dir=config) as base:
        page = read_page(f"{base}/archive/articles{query}")
    shown_at = f"https://proxy.example/news/archive/articles{query}"
    # Datasette's own links on that page carry the prefix: the proxy set-up it expects.
    assert 'href="/news/archive/articles?_search=duet&amp;source_id=popwire&amp;_sort=' in page
    link = urlsplit(urljoin(shown_at, nodefer_link(page)))
    assert link.path == "/news/archive/articles"
    assert link.query == "_search=duet&source_id=popwire&_nodefer=1"


@pytest.mark.parametrize(
    "added", ["_facet=source_id", "_facet_array=artists", "_facet=published_month&_facet=artists"]
)
def test_a_request_for_a_default_facet_defers_as_the_page_without_it(clients, added):
    # "Facet by this" on source_id adds _facet=source_id: Datasette counted a second
    # publisher facet in the page, so ours were counted beside it, never deferred.
    path = f"/archive/articles?_search=duet&{added}"
    deferred, plain = html(clients[0], path), html(clients[0], "/archive/articles?_search=duet")
    assert PLACEHOLDER in deferred
    markers = re.findall(r'newscrawl-facet-to-come" data-column="([^"]+)"', deferred)
    assert markers == ["artists", "published_month", "source_id"]
    assert "Counting artists, published_month, source_id over" in deferred
    assert row_ids(deferred) == row_ids(plain) and row_ids(plain)
    fetched = html(clients[0], path, INLINE)
    assert facet_counts(fetched) == facet_counts(
        html(clients["stock"], "/archive/articles?_search=duet")
    )
    assert facet_block(fetched).count('class="facet-info facet-') == 3
