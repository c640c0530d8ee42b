"""The articles table's facets and search through Datasette's in-process client.

The artist facet (archive/plugins/newscrawl_facets.py) counts through ``mentions``; its
links filter with ``?_artist=``. Every count and every row set here is checked against
the truth computed straight from the archive file with sqlite3 (or, for a search, from
the article text itself), under each way the plugin may build its SQL.
"""

from __future__ import annotations

import html
import re
import shutil
import sqlite3
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit

import pytest
from archive_fixtures import (
    NAMES,
    UNDATED_ID,
    SyncClient,
    build_archive,
    config_copy,
    read_page,
    record_statements,
    running_server,
)
from datasette.database import QueryInterrupted
from datasette.plugins import pm

from newscrawl.serve import build_datasette

FILTERS = [
    "",
    "source_id=popwire",
    "published_month=2024-05",
    "source_id=popwire&published_month=2024-05",
    "source_id__exact=starbeat",
    "_search=duet",
    "_search=duet+NOT+gaga&_searchmode=raw",
    '_search="Lady+Gaga"&_searchmode=raw',
    "_artist=lady-gaga",
    "_artist=beyonce",  # one of her articles is undated
    "_artist=Princess+of+Pop",
    "_artist=lady-gaga&source_id=starbeat",
    "_artist=lady-gaga&published_month=2024-05",
    "_artist=britney-spears&_artist=lady-gaga",
    "_artist=Lady+Gaga&_artist=britney-spears&source_id=popwire",  # pair rows, looked up
    "_artist=britney-spears&_artist=lady-gaga&_search=duet",
    "_artist=beyonce&_search=duets",
    "id__gte=0",  # every row, through the generic (filtered) SQL
]


@pytest.fixture(scope="module")
def archive_db(tmp_path_factory) -> Path:
    return build_archive(tmp_path_factory.mktemp("facets") / "archive.db")


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


@pytest.fixture
def executed(client, monkeypatch) -> list[str]:
    """Every SQL statement the client's Datasette runs from here on, whitespace folded."""
    return record_statements(client.datasette, monkeypatch, lambda sql, params: sql)


@pytest.fixture
def plugin():
    return pm.get_plugin("newscrawl_facets.py")


def get_json(client, path: str) -> dict:
    base, _, query = path.partition("?")
    response = client.get(f"{base}.json?" + "&".join(p for p in (query, "_size=max") if p))
    assert response.status_code == 200, response.text
    return response.json()


def ids_of(data: dict) -> set[int]:
    return {row[0] for row in data["rows"]}


def artist_facet(data: dict) -> dict[str, dict]:
    facet = data["facet_results"]["artists"]
    assert facet["type"] == "artist"
    return {value["value"]: value for value in facet["results"]}


def true_counts(conn, article_ids) -> dict[str, int]:
    """Articles per artist among ``article_ids``, from mentions."""
    counts: dict[str, int] = {}
    for (artist_id,) in conn.execute(
        "select artist_id from mentions where article_id in (select value from json_each(?))",
        [str(sorted(article_ids)).replace(" ", "")],
    ):
        counts[artist_id] = counts.get(artist_id, 0) + 1
    return counts


def mentioning(conn, *artist_ids: str) -> set[int]:
    """Articles that mention every one of ``artist_ids``."""
    sets = [
        {r[0] for r in conn.execute("select article_id from mentions where artist_id = ?", [a])}
        for a in artist_ids
    ]
    return set.intersection(*sets)


def text_matches(conn, pattern: str) -> set[int]:
    """Articles whose title, description or body matches ``pattern`` (a regex)."""
    regex = re.compile(pattern, re.IGNORECASE)
    return {
        row[0]
        for row in conn.execute("select id, title, description, body from articles")
        if any(regex.search(text or "") for text in row[1:])
    }


def follow(client, url: str) -> dict:
    parts = urlsplit(url)
    return get_json(client, parts.path.removesuffix(".json") + "?" + parts.query)


def query_pairs(url: str) -> list[tuple[str, str]]:
    """The query of ``url``, sorted, without the _size=max that get_json adds."""
    return sorted(pair for pair in parse_qsl(urlsplit(url).query) if pair[0] != "_size")


# -- counts ------------------------------------------------------------------------------


@pytest.mark.parametrize("filters", FILTERS)
def test_artist_facet_counts_the_filtered_articles(client, conn, filters):
    data = get_json(client, f"/archive/articles?{filters}")
    assert data["filtered_table_rows_count"] == len(data["rows"])
    facet = artist_facet(data)
    assert {k: v["count"] for k, v in facet.items()} == true_counts(conn, ids_of(data))
    assert {k: v["label"] for k, v in facet.items()} == {k: NAMES[k] for k in facet}
    counts = [v["count"] for v in facet.values()]
    assert counts == sorted(counts, reverse=True)


def test_unfiltered_counts_include_undated_articles(client, conn):
    # The unfiltered facet reads coverage_monthly, which leaves undated articles out.
    assert conn.execute(
        "select published_month from articles where id = ?", [UNDATED_ID]
    ).fetchone() == (None,)
    facet = artist_facet(get_json(client, "/archive/articles"))
    every = {r[0] for r in conn.execute("select id from articles")}
    assert {k: v["count"] for k, v in facet.items()} == true_counts(conn, every)
    assert facet["beyonce"]["count"] == 3  # two dated articles and the undated one


def column_counts(conn, article_ids, column: str) -> dict[str, int]:
    """Articles per value of ``column`` among ``article_ids`` (NULLs left out)."""
    counts: dict[str, int] = {}
    for (value,) in conn.execute(
        f"select {column} from articles where id in (select value from json_each(?))",
        [str(sorted(article_ids)).replace(" ", "")],
    ):
        if value is not None:
            counts[value] = counts.get(value, 0) + 1
    return counts


@pytest.mark.parametrize("filters", FILTERS)
def test_publisher_and_month_facets_count_the_filtered_articles(client, conn, filters):
    data = get_json(client, f"/archive/articles?{filters}&_facet_size=max")
    names = dict(conn.execute("select id, name from sources"))
    for column, kind in (("source_id", "publisher"), ("published_month", "month")):
        facet = data["facet_results"][column]
        assert facet["type"] == kind and not facet["truncated"]
        counts = {v["value"]: v["count"] for v in facet["results"]}
        assert counts == column_counts(conn, ids_of(data), column), column
        ordered = [(-v["count"], v["value"]) for v in facet["results"]]
        assert ordered == sorted(ordered)
        if column == "source_id":
            assert {v["value"]: v["label"] for v in facet["results"]} == {
                k: names[k] for k in counts
            }


def test_one_artists_facets_are_read_from_the_precomputed_tables(client, conn, executed):
    data = get_json(client, "/archive/articles?_artist=beyonce")
    assert ids_of(data) == mentioning(conn, "beyonce")
    facet_sql = [sql for sql in executed if "as value" in sql]
    assert len(facet_sql) == 3
    assert all("coverage_monthly" in sql for sql in facet_sql), facet_sql
    assert any("co_mention_counts" in sql for sql in facet_sql)
    assert not any("from mentions where article_id in" in sql for sql in facet_sql)
    # the artist's own count includes its undated article
    assert artist_facet(data)["beyonce"]["count"] == len(mentioning(conn, "beyonce"))
    assert UNDATED_ID in mentioning(conn, "beyonce")
    # a month link leaves the one-artist page: counts come from the rows again
    month = data["facet_results"]["published_month"]["results"][0]
    narrowed = follow(client, month["toggle_url"])
    assert query_pairs(month["toggle_url"]) == sorted(
        [("_artist", "beyonce"), ("published_month", month["value"])]
    )
    assert ids_of(narrowed) == {
        i
        for i in mentioning(conn, "beyonce")
        if column_counts(conn, {i}, "published_month") == {month["value"]: 1}
    }
    selected = narrowed["facet_results"]["published_month"]["results"]
    assert [v["selected"] for v in selected] == [True]
    # a facet type asked for on another column counts that column, the generic way
    other = get_json(client, "/archive/articles?_artist=beyonce&_facet_month=word_count")
    counts = {v["value"]: v["count"] for v in other["facet_results"]["word_count"]["results"]}
    assert counts == column_counts(conn, mentioning(conn, "beyonce"), "word_count")


@pytest.mark.parametrize(
    "filters",
    [
        "",
        "source_id=starbeat",
        "published_month=2024-05",
        "source_id=popwire&published_month=2024-05",
    ],
)
def test_publisher_and_month_pages_read_the_precomputed_tables(client, conn, executed, filters):
    # The whole table and the publisher and month facets' links: every facet from
    # articles_monthly / coverage_monthly, none grouping the page's articles.
    data = get_json(client, f"/archive/articles?{filters}")
    facet_sql = [sql for sql in executed if "as value" in sql]
    assert len(facet_sql) == 3, facet_sql
    assert sum("from articles_monthly" in sql for sql in facet_sql) == 2, facet_sql
    assert sum("from coverage_monthly" in sql for sql in facet_sql) == 1, facet_sql
    assert not any("canonical_url" in sql for sql in facet_sql)  # the page's own select
    # and the counts are those of the page's rows (undated starbeat article included)
    for column in ("source_id", "published_month"):
        counts = {v["value"]: v["count"] for v in data["facet_results"][column]["results"]}
        assert counts == column_counts(conn, ids_of(data), column)
    assert {k: v["count"] for k, v in artist_facet(data).items()} == true_counts(conn, ids_of(data))
    # anything else on the page: the generic way again
    executed.clear()
    get_json(client, f"/archive/articles?{filters}&word_count__gt=0")
    assert not any("articles_monthly" in sql for sql in executed)


def test_without_coverage_table_the_facet_counts_mentions(archive_db, conn, tmp_path):
    # An archive from before coverage_monthly (m005): the unfiltered facet counts mentions.
    old = tmp_path / "old.db"
    shutil.copy(archive_db, old)
    with sqlite3.connect(old) as db:
        for (trigger,) in db.execute(
            "select name from sqlite_master where type = 'trigger' and sql like '%coverage%'"
        ).fetchall():
            db.execute(f"drop trigger [{trigger}]")
        db.execute("drop view coverage_by_month")
        db.execute("drop table coverage_monthly")
    client = SyncClient(build_datasette(old))
    try:
        facet = artist_facet(get_json(client, "/old/articles"))
    finally:
        client.close()
    every = {r[0] for r in conn.execute("select id from articles")}
    assert {k: v["count"] for k, v in facet.items()} == true_counts(conn, every)


def test_facet_size_truncates(client):
    facet = get_json(client, "/archive/articles?_facet_size=2")["facet_results"]["artists"]
    assert len(facet["results"]) == 2 and facet["truncated"] is True


def test_the_link_to_all_of_a_long_facet_stays_under_base_url(archive_db, tmp_path):
    # base_url /news/ behind a proxy that forwards /news/archive/... as /archive/...:
    # the "…" link was request.path's /archive/articles?_facet_size=max, off the site.
    config = config_copy(tmp_path, base_url="/news/")
    with running_server(archive_db, config_dir=config) as base:
        page = read_page(f"{base}/archive/articles?_facet_size=1&_size=2")
    links = re.findall(r'<li class="facet-truncated">\s*<a href="([^"]*)">…</a>', page)
    assert len(links) == 3  # artists, published_month, source_id: more than one value each
    shown_at = "https://proxy.example/news/archive/articles?_facet_size=1&_size=2"
    for link in links:
        target = urlsplit(urljoin(shown_at, html.unescape(link)))
        assert target.path == "/news/archive/articles"
        assert sorted(parse_qsl(target.query)) == [("_facet_size", "max"), ("_size", "2")]


def test_a_timed_out_facet_is_reported_and_the_page_still_answers(client, monkeypatch, caplog):
    datasette = client.datasette
    execute = datasette.execute

    async def slow_artist_facet(database, sql, *args, **kwargs):
        if "join mentions m on m.article_id = page.id" in sql:
            # Datasette's facet time limit is what the facet asks for.
            assert kwargs.get("custom_time_limit") == datasette.setting("facet_time_limit_ms")
            raise QueryInterrupted(None, sql, args)
        return await execute(database, sql, *args, **kwargs)

    monkeypatch.setattr(datasette, "execute", slow_artist_facet)
    data = get_json(client, "/archive/articles?_search=duet")
    assert set(data["facet_results"]) == {"source_id", "published_month"}
    page = client.get("/archive/articles?_search=duet")
    assert page.status_code == 200 and "These facets timed out: artists" in page.text
    # ... and logged for the operator, with the page that lost it.
    warnings = [r.getMessage() for r in caplog.records if r.name == "newscrawl.datasette"]
    assert len(warnings) == 2
    assert all("facet artists of archive/articles left off the page" in w for w in warnings)
    assert warnings[-1].endswith(" on /archive/articles?_search=duet")


# -- toggling ----------------------------------------------------------------------------


def test_toggling_an_artist_filters_to_its_articles_and_back(client, conn):
    start = get_json(client, "/archive/articles")
    gaga = artist_facet(start)["lady-gaga"]
    assert not gaga["selected"]
    assert query_pairs(gaga["toggle_url"]) == [("_artist", "lady-gaga")]
    selected = follow(client, gaga["toggle_url"])
    assert ids_of(selected) == mentioning(conn, "lady-gaga") == {1, 2, 6, 8, 10}
    assert selected["human_description_en"].startswith('where mentions artist "Lady Gaga"')
    facet = artist_facet(selected)
    assert facet["lady-gaga"]["selected"] and facet["lady-gaga"]["count"] == 5
    # a second artist narrows to articles about both
    both = follow(client, facet["britney-spears"]["toggle_url"])
    assert ids_of(both) == mentioning(conn, "lady-gaga", "britney-spears") == {1, 6, 8, 10}
    assert query_pairs(artist_facet(both)["britney-spears"]["toggle_url"]) == [
        ("_artist", "lady-gaga")
    ]
    # deselecting goes back to every article
    back = follow(client, artist_facet(selected)["lady-gaga"]["toggle_url"])
    assert ids_of(back) == ids_of(start)
    assert query_pairs(artist_facet(selected)["lady-gaga"]["toggle_url"]) == []


def test_toggling_keeps_the_search_and_other_filters(client, conn):
    data = get_json(client, "/archive/articles?_search=duet&source_id=starbeat")
    assert ids_of(data) == text_matches(conn, r"\bduets?\b") & {4, 5, 8, 9}  # starbeat's
    britney = artist_facet(data)["britney-spears"]
    assert query_pairs(britney["toggle_url"]) == sorted(
        [("_search", "duet"), ("source_id", "starbeat"), ("_artist", "britney-spears")]
    )
    narrowed = follow(client, britney["toggle_url"])
    assert ids_of(narrowed) == ids_of(data) & mentioning(conn, "britney-spears") == {8}
    assert artist_facet(narrowed)["britney-spears"]["selected"]


def test_toggling_drops_the_page_cursor(client):
    first = get_json(client, "/archive/articles?_size=3")
    assert first["next"]
    second = client.get(f"/archive/articles.json?_size=3&_next={first['next']}").json()
    for value in artist_facet(second).values():
        assert "_next" not in dict(parse_qsl(urlsplit(value["toggle_url"]).query))


@pytest.mark.parametrize(
    "value", ["britney-spears", "Britney Spears", "BRITNEY", "Princess of Pop"]
)
def test_an_artist_is_named_by_slug_name_or_alias(client, conn, value):
    data = get_json(client, "/archive/articles?" + urlencode({"_artist": value}))
    assert ids_of(data) == mentioning(conn, "britney-spears")
    britney = artist_facet(data)["britney-spears"]
    assert britney["selected"] and query_pairs(britney["toggle_url"]) == []


def test_an_unknown_artist_matches_nothing(client):
    data = get_json(client, "/archive/articles?_artist=nobody")
    assert data["rows"] == [] and data["filtered_table_rows_count"] == 0
    assert "no such artist" in data["human_description_en"]


def test_the_array_filter_shows_as_selected(client, conn):
    data = get_json(client, "/archive/articles?artists__arraycontains=Lady+Gaga")
    assert ids_of(data) == mentioning(conn, "lady-gaga")
    gaga = artist_facet(data)["lady-gaga"]
    assert gaga["selected"] and query_pairs(gaga["toggle_url"]) == []


@pytest.mark.parametrize(
    "filters",
    ["_artist=lady-gaga", "_artist=taylor-swift", "_artist=lady-gaga&_artist=britney-spears"],
)
def test_every_way_of_filtering_by_artist_gives_the_same_rows(
    archive_db, client, conn, plugin, monkeypatch, tmp_path, filters
):
    wanted = [value for key, value in parse_qsl(filters)]
    expected = mentioning(conn, *wanted)
    # the current schema: (artist_id, article_id) serves article_id by artist
    data = get_json(client, f"/archive/articles?{filters}")
    assert ids_of(data) == expected
    assert {k: v["count"] for k, v in artist_facet(data).items()} == true_counts(conn, expected)
    # an archive from before m009, with only an (artist_id, salience) index: a rare
    # artist is read through it, a popular one by scanning the key index
    older = tmp_path / "older.db"
    shutil.copy(archive_db, older)
    with sqlite3.connect(older) as db:
        db.execute("drop index idx_mentions_artist_id_article_id")
        # and from before m016: no co_mention_pairs to read two artists' articles from
        db.execute("drop view co_mentions")
        db.execute("drop table co_mention_pairs")
    other = SyncClient(build_datasette(older))
    try:
        assert ids_of(get_json(other, f"/older/articles?{filters}")) == expected
        monkeypatch.setattr(plugin, "SCAN_ABOVE", 0)
        data = get_json(other, f"/older/articles?{filters}")
    finally:
        other.close()
    assert ids_of(data) == expected
    assert {k: v["count"] for k, v in artist_facet(data).items()} == true_counts(conn, expected)


def test_two_artists_articles_are_read_from_their_pair_rows(client, conn, executed):
    data = get_json(client, "/archive/articles?_artist=Lady+Gaga&_artist=britney-spears")
    assert ids_of(data) == mentioning(conn, "lady-gaga", "britney-spears") != set()
    assert data["filtered_table_rows_count"] == len(ids_of(data))
    assert any("from co_mention_pairs" in sql for sql in executed)
    # the same artist twice, or a name two artists share, is read as before
    executed.clear()
    data = get_json(client, "/archive/articles?_artist=lady-gaga&_artist=Lady+Gaga")
    assert ids_of(data) == mentioning(conn, "lady-gaga")
    assert not any("co_mention_pairs" in sql for sql in executed)


@pytest.mark.parametrize(
    ("filters", "where"),
    [
        (
            "_artist=lady-gaga&source_id=starbeat",
            "source_id = 'starbeat' and id in (select article_id from mentions"
            " where artist_id = 'lady-gaga')",
        ),
        (
            "_artist=Lady+Gaga&_artist=britney-spears&source_id=popwire",
            "source_id = 'popwire' and id in (select article_id from mentions"
            " where artist_id = 'lady-gaga') and id in (select article_id from mentions"
            " where artist_id = 'britney-spears')",
        ),
        (
            "_artist=beyonce&_search=duets",
            "id in (select rowid from articles_fts where articles_fts match 'duets')"
            " and id in (select article_id from mentions where artist_id = 'beyonce')",
        ),
    ],
)
def test_an_artist_with_few_articles_is_listed_under_another_filter(
    client, conn, executed, plugin, monkeypatch, filters, where
):
    # With another filter every article it kept was looked up in mentions (or in
    # co_mention_pairs): one publisher's 125,000 at 1,000,000 articles, 0.6-0.9 s a page
    # for an artist with 7 articles or 9,000, and its facets past the time limit on a
    # busy machine. An artist (or pair) with few articles has them listed instead.
    expected = {row[0] for row in conn.execute(f"select id from articles where {where}")}
    assert expected
    looked_up = ("exists (select 1 from mentions", "exists (select 1 from co_mention_pairs")
    for how in ("listed", "looked up"):
        if how == "looked up":  # past FEW_ARTICLES: as before, the same answers
            monkeypatch.setattr(plugin, "FEW_ARTICLES", 0)
        executed.clear()
        data = get_json(client, f"/archive/articles?{filters}")
        assert ids_of(data) == expected
        assert data["filtered_table_rows_count"] == len(expected)
        facet = {k: v["count"] for k, v in artist_facet(data).items()}
        assert facet == true_counts(conn, expected)
        for column in ("source_id", "published_month"):
            counts = {v["value"]: v["count"] for v in data["facet_results"][column]["results"]}
            assert counts == column_counts(conn, expected, column)
        facet_sql = [sql for sql in executed if "as value" in sql]
        assert len(facet_sql) == 3, facet_sql
        # those counted from the rows (one artist's publisher and month facets are read
        # from coverage_monthly: test_datasette_artist_cells.py)
        counted = [sql for sql in facet_sql if "from coverage_monthly" not in sql]
        read = [any(form in sql for form in looked_up) for sql in counted]
        assert read and read == [how == "looked up"] * len(read), facet_sql


# -- search ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("search", "pattern"),
    [
        ("duet", r"\bduets?\b"),  # porter stemming: duet finds duets
        ("Lady Gaga", r"\blady\b.*\bgaga\b|\bgaga\b.*\blady\b"),  # every word, any order
        ("swift", r"\bswift\b"),
        ("zzzz", r"\bzzzz\b"),
    ],
)
def test_search_returns_exactly_the_matching_articles(client, conn, search, pattern):
    fts = {
        r[0]
        for r in conn.execute(
            "select rowid from articles_fts where articles_fts match ?",
            [" ".join(f'"{word}"' for word in search.split())],
        )
    }
    assert fts == text_matches(conn, pattern)
    data = get_json(client, "/archive/articles?" + urlencode({"_search": search}))
    assert ids_of(data) == fts and data["filtered_table_rows_count"] == len(fts)
    ids = [row[0] for row in data["rows"]]
    assert ids == sorted(ids, reverse=True)  # newest archived first
    by_date = get_json(
        client, "/archive/articles?" + urlencode({"_search": search, "_sort_desc": "published_at"})
    )
    assert ids_of(by_date) == fts
    dates = [r[7] for r in by_date["rows"] if r[7]]
    assert dates == sorted(dates, reverse=True)


def test_search_pages_through_every_match(client, conn):
    seen, path = [], "/archive/articles.json?_search=the&_size=2"
    while path:
        data = client.get(path).json()
        seen += [row[0] for row in data["rows"]]
        path = data["next_url"]
        path = path and urlsplit(path)._replace(scheme="", netloc="").geturl()
    assert len(seen) == len(set(seen))
    assert set(seen) == text_matches(conn, r"\bthe\b")


# -- pages -------------------------------------------------------------------------------


def test_the_table_page_shows_the_three_facets(client):
    page = client.get("/archive/articles?_search=duet")
    assert page.status_code == 200
    assert "These facets timed out" not in page.text
    for facet in ("source_id", "artists", "published_month"):
        assert f'data-column="{facet}"' in page.text
    assert 'href="http://localhost/archive/articles?_search=duet&amp;_artist=lady-gaga"' in (
        page.text
    )
    assert ">Lady Gaga</a>" in page.text
    selected = client.get("/archive/articles?_search=duet&_artist=lady-gaga")
    assert 'mentions artist "Lady Gaga"' in selected.text.replace("&#34;", '"')
    # the search form carries the selected artist along
    assert 'type="hidden" name="_artist" value="lady-gaga"' in selected.text


def test_month_facet_links_filter_by_month(client, conn):
    data = get_json(client, "/archive/articles")
    months = {v["value"]: v for v in data["facet_results"]["published_month"]["results"]}
    may = follow(client, months["2024-05"]["toggle_url"])
    expected = {
        r[0] for r in conn.execute("select id from articles where published_month = '2024-05'")
    }
    assert ids_of(may) == expected and months["2024-05"]["count"] == len(expected)
    assert {v["value"]: v for v in may["facet_results"]["published_month"]["results"]}["2024-05"][
        "selected"
    ]


def test_facets_on_request_and_elsewhere(client):
    # asked for again on top of the defaults: computed once
    data = get_json(client, "/archive/articles?_facet_artist=artists&_facet_month=published_month")
    assert set(data["facet_results"]) == {"source_id", "artists", "published_month"}
    # not an articles table: no artist facet, no error
    data = get_json(client, "/archive/mentions?_facet_artist=artists&_facet_month=article_id")
    assert "artists" not in data["facet_results"] and "article_id" in data["facet_results"]
    # no facets asked: none computed
    assert "facet_results" not in client.get("/archive/articles.json?_shape=array").text[:50]
    assert get_json(client, "/archive/articles?_nofacet=1")["facet_results"] == {}
    csv = client.get("/archive/articles.csv?_artist=lady-gaga&_col=title")
    assert csv.status_code == 200 and len(csv.text.strip().splitlines()) == 1 + 5


# -- later pages -------------------------------------------------------------------------

PAGED_FILTERS = [
    "",  # facets from the precomputed tables
    "source_id=popwire",
    "_artist=lady-gaga",
    "_artist=Britney-Spears",
    "word_count__gt=10",  # the generic way: counted from the page's SQL
    "_search=the",
    "_search=duet&_searchmode=raw",
    "_artist=lady-gaga&source_id=popwire",
    "_artist=britney-spears&_artist=lady-gaga",
    "id__gte=0&_sort_desc=published_at",  # a cursor with a sort value
    "_sort=title",
    "_facet_month=word_count",
    # Datasette's own facet types ("Facet by this" in a column's menu adds _facet=)
    "_facet=language",
    "_facet=extractor_version&_artist=lady-gaga",
    "_facet_array=tags&_search=the",
    "_facet_date=first_seen_at&source_id=popwire",
]


def pages(client, filters: str, size: int = 2) -> list[dict]:
    """Every page of ``/archive/articles?<filters>`` at ``size`` rows a page."""
    query = "&".join(p for p in (filters, f"_size={size}", "_facet_size=max") if p)
    found, path = [], f"/archive/articles.json?{query}"
    while path:
        data = client.get(path).json()
        found.append(data)
        path = data["next"] and f"/archive/articles.json?{query}&_next={data['next']}"
    return found


def facet_summary(data: dict) -> dict:
    return {
        name: [
            (v["value"], v["label"], v["count"], v["selected"], query_pairs(v["toggle_url"]))
            for v in facet["results"]
        ]
        for name, facet in data["facet_results"].items()
    }


@pytest.mark.parametrize("filters", PAGED_FILTERS)
def test_every_page_counts_the_whole_selection_and_links_to_first_pages(client, filters):
    # Datasette 0.65 puts page 2's cursor into the facets' SQL: they counted the rows from
    # the cursor on, and their links kept _next, so a link listed fewer rows than counted.
    every = pages(client, filters)
    assert len(every) >= 2, "the filter must give a second page"
    first = facet_summary(every[0])
    for page in every[1:]:
        assert facet_summary(page) == first
        for facet in page["facet_results"].values():
            for value in [facet, *facet["results"]]:
                assert "_next" not in dict(parse_qsl(urlsplit(value["toggle_url"]).query))
    total = every[0]["filtered_table_rows_count"]
    assert sum(len(page["rows"]) for page in every) == total
    for facet in every[-1]["facet_results"].values():
        for value in facet["results"]:
            if value["selected"]:
                continue
            # what the link opens is exactly what was counted
            follow_query = [
                pair
                for pair in parse_qsl(urlsplit(value["toggle_url"]).query)
                if pair[0] != "_size"
            ]
            data = client.get(
                "/archive/articles.json?" + urlencode([*follow_query, ("_size", "max")])
            ).json()
            listed = len(data["rows"])
            assert listed == data["filtered_table_rows_count"] == value["count"], (
                facet["name"],
                value["value"],
            )


def counts_of(data: dict) -> dict:
    return {
        name: [(v["value"], v["count"]) for v in facet["results"]]
        for name, facet in data["facet_results"].items()
    }


@pytest.mark.parametrize(
    "path",
    [
        "/archive/co_mentions.json?_size=2",
        "/archive/co_mentions.json?_size=2&artist_a=britney-spears",
        "/archive/coverage_by_month.json?_size=2&_facet=month",
        "/archive/co_mentions?_size=2",
    ],
)
def test_a_views_later_pages_answer_with_the_same_facets(client, path):
    # A view pages by offset (?_next=2): no cursor, no parameters. Rebuilding its facets'
    # selection read the parameters as a dict: page 2 of every view was a 500.
    first = client.get(path.replace("?", ".json?", 1) if ".json" not in path else path).json()
    assert first["next"]
    second = client.get(f"{path}&_next={first['next']}")
    assert second.status_code == 200, second.text[:300]
    if ".json" in path:
        assert counts_of(second.json()) == counts_of(first)
        # ... and links that start at the first page (an offset would skip its rows)
        assert facet_summary(second.json()) == facet_summary(first)
        assert second.json()["rows"] and second.json()["rows"] != first["rows"]


# -- one facet per column ----------------------------------------------------------------

# A facet asked for by URL on a column the articles table already facets by default:
# Datasette's own types ("Facet by this" in a column's menu adds _facet=<column>), ours
# by name, and a JSON configuration.
ASKED_AGAIN = [
    "_facet=source_id",
    "_facet_array=artists",
    "_facet=published_month",
    "_facet=artists",
    "_facet_date=published_month",
    "_facet_publisher=source_id",
    "_facet_artist=artists",
    "_facet_month=published_month",
    "_facet_month=source_id",
    '_facet={"column":"source_id"}',
    "_facet=source_id&_facet_array=artists&_facet=published_month",
]
ASKED_WITH = ["", "_search=duet", "_artist=lady-gaga", "source_id=popwire"]
DEFAULT_FACETS = {"artists": "artist", "published_month": "month", "source_id": "publisher"}


def without_pairs(url: str, asked: str) -> list[tuple[str, str]]:
    """The query of ``url``, sorted, without the pairs of ``asked`` and _size=max."""
    drop = set(parse_qsl(asked))
    return [pair for pair in query_pairs(url) if pair not in drop]


@pytest.mark.parametrize("filters", ASKED_WITH)
@pytest.mark.parametrize("asked", ASKED_AGAIN)
def test_a_facet_asked_for_on_a_default_facets_column_is_the_default_one(
    client, executed, asked, filters
):
    # It came as a second facet, source_id_2 or artists_2 (or an artists column facet of
    # whole JSON arrays), with the same counts computed a second time.
    plain_query = "&".join(p for p in (filters, "_facet_size=max") if p)
    plain = get_json(client, f"/archive/articles?{plain_query}")
    plain_sql = sorted(executed)
    executed.clear()
    data = get_json(client, f"/archive/articles?{asked}&{plain_query}")
    assert {n: f["type"] for n, f in data["facet_results"].items()} == DEFAULT_FACETS
    assert sorted(executed) == plain_sql, "every facet counted once, as without the request"
    for name, facet in data["facet_results"].items():
        default = plain["facet_results"][name]
        assert not facet["hideable"] and facet["truncated"] == default["truncated"]
        assert len(facet["results"]) == len(default["results"])
        for value, expected in zip(facet["results"], default["results"], strict=True):
            for key in ("value", "label", "count", "selected"):
                assert value[key] == expected[key], (name, key)
            # the same link, the request kept along (it changes nothing)
            assert without_pairs(value["toggle_url"], asked) == query_pairs(expected["toggle_url"])
        # The facet's own link leaves out every request it answers.
        assert not [
            (key, value)
            for key, value in parse_qsl(urlsplit(facet["toggle_url"]).query)
            if key.startswith("_facet") and key != "_facet_size" and name in value
        ], facet["toggle_url"]


@pytest.mark.parametrize("asked", ["_facet=source_id", "_facet_array=artists"])
@pytest.mark.parametrize("filters", ASKED_WITH)
def test_the_html_page_shows_each_default_facet_once(client, asked, filters):
    plain = client.get(f"/archive/articles?{filters}")
    page = client.get(f"/archive/articles?{asked}&{filters}")
    assert page.status_code == 200
    columns = re.findall(
        r'<div class="facet-info facet-[^"]*" id="[^"]*" data-column="([^"]*)"', page.text
    )
    assert columns == ["artists", "published_month", "source_id"]
    assert re.findall(r"<strong>([^<]*)<span", page.text) == re.findall(
        r"<strong>([^<]*)<span", plain.text
    )
    assert "These facets timed out" not in page.text
    # and the column menu is not to offer those columns to "Facet by this" (test_browser)
    markers = re.findall(r'newscrawl-default-facet" data-column="([^"]*)" hidden>', page.text)
    assert markers == ["artists", "published_month", "source_id"]


@pytest.mark.parametrize("asked", ["_facet=source_id", "_facet_array=artists&_facet=artists"])
@pytest.mark.parametrize("filters", ASKED_WITH)
def test_a_csv_export_with_a_facet_request_lists_the_same_rows(client, asked, filters):
    plain = client.get(f"/archive/articles.csv?{filters}&_col=title&_size=max")
    asked_csv = client.get(f"/archive/articles.csv?{asked}&{filters}&_col=title&_size=max")
    assert asked_csv.status_code == plain.status_code == 200
    assert asked_csv.text == plain.text and len(plain.text.splitlines()) > 1


def test_a_selected_value_and_the_facet_link_of_an_asked_for_default_facet(client, conn):
    data = get_json(client, "/archive/articles?_facet=source_id&source_id=popwire")
    facet = data["facet_results"]["source_id"]
    (popwire,) = facet["results"]
    assert popwire["selected"] and popwire["value"] == "popwire"
    # its ✖ removes the publisher, the facet's own link the request it answers
    assert query_pairs(popwire["toggle_url"]) == [("_facet", "source_id")]
    assert query_pairs(facet["toggle_url"]) == [("source_id", "popwire")]
    # Datasette's array facet's link (artists__arraycontains=) shows as selected too
    data = get_json(
        client, "/archive/articles?_facet_array=artists&artists__arraycontains=Lady+Gaga"
    )
    assert set(data["facet_results"]) == set(DEFAULT_FACETS)
    gaga = artist_facet(data)["lady-gaga"]
    assert gaga["selected"]
    back = follow(client, gaga["toggle_url"])
    assert len(back["rows"]) == conn.execute("select count(*) from articles").fetchone()[0]


def test_a_facet_asked_for_on_another_column_is_still_added(client):
    data = get_json(client, "/archive/articles?_facet=language&_facet_array=tags")
    assert {n: f["type"] for n, f in data["facet_results"].items()} == {
        **DEFAULT_FACETS,
        "language": "column",
        "tags": "array",
    }
    assert data["facet_results"]["language"]["hideable"]
    assert query_pairs(data["facet_results"]["language"]["toggle_url"]) == [
        ("_facet_array", "tags")
    ]


def test_every_tables_default_facets_are_shown_once(client):
    # Not the articles table alone: a view's default column facets, asked for by URL.
    plain = get_json(client, "/archive/co_mentions")
    data = get_json(client, "/archive/co_mentions?_facet=artist_a&_facet=artist_b")
    assert set(data["facet_results"]) == set(plain["facet_results"]) == {"artist_a", "artist_b"}
    assert counts_of(data) == counts_of(plain)


def test_suggested_facets_leave_out_the_default_facets_columns(archive_db, tmp_path):
    # With suggest_facets on, Datasette suggested ?_facet=source_id, ?_facet=artists,
    # ?_facet_array=artists, ?_facet=published_month: links to the facets shown already.
    config = config_copy(tmp_path, suggest_facets=True, facet_suggest_time_limit_ms=1000)
    client = SyncClient(build_datasette(archive_db, config_dir=config))
    try:
        suggested = get_json(client, "/archive/articles")["suggested_facets"]
    finally:
        client.close()
    names = {s["name"] for s in suggested}
    assert names and not names & set(DEFAULT_FACETS), names
    assert {"tags", "word_count"} <= names  # the other columns are still suggested
