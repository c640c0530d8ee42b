"""The table pages' rows, rendered by ``newscrawl_rows`` (archive/plugins/
newscrawl_table_rows.py) instead of Datasette's per-cell Jinja loop, are the rows
Datasette's own ``_table.html`` renders: same cells, same classes, same escaping; and
the query pages' rows (``newscrawl_query_rows``) are those of Datasette's ``query.html``."""

from __future__ import annotations

import importlib.util
import re
import shutil
import sqlite3
from pathlib import Path

import lxml.html
import pytest
from archive_fixtures import SyncClient, build_archive
from markupsafe import Markup

from newscrawl.serve import ARCHIVE_DIR, build_datasette


@pytest.fixture(scope="module")
def archive_db(tmp_path_factory) -> Path:
    db = build_archive(tmp_path_factory.mktemp("rows") / "archive.db")
    # Text that must be escaped, and text that looks like markup, in a visible column.
    with sqlite3.connect(db) as conn:
        conn.execute(
            "update articles set description = ? where id = (select min(id) from articles)",
            ['<script>alert("x")</script> & <b>bold</b> \u00a0 "quoted"'],
        )
    return db


@pytest.fixture(scope="module")
def clients(archive_db, tmp_path_factory):
    """Ours, and Datasette's stock ``_table.html`` with everything else the same."""
    stock_dir = tmp_path_factory.mktemp("stock") / "archive"
    shutil.copytree(ARCHIVE_DIR, stock_dir)
    (stock_dir / "templates" / "_table.html").unlink()
    (stock_dir / "templates" / "query.html").unlink()
    ours = SyncClient(build_datasette(archive_db))
    stock = SyncClient(build_datasette(archive_db, config_dir=stock_dir))
    yield ours, stock
    ours.close()
    stock.close()


def body_rows(html: str) -> list[list[tuple[str, str]]]:
    """Each row of the rows-and-columns table as (td class, td inner HTML) pairs."""
    tree = lxml.html.fromstring(html)
    rows = []
    for tr in tree.cssselect("table.rows-and-columns tbody tr"):
        cells = []
        for td in tr.findall("td"):
            inner = (td.text or "") + "".join(
                lxml.html.tostring(child, encoding="unicode") for child in td
            )
            cells.append((td.get("class"), inner))
        rows.append(cells)
    return rows


def pages(archive_db: Path) -> list[str]:
    with sqlite3.connect(archive_db) as conn:
        names = [
            r[0]
            for r in conn.execute(
                "select name from sqlite_master where type in ('table', 'view')"
                " and name not like 'sqlite_%' and name not like 'articles_fts%'"
            )
        ]
        article_id = conn.execute("select min(id) from articles").fetchone()[0]
    return [f"/archive/{name}?_size=max" for name in names] + [
        "/archive/articles?_search=spears",
        "/archive/articles?_sort=title",
        f"/archive/articles/{article_id}",
    ]


def test_every_table_page_has_datasettes_own_rows(clients, archive_db):
    ours, stock = clients
    compared = 0
    for path in pages(archive_db):
        mine, theirs = ours.get(path), stock.get(path)
        assert mine.status_code == theirs.status_code == 200, path
        expected = body_rows(theirs.text)
        assert body_rows(mine.text) == expected, path
        compared += sum(len(row) for row in expected)
    assert compared > 500  # the fixture's tables are not empty


QUERY_PAGES = [
    "/archive/search_articles?q=spears",
    "/archive/search_articles?q=%22lady+gaga%22+OR+duet",
    "/archive/search_articles?q=",
    "/archive/artist_articles?artist=Britney+Spears",
    "/archive/articles_about_both?artist_a=Britney+Spears&artist_b=Lady+Gaga",
    "/archive/monthly_coverage?artist=",
    "/archive/publisher_share?artist=",
    "/archive/article_revisions?article_id=1",
    "/archive/run_drops?run_id=1",
    "/archive/run_drop_reasons?run_id=1",
    # Ad-hoc SQL: text to escape, a URL (Datasette links it), NULL, numbers, a blob.
    "/archive?sql=select+id,+description,+url,+null+as+empty,+word_count,"
    "+x%2700ff%27+as+bytes,+title+as+%22weird+name!%22+from+articles+order+by+id",
]


def test_every_query_page_has_datasettes_own_rows(clients):
    ours, stock = clients
    compared = 0
    for path in QUERY_PAGES:
        mine, theirs = ours.get(path), stock.get(path)
        assert mine.status_code == theirs.status_code == 200, path
        expected = body_rows(theirs.text)
        assert body_rows(mine.text) == expected, path
        compared += sum(len(row) for row in expected)
        # Everything around the rows is Datasette's template (but the query's time).
        mine_text, their_text = (
            re.sub(r"took [\d.]+ms", "took ...", page.text) for page in (mine, theirs)
        )
        assert mine_text.split("<tbody>")[0] == their_text.split("<tbody>")[0], path
        assert mine_text.split("</tbody>")[-1] == their_text.split("</tbody>")[-1], path
    assert compared > 200
    html = ours.get(QUERY_PAGES[-1]).text
    assert "<tr><td class=" in html  # written by the plugin, back to back
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;" in html


def test_markup_is_escaped_as_the_template_would(clients):
    ours, _ = clients
    html = ours.get("/archive/articles?_sort=id").text
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;" in html


def test_the_rows_are_rendered_by_the_plugin(clients):
    # Datasette's loop indents each cell; newscrawl_rows writes them back to back.
    ours, stock = clients
    assert "<tr><td class=" in ours.get("/archive/articles").text
    assert "<tr><td class=" not in stock.get("/archive/articles").text


def test_newscrawl_rows_escapes_text_and_keeps_markup():
    spec = importlib.util.spec_from_file_location(
        "newscrawl_table_rows", ARCHIVE_DIR / "plugins" / "newscrawl_table_rows.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    newscrawl_rows = module.newscrawl_rows
    rows = [
        [
            {"column": "title", "value": "a < b & c", "value_type": "text"},
            {"column": "weird name!", "value": Markup("<a href='x'>x</a>"), "value_type": "pk"},
            {"column": "n", "value": 3, "value_type": "integer"},
        ]
    ]
    html = str(newscrawl_rows(rows))
    assert html.startswith('<tr><td class="col-title type-text">a &lt; b &amp; c</td>')
    assert "<a href='x'>x</a></td>" in html
    assert '<td class="col-n type-integer">3</td></tr>' in html
    assert 'class="col-weird-name-' in html  # to_css_class: stripped and hashed
